import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { DatabaseHealth } from '../db/database-health';
import type { PoolGate } from '../db/pool-gate';
import { Role } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';
import type { RecomputeStats, ResultsService } from '../results/results.service';
import type { Services } from '../services';
import { observabilityPlugin } from './apollo-plugin';
import { ServiceMetrics } from './metrics';
import { assignRequestId, noteErrorAnswer, requestContext, type RequestInfo } from './request-context';
import { endRequestSpan, startTracing, type Tracing } from './tracing';
import { setStandardHeaders } from '../http/headers';

export { operationLabel } from './apollo-plugin';
export { ServiceMetrics } from './metrics';
export { tracingLoaded } from './tracing';

/**
 * Logs, metrics and traces of one app (src/app.ts), with the ecosystem's
 * tools: pino (src/config/logger.ts), prom-client (GET /metrics), and
 * OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 *
 * It sits around the HTTP server rather than inside its handler: `attach`
 * wraps the server's request listener, so every request (whatever route
 * answers it) runs with its request id in the async context, is timed and
 * counted once its answer is sent, and /metrics is answered before the app
 * sees it. Apollo tells it the operation and the outcome through
 * `apolloPlugin`. Answers sent outside Apollo (the HTTP guards' 401, 413,
 * 429, 503) are read for their code and reason when they are errors.
 */
export type ObservabilityConfig = Pick<Config, 'metricsEnabled' | 'logRequests' | 'slowRequestMs' | 'otelEndpoint' | 'otelServiceName'>;

export interface ObservabilityDeps {
  config: ObservabilityConfig;
  logger: Logger;
  services: Pick<Services, 'auth' | 'tallies' | 'results'>;
  health: Pick<DatabaseHealth, 'ready'>;
  gates?: { read: PoolGate; work: PoolGate };
}

/** How long a scrape waits for the roll-up backlog before it reports it unknown. */
const BACKLOG_TIMEOUT_MS = 2000;
/** Refused tokens on /metrics per IP per minute; more are answered 429 without a database lookup. */
const METRICS_TOKEN_FAILURES_PER_MINUTE = 10;

/** The route family of a path: a bounded label. */
export function routeOf(path: string): string {
  switch (path) {
    case '/graphql': return 'graphql';
    case '/healthz': return 'healthz';
    case '/readyz': return 'readyz';
    case '/metrics': return 'metrics';
    default: {
      const first = path.split('/')[1];
      return first === 'export' || first === 'templates' || first === 'import' || first === 'graphiql' ? first : 'web';
    }
  }
}

/** The socket's peer is this machine, and no proxy says it speaks for someone else. X-Forwarded-For is never believed. */
export function fromLoopback(req: http.IncomingMessage): boolean {
  const h = req.headers;
  if (h.forwarded !== undefined || h['x-forwarded-for'] !== undefined || h['x-real-ip'] !== undefined) return false;
  const a = req.socket.remoteAddress ?? '';
  return a === '::1' || /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_USER_INPUT', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'BAD_USER_INPUT', 408: 'BAD_USER_INPUT',
  409: 'CONFLICT', 413: 'BAD_USER_INPUT', 415: 'BAD_USER_INPUT', 429: 'RATE_LIMITED', 503: 'SERVICE_UNAVAILABLE',
};

