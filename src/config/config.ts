import path from 'node:path';
import { loadLiveConfig, type LiveConfig } from '../live/config';

/**
 * Every knob of the service, read once from the environment, validated, with
 * its default. README's table of variables mirrors this file.
 */
export interface Config {
  /** Live data and kiosk alerts (src/live/config.ts): REDIS_URL, LIVE_*, ALERT_*. */
  live: LiveConfig;
  port: number;
  host: string;
  /** PostgreSQL to use; undefined: start the embedded one in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  adminToken: string | undefined;
  seedDemo: boolean;
  /** Connections in the readers' pool (queries and setup mutations). */
  poolSize: number;
  /** Connections in the work pool: kiosk ingestion, authentication, the survey roll-up, recomputation. */
  workPoolSize: number;
  /** How long a request may wait for a pooled connection before it is told the service is busy (RATE_LIMITED), in ms. */
  poolWaitMs: number;
  /** Per-statement timeout set on every connection, in ms. */
  statementTimeoutMs: number;
  /** How long acquiring a new connection may take, in ms. */
  connectTimeoutMs: number;
  /** How often the database is probed for readiness, in ms. */
  dbHealthIntervalMs: number;
  /** Read replicas for anonymous and ANALYST queries (DATABASE_READ_URLS, comma-separated); empty: the primary serves all. */
  databaseReadUrls: string[];
  /** A replica whose replay lag exceeds this (ms) is skipped (MAX_REPLICA_LAG_MS). */
  maxReplicaLagMs: number;
  /** Grace period for in-flight requests on shutdown, in ms. */
  shutdownGraceMs: number;
  /** How long a client may take to send its request headers, and its whole request, in ms. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /**
   * Extra descriptors of the listening socket (HTTP_ACCEPTORS): a turn of a busy
   * event loop accepts one connection per descriptor (src/http/acceptors.ts); 0: the server's own only.
   */
  httpAcceptors: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Largest evidence file accepted by POST /evidence, in bytes (413 beyond). */
  maxEvidenceBytes: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Origins allowed by CORS (portal frontends); empty: no CORS headers. */
  corsOrigins: string[];
  /** Anonymous readers: sustained requests per second and burst, per IP. */
  anonymousRatePerSec: number;
  anonymousBurst: number;
  /**
   * Per caller (an IP for anonymous readers, else the token or kiosk): the
   * cost points their operations may spend per second (sustained; the
   * bucket holds twice that, and at least one operation of the role's
   * budget), the database time (connection held, ms per second) above which
   * they may be refused, and their share of all of it while the database is
   * busy, and how many of their operations run at once.
   */
  callerBudgets: {
    costPerSecAnonymous: number;
    costPerSecToken: number;
    dbMsPerSec: number;
    dbSharePercent: number;
    maxConcurrent: number;
  };
  /**
   * The share of the readers' pool (DB_POOL_SIZE) one caller's requests may
   * hold at once, in percent (at least one connection); the work pool's is
   * a third. A load generator standing for many readers behind one IP (the
   * benchmarks) lifts it to 100.
   */
  callerPoolPercent: number;
  /** Survey responses a kiosk token may send per second, sustained (a batch counts each response). */
  kioskRatePerSecond: number;
  /** Survey responses a kiosk token may send in a burst (at least the largest batch, 500). */
  kioskRateBurst: number;
  /** How long ingestion keeps a year's questionnaire in memory, in ms. */
  questionnaireCacheMs: number;
  /** How often stored survey responses are rolled up into the tallies, in ms. */
  tallyIntervalMs: number;
  /** Responses rolled up per statement. */
  tallyBatchSize: number;
  /** How often unpublished results are checked for new survey responses and recomputed, in ms. */
  recomputeIntervalMs: number;
  /** Query surface limits (src/protection): checked before parsing, validation and execution. */
  queryLimits: {
    /** Largest GraphQL document, in bytes (a GET's query or a POST body's `query`). */
    maxDocumentBytes: number;
    /** Most lexical tokens the parser reads before giving up. */
    maxTokens: number;
    /** Longest chain of nested fields (introspection excluded). */
    maxDepth: number;
    /** Most aliased fields in one operation, fragments expanded. */
    maxAliases: number;
    /** Cost budgets per operation by caller (see src/protection/cost.ts for the cost model). */
    budgets: { anonymous: number; KIOSK: number; APPRAISER: number; ANALYST: number; ADMIN: number; UNIT: number };
  };
  /** Max age of cacheable answers (Cache-Control and the response cache), in seconds; 0 disables caching. */
  cacheMaxAgeSeconds: number;
  /** Entries and bytes the in-memory response cache holds at most. */
  responseCacheMaxEntries: number;
  responseCacheMaxBytes: number;
  /** Whether queries PostgreSQL can write whole (the portal's rankings) are answered as its JSON (src/http/rendered-queries.ts). */
  sqlRenderedQueries: boolean;
  /** Observability (src/observability): GET /metrics served; a log line per request; a warning past this many ms (0: never). */
  metricsEnabled: boolean;
  logRequests: boolean;
  slowRequestMs: number;
  /** OpenTelemetry: traces sent over OTLP/HTTP to this base URL; undefined: tracing off, nothing of it loaded. */
  otelEndpoint: string | undefined;
  otelServiceName: string;
  /**
   * Several instances sharing Redis (src/shared-state; REDIS_URL is live.redisUrl): the prefix of every key and
   * channel, how long a command may take before the instance goes on in-process, and how long a cached kiosk
   * token is trusted while revocations cannot be heard from Redis.
   */
  sharedState: { keyPrefix: string; commandTimeoutMs: number; kioskFallbackTrustMs: number };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** DATABASE_READ_URLS: comma-separated postgres:// URLs, each a read replica. */
function readUrls(env: Env): string[] {
  const urls = (env.DATABASE_READ_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  for (const raw of urls) {
    let url: URL | undefined;
    try { url = new URL(raw); } catch { /* refused below */ }
    if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || !url.hostname) {
      throw new ConfigError(`DATABASE_READ_URLS must be comma-separated postgresql:// URLs such as postgresql://user@replica1:5432/par, got "${raw}"`);
    }
  }
  return urls;
}

function otlpEndpoint(env: Env): string | undefined {
  const raw = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://127.0.0.1:4318, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL (OTLP over HTTP), got "${raw}"`);
  }
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const live = loadLiveConfig(env);
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of debug, info, warn, error, got "${env.LOG_LEVEL}"`);
  }
  const adminToken = env.ADMIN_TOKEN?.trim() || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('ADMIN_TOKEN must be at least 16 characters long');
  }
  const headersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10000, 1000, 600000);
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30000, 1000, 3600000);
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError(`HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs}) must be at least HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs})`);
  }
  return {
    live,
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    databaseUrl,
    dataDir: path.resolve(env.DATA_DIR?.trim() || './.data'),
    adminToken,
    seedDemo: boolean(env, 'SEED_DEMO', databaseUrl === undefined),
    poolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 500),
    workPoolSize: integer(env, 'DB_WORK_POOL_SIZE', 10, 1, 500),
    poolWaitMs: integer(env, 'DB_POOL_WAIT_MS', 1000, 10, 60000),
    statementTimeoutMs: integer(env, 'DB_STATEMENT_TIMEOUT_MS', 15000, 100, 600000),
    connectTimeoutMs: integer(env, 'DB_CONNECT_TIMEOUT_MS', 5000, 100, 120000),
    dbHealthIntervalMs: integer(env, 'DB_HEALTH_INTERVAL_MS', 1000, 100, 60000),
    databaseReadUrls: readUrls(env),
    maxReplicaLagMs: integer(env, 'MAX_REPLICA_LAG_MS', 2000, 0, 3_600_000),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10000, 0, 600000),
    headersTimeoutMs,
    requestTimeoutMs,
    httpAcceptors: integer(env, 'HTTP_ACCEPTORS', 16, 0, 256),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 2 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    maxEvidenceBytes: integer(env, 'MAX_EVIDENCE_BYTES', 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    logLevel,
    corsOrigins: (env.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    anonymousRatePerSec: integer(env, 'ANON_RATE_PER_SEC', 50, 1, 1_000_000),
    anonymousBurst: integer(env, 'ANON_BURST', 200, 1, 1_000_000),
    callerBudgets: {
      costPerSecAnonymous: integer(env, 'CALLER_COST_PER_SEC_ANONYMOUS', 10000, 1, 1e9),
      costPerSecToken: integer(env, 'CALLER_COST_PER_SEC_TOKEN', 100000, 1, 1e9),
      dbMsPerSec: integer(env, 'CALLER_DB_MS_PER_SEC', 150, 1, 1_000_000),
      dbSharePercent: integer(env, 'CALLER_DB_SHARE_PERCENT', 15, 1, 100),
      maxConcurrent: integer(env, 'CALLER_MAX_CONCURRENT', 4, 1, 10000),
    },
    callerPoolPercent: integer(env, 'CALLER_POOL_PERCENT', 25, 1, 100),
    kioskRatePerSecond: integer(env, 'KIOSK_RATE_PER_SECOND', 50, 1, 1_000_000),
    kioskRateBurst: integer(env, 'KIOSK_RATE_BURST', 1000, 500, 10_000_000),
    questionnaireCacheMs: integer(env, 'QUESTIONNAIRE_CACHE_MS', 5000, 0, 600000),
    recomputeIntervalMs: integer(env, 'RECOMPUTE_INTERVAL_MS', 1000, 100, 60000),
    tallyIntervalMs: integer(env, 'TALLY_INTERVAL_MS', 500, 50, 60000),
    tallyBatchSize: integer(env, 'TALLY_BATCH_SIZE', 5000, 1, 1_000_000),
    queryLimits: {
      maxDocumentBytes: integer(env, 'MAX_DOCUMENT_BYTES', 32 * 1024, 256, 10 * 1024 * 1024),
      maxTokens: integer(env, 'MAX_DOCUMENT_TOKENS', 5000, 100, 1_000_000),
      maxDepth: integer(env, 'MAX_QUERY_DEPTH', 12, 2, 100),
      maxAliases: integer(env, 'MAX_QUERY_ALIASES', 30, 0, 10_000),
      budgets: {
        anonymous: integer(env, 'QUERY_COST_ANONYMOUS', 3000, 1, 1e9),
        KIOSK: integer(env, 'QUERY_COST_KIOSK', 2000, 1, 1e9),
        APPRAISER: integer(env, 'QUERY_COST_APPRAISER', 20000, 1, 1e9),
        ANALYST: integer(env, 'QUERY_COST_ANALYST', 20000, 1, 1e9),
        UNIT: integer(env, 'QUERY_COST_UNIT', 5000, 1, 1e9),
        ADMIN: integer(env, 'QUERY_COST_ADMIN', 50000, 1, 1e9),
      },
    },
    cacheMaxAgeSeconds: integer(env, 'CACHE_MAX_AGE_SECONDS', 60, 0, 86400),
    responseCacheMaxEntries: integer(env, 'RESPONSE_CACHE_MAX_ENTRIES', 2000, 0, 1_000_000),
    responseCacheMaxBytes: integer(env, 'RESPONSE_CACHE_MAX_BYTES', 64 * 1024 * 1024, 0, 4 * 1024 * 1024 * 1024),
    sqlRenderedQueries: boolean(env, 'SQL_RENDERED_QUERIES', true),
    metricsEnabled: boolean(env, 'METRICS_ENABLED', true),
    logRequests: boolean(env, 'LOG_REQUESTS', false),
    slowRequestMs: integer(env, 'LOG_SLOW_REQUEST_MS', 5000, 0, 3_600_000),
    otelEndpoint: otlpEndpoint(env),
    otelServiceName: env.OTEL_SERVICE_NAME?.trim() || 'par-index',
    sharedState: {
      keyPrefix: env.REDIS_KEY_PREFIX?.trim() || 'par:',
      commandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 100, 5, 10000),
      kioskFallbackTrustMs: integer(env, 'KIOSK_TRUST_WITHOUT_REDIS_MS', 1000, 0, 10000),
    },
  };
}

/**
 * Every setting at its default: what loadConfig reads from an empty
 * environment, so that each default is written once, above. For code that
 * builds part of the service without a Config of its own (benchmarks, the
 * TypeORM CLI's data source, the seed's connection) and still must not
 * hold a default of its own. A function, not a constant: src/live/config.ts
 * and this module import each other.
 */
export function configDefaults(): Config {
  return loadConfig({});
}
