import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { Config } from './config/config';
import type { Logger } from './config/logger';
import { kioskScopePlugin } from './auth/kiosk-scope.plugin';
import { auditActorOf, withAuditActor } from './audit';
import { createLoaders, type Context } from './context';
import { Role } from './entities/enums';
import { AppError, ErrorCode, toGraphQLCode } from './errors/app-error';
import { createErrorFormatter } from './errors/format-error';
import type { DatabaseHealth } from './db/database-health';
import { requestScope, type PoolGate, type RequestScope } from './db/pool-gate';
import type { ReadRouter } from './db/read-routing';
import { CallerBudgets } from './protection/caller-budgets';
import { applyCors, corsApplies, setStandardHeaders } from './http/headers';
import { createHitLane } from './http/hit-lane';
import { jitGateway } from './http/jit-executor';
import {
  anonymousRateGuard, bodyGuard, databaseGuard, documentSizeGuard, errorBody, jsonBodyGuard, jsonDepthGuard, passGuards, refusal, sendJson, sendRefusal, tokenGuard,
  type BodyRead, type EdgeRequest, type Guard,
} from './http/guards';
import { type Acceptors, addAcceptors } from './http/acceptors';
import { DocumentStore } from './http/document-store';
import { blankRequestComments } from './http/comments';
import { RenderedQueries, stringifyResult } from './http/rendered-queries';
import { PreparedOperations, type PreparedAnswer } from './http/prepared-operations';
import { TokenBuckets } from './http/token-bucket';
import { createSchema, renderers } from './schema';
import { cachePolicyPlugin, ResponseCache } from './cache/response-cache';
import { planOutKey, yearsOfPlan, type PlanOut } from './query-plan/plugin';
import { IDE_PREFIX, sendIdePage, serveIdeAsset, wantsIde } from './ide/ide';
import { createWebHandler } from './web/static';
import { createDocumentsHandler } from './documents';
import { createEvidenceHandler } from './evidence';
import { callerKey, queryLimitsPlugin, withTokenLimitCode } from './protection/limits';
import { legacyJsonStatus } from './protection/http-status';
import type { Services } from './services';
import type { Live } from './live';
import { LocalRateLimit, type ResponseStore, type SharedState } from './shared-state';
import { createObservability, type ObservabilityConfig } from './observability';
import { noteCacheHit, noteErrorAnswer } from './observability/request-context';

export interface AppDeps {
  config: Pick<Config, 'maxBodyBytes' | 'shutdownGraceMs' | 'corsOrigins' | 'anonymousRatePerSec' | 'anonymousBurst'
    | 'headersTimeoutMs' | 'requestTimeoutMs' | 'httpAcceptors' | 'callerBudgets' | 'poolSize' | 'poolWaitMs'
    | 'queryLimits' | 'cacheMaxAgeSeconds' | 'responseCacheMaxEntries' | 'responseCacheMaxBytes' | 'sqlRenderedQueries' | 'maxEvidenceBytes' | keyof ObservabilityConfig>;
  health: DatabaseHealth;
  /** The queues in front of the pools: /readyz shows their use. */
  gates?: { read: PoolGate; work: PoolGate };
  logger: Logger;
  services: Services;
  /** Subscriptions over WebSocket at /graphql and kiosk alerts (src/live). */
  live?: Live;
  /** Several instances sharing Redis (src/shared-state): the response cache and the anonymous rate limit. */
  shared?: SharedState;
  /** Read replicas (DATABASE_READ_URLS): its plugin routes each request's reads (src/db/read-routing.ts). */
  reads?: ReadRouter;
}

export interface App {
  server: http.Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), stops Apollo. */
  close(): Promise<void>;
}

/** `new URL('/graphql')`, the one URL most requests have: read, never changed, by the handlers. */
const GRAPHQL_URL = new URL('/graphql', 'http://localhost');

/** The client went away (closed its connection, aborted the upload): nothing to answer, nothing wrong here. */
function isClientAbort(e: unknown, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED'
    || (e as Error | undefined)?.message === 'aborted' || req.destroyed && !res.writableFinished;
}