function sendJson(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Observes `results.recompute` (full recomputations and single-unit
 * updates) from outside: its time and how it ended. A run shared by several
 * callers, or a single-unit update that fell back to a full recomputation,
 * is counted once (by the stats object, or the error, it settles with).
 */
function instrumentRecompute(results: ResultsService, metrics: ServiceMetrics): void {
  const marked = results as ResultsService & { [observed]?: ServiceMetrics[] };
  if (marked[observed]) {
    marked[observed].push(metrics);
    return;
  }
  const sinks = (marked[observed] = [metrics]);
  const counted = new WeakSet<object>();
  const original = results.recompute.bind(results);
  results.recompute = (cycleId: number, only?: { unitId: number }): Promise<RecomputeStats> => {
    const started = performance.now();
    return original(cycleId, only).then((stats) => {
      if (!counted.has(stats)) {
        counted.add(stats);
        const labels = { mode: stats.incremental ? 'unit' : 'full', outcome: stats.skipped ? 'skipped' : 'ok' };
        for (const m of sinks) m.recomputeDuration.observe(labels, stats.ms / 1000);
      }
      return stats;
    }, (error: unknown) => {
      if (error !== null && typeof error === 'object' && !counted.has(error)) {
        counted.add(error);
        for (const m of sinks) m.recomputeDuration.observe({ mode: only ? 'unit' : 'full', outcome: 'error' }, (performance.now() - started) / 1000);
      }
      throw error;
    });
  };
}
const observed = Symbol('observed by /metrics');

/** What the request observer keeps on a response until it closes. */
const observedKey = Symbol('observed request');
type ObservedResponse = http.ServerResponse & {
  [observedKey]?: { req: http.IncomingMessage; info: RequestInfo; started: number; span: ReturnType<Tracing['startRequest']> };
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.catch(() => undefined),
    new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms).unref(); }),
  ]).finally(() => clearTimeout(timer));
}

export interface Observability {
  metrics: ServiceMetrics;
  tracing: Tracing;
  /** For ApolloServer's `plugins`: notes each operation and its outcome on the request. */
  apolloPlugin: ReturnType<typeof observabilityPlugin>;
  /** Wraps the server's request listener(s): request ids, timing, counting, tracing, and GET /metrics. */
  attach(server: http.Server): void;
}

