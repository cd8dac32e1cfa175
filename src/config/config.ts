import path from 'node:path';

/**
 * Every knob of the service, read once from the environment, validated, with
 * its default. README's table of variables mirrors this file.
 */
export interface Config {
  port: number;
  host: string;
  /** PostgreSQL to use; undefined: start the embedded one in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  adminToken: string | undefined;
  seedDemo: boolean;
  /** Connections in the pool. */
  poolSize: number;
  /** Per-statement timeout set on every connection, in ms. */
  statementTimeoutMs: number;
  /** How long acquiring a new connection may take, in ms. */
  connectTimeoutMs: number;
  /** Grace period for in-flight requests on shutdown, in ms. */
  shutdownGraceMs: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
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

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of debug, info, warn, error, got "${env.LOG_LEVEL}"`);
  }
  const adminToken = env.ADMIN_TOKEN?.trim() || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('ADMIN_TOKEN must be at least 16 characters long');
  }
  return {
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    databaseUrl,
    dataDir: path.resolve(env.DATA_DIR?.trim() || './.data'),
    adminToken,
    seedDemo: boolean(env, 'SEED_DEMO', databaseUrl === undefined),
    poolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 500),
    statementTimeoutMs: integer(env, 'DB_STATEMENT_TIMEOUT_MS', 15000, 100, 600000),
    connectTimeoutMs: integer(env, 'DB_CONNECT_TIMEOUT_MS', 5000, 100, 120000),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10000, 0, 600000),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 2 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    logLevel,
  };
}