export async function createApp(deps: AppDeps): Promise<App> {
  const { config, logger, services, health } = deps;
  // A connection error in a request only asks the probe (on its own connection) to look now.
  const formatError = createErrorFormatter(logger, () => health.suspect());
  const anonymousBuckets = new TokenBuckets(config.anonymousRatePerSec, config.anonymousBurst);
  const budgets = new CallerBudgets({
    callerBudgets: config.callerBudgets, poolSize: config.poolSize, poolWaitMs: config.poolWaitMs,
    maxOperationCost: {
      anonymous: config.queryLimits.budgets.anonymous,
      token: Math.max(config.queryLimits.budgets.KIOSK, config.queryLimits.budgets.APPRAISER, config.queryLimits.budgets.ANALYST, config.queryLimits.budgets.ADMIN),
    },
  });
  // Readers (anonymous, ANALYST) over their share of a busy database (CallerBudgets.overShare) hold one reader connection
  // all together (two from a pool of 16): their statements leave PostgreSQL's CPUs to everyone else's (src/db/pool-gate.ts).
  if (deps.gates) deps.gates.read.heavyLane = { isHeavy: (caller, now) => budgets.overShare(caller, now), max: Math.max(1, Math.floor(config.poolSize / 8)) };
  // Per IP; counted in Redis for every instance when shared (src/shared-state/rate-limits.ts), else these buckets.
  const anonymousLimit = deps.shared?.rateLimit('anonymous', config.anonymousRatePerSec, config.anonymousBurst) ?? new LocalRateLimit(anonymousBuckets);
  // The edge of /graphql, in order (src/http/guards.ts); the caller's budget is admitted after the cache.
  const anonymousRate = {
    ratePerSec: config.anonymousRatePerSec,
    // In process the buckets answer at once: no promise for the edge to wait on (src/http/guards.ts takes either).
    take: deps.shared ? (ip: string) => anonymousLimit.take(ip) : (ip: string) => anonymousBuckets.take(ip),
    retryAfter: (ip: string) => anonymousLimit.retryAfter(ip),
  };
  const readBody = bodyGuard(config.maxBodyBytes);
  const databaseReady = databaseGuard(health);
  const anonymousRateLimit = anonymousRateGuard(anonymousRate);
  // After the body: the edge's other guards. (Its whole order: body, JSON, JSON depth, document size, database, token, anonymous rate.)
  const guards: Guard[] = [
    jsonBodyGuard, jsonDepthGuard, documentSizeGuard(config.queryLimits), databaseReady,
    tokenGuard((header) => services.auth.authenticate(header), anonymousRate), anonymousRateLimit,
  ];
  const schema = await createSchema(services, deps.live);
  const localCache = new ResponseCache(config.responseCacheMaxEntries, config.responseCacheMaxBytes);
  // Several instances: the cache shared through Redis, this one in front (src/shared-state/shared-response-cache.ts).
  const responseCache: ResponseStore = deps.shared?.responseCache(localCache) ?? localCache;
  /** A refusal of the edge (an AppError) as the contract answers it; anything else thrown there, 500 (503 when the database is gone). */
  const answerEdgeError = (res: http.ServerResponse, e: unknown): void => {
    if (e instanceof AppError) return sendRefusal(res, e);
    const formatted = formatError({ message: 'Internal server error' }, e);
    sendJson(res, formatted.extensions?.code === 'SERVICE_UNAVAILABLE' ? 503 : 500, { errors: [formatted] });
  };
  // An anonymous reader's answer kept in this process is answered as soon as its body is read (src/http/hit-lane.ts): its text
  // passed the edge when the answer was stored; what may have changed since (the database's health, the IP's rate) is checked again.
  const hitLane = responseCache.enabled && responseCache.kept ? createHitLane({
    kept: responseCache.kept.bind(responseCache),
    maxBodyBytes: config.maxBodyBytes,
    guards: [databaseReady, anonymousRateLimit],
    corsApplies: (req) => corsApplies(req, config.corsOrigins),
    refuse: (res, requestId, e) => {
      setStandardHeaders(res, requestId);
      answerEdgeError(res, e);
    },
  }) : undefined;
  // Request ids, /metrics, request metrics and traces (src/observability): around the server, told the operation by Apollo.
  const observability = createObservability(deps);
  // Queries answered whole in SQL (src/http/rendered-queries.ts); those Apollo has answered so once are answered
  // again without its pipeline, by the same rules (src/http/prepared-operations.ts).
  const rendered = config.sqlRenderedQueries
    ? new RenderedQueries(schema, renderers(services), (e) => logger.error('a rendered query failed; resolved instead', { error: String((e as Error)?.stack ?? e) }))
    : undefined;
  const prepared = rendered ? new PreparedOperations(schema, rendered, config.queryLimits, budgets, config.cacheMaxAgeSeconds) : undefined;
  const apollo = new ApolloServer<Context>({
    // Execution compiled by graphql-jit (src/http/jit-executor.ts) instead of graphql-js's interpreter;
    // Apollo takes a custom executor only through `gateway`, which replaces the `schema` option.
    gateway: jitGateway(schema, rendered, prepared),
    formatError: withTokenLimitCode(formatError, config.queryLimits),
    // The parser stops after this many tokens: a huge document is refused before it is built.
    parseOptions: { maxTokens: config.queryLimits.maxTokens },
    // Parsed documents kept from their second sight on, measured by their text (src/http/document-store.ts).
    documentStore: new DocumentStore(),
    // Bearer tokens only, no cookies: no ambient credentials for a cross-site request to ride on,
    // and GET must work without custom headers (CDNs, persisted queries, the GraphQL-over-HTTP audit).
    csrfPrevention: false,
    // Compact JSON (Apollo's default pretty-prints every answer, which costs time and bytes), rendered data as it is.
    stringifyResult,
    includeStacktraceInErrorResponses: false,
    // Introspection stays available whatever NODE_ENV says (Apollo turns it off under production by default).
    introspection: true,
    // main.ts owns the ordered shutdown; Apollo must not race it on SIGINT/SIGTERM.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(), kioskScopePlugin(),
      // Cache-Control is decided per operation (src/cache), not per field: no per-field hook on the hot path.
      ApolloServerPluginCacheControlDisabled(),
      queryLimitsPlugin(config.queryLimits, budgets),
      cachePolicyPlugin(config.cacheMaxAgeSeconds, responseCache),
      observability.apolloPlugin,
      ...(deps.reads ? [deps.reads.plugin()] : []),
    ],
  });
  await apollo.start();

  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;

  /**
   * `scope` collects the request's database time; every statement it runs
   * (authentication included) waits at most DB_POOL_WAIT_MS for a connection.
   */
  async function handleGraphQL(req: http.IncomingMessage, res: http.ServerResponse, url: URL, requestId: string, scope: RequestScope, read?: BodyRead): Promise<void> {
    const edge: EdgeRequest = { req, url, ip: req.socket.remoteAddress ?? 'unknown', text: '', body: undefined, principal: null, read };
    try {
      await readBody(edge);
      const pending = passGuards(guards, edge);
      if (pending) await pending;
    } catch (e) {
      return answerEdgeError(res, e);
    }
    const { body, principal, ip } = edge;
    const cacheKey = !responseCache.enabled ? ''
      : ResponseCache.key(ResponseCache.partition(principal), req.method ?? 'GET', req.headers.accept, req.method === 'POST' ? edge.text : url.search);
    // A miss, noted now that the request has passed the edge; the in-process cache answers at once, the shared one (Redis) is waited for.
    // (An anonymous reader's answer kept in this process was answered by the hit lane: here, tokens' answers and the shared cache's.)
    const found = cacheKey ? responseCache.get(cacheKey) : undefined;
    const hit = found instanceof Promise ? await found : found;
    if (hit) {
      // The stored headers carry the answer's content-length (set when it was stored): one write, not chunks,
      // of the bytes encoded when it was stored.
      res.writeHead(hit.status, { ...hit.headers, 'x-request-id': requestId, 'x-cache': 'HIT' });
      res.end(hit.encoded ?? hit.body);
      noteCacheHit();
      return;
    }
    // What runs is charged to its caller (src/protection/caller-budgets.ts): refused while they owe
    // database time or run too many operations at once; the cost once known, the database time after.
    const caller = CallerBudgets.callerOf(principal, ip);
    scope.caller = caller.key;
    // Anonymous and ANALYST requests only read: they may be put in the heavy lane (src/db/pool-gate.ts).
    scope.reader = principal === null || principal.role === Role.ANALYST;
    scope.lateCharge = (ms) => budgets.chargeDbTime(caller, ms);
    // Decided at once unless the caller's slots are all taken (no turn of the microtask queue then).
    const admitted = budgets.admit(caller);
    const admission = admitted instanceof Promise ? await admitted : admitted;
    if ('refusal' in admission) {
      const { reason, message, retryAfter } = admission.refusal;
      return sendRefusal(res, refusal(ErrorCode.RATE_LIMITED, `${message}. Retry in ${retryAfter} s`,
        { extensions: { reason, retryAfter }, headers: { 'retry-after': String(retryAfter) } }));
    }
    const dbMsBefore = scope.dbMs;
    const context = Object.assign({ principal, requestId, loaders: createLoaders(services) }, { [callerKey]: caller }) as Context;
    // The request's query plan (src/query-plan), left here by its first reader: which years the answer shows.
    const planOut: PlanOut = {};
    const askApollo = () => {
      const headers = new HeaderMap();
      for (const key in req.headers) {
        const value = req.headers[key];
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      // Comments blanked, positions kept: Apollo's store of validated documents knows a document sent again
      // with a comment of its own (a #nonce) and parses and validates it once (src/http/comments.ts).
      const blanked = blankRequestComments(body, url.search);
      // Who typed it, for the audit entries its mutations write (src/audit/audit.ts).
      return withAuditActor(auditActorOf(principal), () => apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: blanked.search, body: blanked.body },
        context: async () => Object.assign(context, { [planOutKey]: planOut }),
      }));
    };
    let served: { prepared: PreparedAnswer } | { apollo: Awaited<ReturnType<typeof askApollo>> };
    try {
      // A query Apollo has answered whole in SQL before: answered again without its pipeline (src/http/prepared-operations.ts);
      // a reader's statement may then go to a read replica (src/db/read-routing.ts), as the router's plugin decides for Apollo's.
      const beforeRun = scope.reader && deps.reads ? () => deps.reads!.route(scope) : undefined;
      const answer = prepared && req.method === 'POST' ? await prepared.answer({ body, accept: req.headers.accept, context, caller, beforeRun }) : null;
      served = answer ? { prepared: answer } : { apollo: await askApollo() };
    } finally {
      admission.done(scope.dbMs - dbMsBefore);
    }
    if ('prepared' in served) {
      const answer = served.prepared;
      const encoded = Buffer.from(answer.body, 'utf8');
      const outHeaders = { 'x-request-id': requestId, ...answer.headers, 'content-length': String(encoded.length) };
      res.writeHead(200, outHeaders);
      res.end(encoded);
      if (cacheKey) responseCache.offer(cacheKey, 200, outHeaders, answer.body, yearsOfPlan(answer.plan));
      return;
    }
    const response = served.apollo;
    const outHeaders: Record<string, string> = { 'x-request-id': requestId };
    for (const [key, value] of response.headers) outHeaders[key] = value;
    // A whole answer with 200: Apollo negotiated its type for this Accept header (406 when it could not).
    if ((response.status ?? 200) === 200 && response.body.kind === 'complete') prepared?.learnContentType(req.headers.accept, response.headers.get('content-type'));
    if (response.body.kind === 'complete') {
      // A whole answer goes out with its length (as the edge's own answers do), not in chunks: encoded once, measured, written.
      const encoded = Buffer.from(response.body.string, 'utf8');
      outHeaders['content-length'] = String(encoded.length);
      const status = legacyJsonStatus(response.status ?? 200, outHeaders['content-type'], response.body.string);
      // Apollo's refusals of the HTTP request itself (no operation ran, no plugin saw it): noted for the metrics from the body.
      if (status >= 400) noteErrorAnswer(response.body.string);
      res.writeHead(status, outHeaders);
      res.end(encoded);
      if (cacheKey) {
        // Kept only for a change to the years it reads (any year when there is no plan: it resolved no operation).
        responseCache.offer(cacheKey, status, outHeaders, response.body.string, planOut.plan ? yearsOfPlan(planOut.plan) : null);
      }
    } else {
      res.writeHead(response.status ?? 200, outHeaders);
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  // The portal at /, the kiosk at /kiosk and their files (src/web/static.ts).
  const serveWeb = createWebHandler();
  // Excel and CSV at /export/*, /templates/*, /import/*, read through this Apollo server as the caller (src/documents/).
  const serveDocuments = createDocumentsHandler({ apollo, services, logger, health, invalidate: (c) => responseCache.invalidate(c) });
  // Evidence files at POST /evidence and GET /evidence/{id}, kept in PostgreSQL (src/evidence/).
  const serveEvidence = createEvidenceHandler({ auth: services.auth, evidence: services.evidence, logger, health, budgets, anonymousRate, maxBytes: config.maxEvidenceBytes });
  // Slow clients cannot hold connections: headers and whole requests are bounded, checked every second.
  const server = http.createServer({
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: 1000,
  }, (req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (draining && inFlight === 0) drained?.();
    });
    // The portal's and the kiosks' path, parsed once per process: the handlers only read it.
    const url = req.url === '/graphql' ? GRAPHQL_URL : new URL(req.url ?? '/', 'http://localhost');
    // Given (or made) by the request observer (src/observability), which runs first.
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
    const route = async (read?: BodyRead) => {
      if (applyCors(req, res, config.corsOrigins)) return;
      if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') {
        const ok = !draining && (await health.probe());
        // Busy pools (connections in use, requests waiting, waits refused as busy) are shown, never a reason to be unready.
        const pools = deps.gates ? { read: deps.gates.read.stats, work: deps.gates.work.stats } : undefined;
        // Read replicas (up, lag, reads taken) likewise: a replica down or behind only sends reads to the primary.
        const replicas = deps.reads ? { replicas: deps.reads.replicas.states, reads: deps.reads.counts } : {};
        return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', ...(pools ? { pools } : {}), ...replicas });
      }
      if (url.pathname.startsWith(IDE_PREFIX) && serveIdeAsset(req, res, url.pathname)) return;
      if (url.pathname === '/graphql' && wantsIde(req, url)) return sendIdePage(res);
      if (url.pathname === '/graphql') {
        if (req.method !== 'POST' && req.method !== 'GET') {
          return sendRefusal(res, refusal(ErrorCode.METHOD_NOT_ALLOWED, 'Use POST or GET on /graphql', { headers: { allow: 'GET, POST' } }));
        }
        const scope: RequestScope = { dbMs: 0 };
        try {
          return await requestScope.run(scope, () => handleGraphQL(req, res, url, requestId, scope, read));
        } finally {
          scope.finished = true;
        }
      }
      const evidenceFile = serveEvidence(req, res, url);
      if (evidenceFile) return evidenceFile;
      const document = serveDocuments(req, res, url);
      if (document) return document;
      if (serveWeb(req, res, url)) return;
      return sendJson(res, 404, { error: 'not found', endpoints: ['/graphql', '/healthz', '/readyz'] });
    };
    const routed = (read?: BodyRead) => {
      setStandardHeaders(res, requestId);
      route(read).catch(failed);
    };
    const failed = (e: unknown) => {
      if (isClientAbort(e, req, res)) {
        // A client closing its connection early is routine (a kiosk losing its network, a browser navigating away).
        logger.debug('the client aborted the request', { path: url.pathname, error: String((e as Error)?.message ?? e) });
        if (!res.headersSent && !res.destroyed) res.destroy();
        return;
      }
      logger.error('request failed', { error: String((e as Error)?.stack ?? e) });
      if (!res.headersSent) sendJson(res, 500, errorBody('INTERNAL_SERVER_ERROR', 'Internal server error'));
      else res.end();
    };
    if (hitLane && url.pathname === '/graphql' && (req.method === 'POST' || req.method === 'GET')) hitLane(req, res, url, requestId, routed);
    else routed();
  });
  observability.attach(server);
  // Requests Node refuses before they reach the handler (a URL or headers over the 16 KiB limit,
  // a malformed request line, a request timeout) get a JSON answer with a contract code too.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || answering) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const message = status === 431 ? 'The request line or headers exceed 16 KiB; send the query in a POST body'
      : status === 408 ? 'The request was not received in time' : 'The HTTP request is malformed';
    const text = JSON.stringify(errorBody('BAD_USER_INPUT', message));
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n`
      + `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  });
  server.keepAliveTimeout = 5000;
  // More than one new connection accepted per turn of a busy event loop (src/http/acceptors.ts), once listening.
  let acceptors: Acceptors | undefined;
  // Subscriptions (graphql-ws) on the same server and path, the same schema (src/live/ws-server.ts).
  const liveServer = deps.live?.attach({ server, schema, queryLimits: config.queryLimits, formatError });

  return {
    server,
    async listen(port, host) {
      const address = await new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      });
      try {
        acceptors = await addAcceptors(server, config.httpAcceptors);
      } catch (e) {
        // The server's own descriptor accepts as before: slower under a flood of connections, never refused.
        logger.warn('the listening socket could not be duplicated: one connection accepted per turn of the event loop', { error: String((e as Error)?.message ?? e) });
      }
      return address;
    },
    async close() {
      draining = true;
      acceptors?.close();
      await liveServer?.close(); // 1001 Going Away to every subscriber first: upgraded sockets would hold server.close
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => { drained = resolve; }),
          new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
      await apollo.stop();
    },
  };
}