export function createObservability(deps: ObservabilityDeps): Observability {
  const { config, logger, services, health } = deps;
  const metrics = new ServiceMetrics({
    gates: deps.gates,
    databaseUp: () => health.ready,
    rollUpBacklog: () => (health.ready ? withTimeout(services.tallies.backlog(), BACKLOG_TIMEOUT_MS) : Promise.resolve(undefined)),
  });
  instrumentRecompute(services.results, metrics);
  const tracing = startTracing({ endpoint: config.otelEndpoint, serviceName: config.otelServiceName }, logger);
  const tokenFailures = new Map<string, { count: number; since: number }>();

  /** Who may read /metrics: loopback without a token, else an ADMIN token. */
  async function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    setStandardHeaders(res, requestId);
    res.setHeader('cache-control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 405, 'BAD_USER_INPUT', 'Use GET on /metrics', { allow: 'GET, HEAD' });
    }
    const authorization = req.headers.authorization;
    if (authorization !== undefined && authorization.trim() !== '') {
      const ip = req.socket.remoteAddress ?? 'unknown';
      const now = Date.now();
      let failures = tokenFailures.get(ip);
      if (failures && now - failures.since > 60_000) failures = undefined;
      if (failures && failures.count >= METRICS_TOKEN_FAILURES_PER_MINUTE) {
        return sendJson(res, 429, 'RATE_LIMITED', `Too many refused tokens on /metrics from ${ip}; retry in a minute`, { 'retry-after': '60' });
      }
      let role: Role | undefined;
      try {
        role = (await services.auth.authenticate(authorization))?.role;
      } catch (e) {
        if (e instanceof AppError && e.code === ErrorCode.SERVICE_BUSY) {
          return sendJson(res, 429, 'RATE_LIMITED', e.message, { 'retry-after': '1' });
        }
        if (!(e instanceof AppError)) {
          return sendJson(res, 503, 'SERVICE_UNAVAILABLE', 'The token could not be checked: the database is unavailable. Scrape from loopback without a token.');
        }
        if (tokenFailures.size > 10_000) tokenFailures.clear();
        tokenFailures.set(ip, { count: (failures?.count ?? 0) + 1, since: failures?.since ?? now });
        return sendJson(res, 401, 'UNAUTHENTICATED', e.message, { 'www-authenticate': 'Bearer' });
      }
      if (role !== Role.ADMIN) return sendJson(res, 403, 'FORBIDDEN', '/metrics is readable with an ADMIN token, or without a token from loopback');
    } else if (!fromLoopback(req)) {
      return sendJson(res, 403, 'FORBIDDEN', '/metrics is readable without a token only from loopback (not through a proxy); elsewhere send an ADMIN token');
    }
    const text = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  function finish(req: http.IncomingMessage, res: http.ServerResponse, info: RequestInfo, started: number, span: ReturnType<Tracing['startRequest']>): void {
    metrics.inFlightCount--;
    const seconds = (performance.now() - started) / 1000;
    const status = res.writableFinished ? res.statusCode : 0; // 0: the connection closed before the answer was sent
    const hit = status !== 0 && info.cacheHit === true;
    const outcome = info.outcome ?? (status === 0 ? 'ABORTED' : status < 400 ? 'ok' : STATUS_CODES[status] ?? 'INTERNAL_SERVER_ERROR');
    const operation = metrics.operation(info.operation ?? (hit ? 'cached' : '-'));
    if (hit && status === 200 && info.route === 'graphql' && outcome === 'ok') {
      metrics.cacheHit(seconds);
    } else {
      metrics.httpRequests.inc({ route: info.route, status: status === 0 ? 'aborted' : String(status) });
      metrics.httpDuration.observe({ route: info.route }, seconds);
      if (hit) metrics.cacheHits.inc();
      if (info.route === 'graphql') {
        metrics.graphqlRequests.inc({ operation, outcome });
        metrics.graphqlDuration.observe({ operation }, seconds);
      }
      if (info.rateLimitReason !== undefined || status === 429) metrics.rateLimited.inc({ reason: metrics.reason(info.rateLimitReason ?? 'REQUEST_RATE') });
    }
    if (span) endRequestSpan(span, req.method ?? 'GET', status, info.operation, outcome);
    const ms = Math.round(seconds * 1000);
    if (config.logRequests || (config.slowRequestMs > 0 && ms >= config.slowRequestMs)) {
      const fields = {
        requestId: info.requestId, method: req.method, path: (req.url ?? '/').split('?')[0].slice(0, 200), status, ms,
        ...(info.route === 'graphql' ? { operation, outcome } : {}), ip: req.socket.remoteAddress,
      };
      if (config.slowRequestMs > 0 && ms >= config.slowRequestMs) logger.warn('slow request', fields);
      else logger.info('request', fields);
    }
  }

  /** Each answer's end, counted once its connection is done with it (one listener function for every response). */
  function onClose(this: ObservedResponse): void {
    const o = this[observedKey];
    if (o) finish(o.req, this, o.info, o.started, o.span);
  }

  return {
    metrics,
    tracing,
    apolloPlugin: observabilityPlugin(undefined, () => metrics.documentsValidated.inc()),
    attach(server) {
      const listeners = server.listeners('request') as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
      server.removeAllListeners('request');
      server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
        const started = performance.now();
        // Its id goes back on the answer (the app sets it with the security headers: src/http/headers.ts).
        const requestId = assignRequestId(req);
        const path = (req.url ?? '/').split('?')[0];
        const info: RequestInfo = { requestId, route: routeOf(path) };
        metrics.inFlightCount++;
        const span = tracing.enabled ? tracing.startRequest(req, info.route, requestId) : undefined;
        (res as ObservedResponse)[observedKey] = { req, info, started, span };
        res.on('close', onClose);
        // Error answers written outside Apollo elsewhere than /graphql (whose edge notes its own refusals, src/http/guards.ts):
        // their code and reason (only small bodies of 4xx/5xx are looked at).
        if (info.route !== 'graphql') {
          const end = res.end as (...args: unknown[]) => http.ServerResponse;
          res.end = function (this: http.ServerResponse, ...args: unknown[]) {
            const chunk = args[0];
            if (info.outcome === undefined && res.statusCode >= 400 && (typeof chunk === 'string' || Buffer.isBuffer(chunk)) && chunk.length < 16_384) {
              noteErrorAnswer(chunk.toString(), info);
            }
            return end.apply(this, args);
          } as typeof res.end;
        }
        const handle = () => {
          if (path === '/metrics' && config.metricsEnabled) {
            serveMetrics(req, res, requestId).catch((e) => {
              logger.error('serving /metrics failed', { error: String((e as Error)?.stack ?? e) });
              if (!res.headersSent) sendJson(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
              else res.end();
            });
            return;
          }
          for (const listener of listeners) listener.call(server, req, res);
        };
        requestContext.run(info, span ? () => span.run(handle) : handle);
      });
    },
  };
}
