import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import {
  getOperationAST, GraphQLError, parse, validate, type DocumentNode, type ExecutionArgs, type GraphQLFormattedError, type GraphQLSchema,
} from 'graphql';
import { CloseCode, type Context as WsContext } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../auth/principal';
import type { Logger } from '../config/logger';
import { createLoaders, type Context } from '../context';
import { AppError, ErrorCode } from '../errors/app-error';
import { FragmentCycleError } from '../protection/cost';
import { analyzeCached, budgetFor, type QueryLimits } from '../protection/limits';
import type { Services } from '../services';
import type { LiveConfig } from './config';
import type { LiveHub } from './hub';
import { liveKey, type LiveContext, type LiveSubscriptions } from './subscriptions';

/** Close codes: the server is going away (shutdown); a consumer too slow, a token revoked (graphql-ws's Forbidden). */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_SLOW_CONSUMER = 1008;
export const CLOSE_TRY_AGAIN_LATER = 1013;

interface Extra extends Record<PropertyKey, unknown> { socket: WebSocket; request: http.IncomingMessage; principal?: Principal | null; subscriptions?: Set<string>; requestId?: string }
type Ctx = WsContext<Record<string, unknown>, Extra>;

export interface LiveServer {
  /** Closes every socket with 1001 (going away) and stops accepting. */
  close(): Promise<void>;
  readonly connections: number;
}

export interface LiveServerDeps {
  server: http.Server;
  schema: GraphQLSchema;
  services: Services;
  hub: LiveHub;
  subscriptions: LiveSubscriptions;
  config: LiveConfig;
  queryLimits: QueryLimits;
  logger: Logger;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

function refusal(error: AppError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error });
}

/**
 * GraphQL subscriptions over WebSocket at /graphql (the graphql-ws
 * protocol), beside Apollo on the same HTTP server, with the same schema.
 *
 * - The token is `connection_init`'s `{"authorization": "Bearer …"}`; a bad
 *   one closes the connection (4403), none is anonymous. A revoked kiosk's
 *   connection is closed at once (src/auth/revocations.ts); API tokens are
 *   looked up again at every heartbeat, a revoked one closed (4403).
 * - Only subscriptions: queries and mutations go over HTTP, where every
 *   protection is. The document limits (tokens, depth, aliases, cost per
 *   role) are the HTTP ones; a kiosk, confined to submitting, is refused.
 * - Bounds: connections, subscriptions per connection and in total; a
 *   ping every heartbeat (no pong by the next: closed); a consumer with
 *   more than LIVE_MAX_BUFFERED_BYTES unsent, or too many events unread,
 *   is closed (1008) instead of buffered for.
 */
export function attachLiveServer(deps: LiveServerDeps): LiveServer {
  const { config, logger, services } = deps;
  const wss = new WebSocketServer({
    server: deps.server, path: '/graphql', maxPayload: 256 * 1024,
    verifyClient: (_info, done) => {
      if (wss.clients.size >= config.maxConnections) done(false, 503, 'Too many live connections; retry later');
      else done(true);
    },
  });
  const open = new Set<Ctx>();

  const dropSocket = (socket: WebSocket, code: number, reason: string) => {
    if (socket.readyState === socket.CLOSED) return;
    socket.close(code, reason);
    // A client that does not answer the close handshake (a slow one) is cut.
    setTimeout(() => socket.terminate(), 1000).unref();
  };

  const formatted = (errors: readonly GraphQLError[]) => errors.map((e) => deps.formatError(e.toJSON(), e));

  const server = useServer<Record<string, unknown>, Extra>({
    schema: deps.schema,
    async onConnect(ctx) {
      ctx.extra.subscriptions = new Set();
      ctx.extra.requestId = randomUUID();
      const auth = ctx.connectionParams?.authorization;
      try {
        ctx.extra.principal = await services.auth.authenticate(typeof auth === 'string' ? auth : undefined);
      } catch (e) {
        logger.debug('a live connection was refused its token', { error: String((e as Error)?.message ?? e) });
        return false;
      }
      open.add(ctx as Ctx);
      return true;
    },
    onClose(ctx) {
      deps.hub.subscriptions -= ctx.extra.subscriptions?.size ?? 0;
      ctx.extra.subscriptions?.clear();
      open.delete(ctx as Ctx);
    },
    async onSubscribe(ctx, id, payload) {
      const principal = ctx.extra.principal ?? null;
      if (principal?.kind === 'kiosk') {
        return [refusal(new AppError(ErrorCode.FORBIDDEN, 'A kiosk token may only call submitSurveyResponse and submitSurveyResponses, not subscriptions'))];
      }
      const subs = (ctx.extra.subscriptions ??= new Set());
      if (subs.size >= config.maxSubscriptionsPerConnection) {
        return [refusal(new AppError(ErrorCode.RATE_LIMITED, `A connection may hold ${config.maxSubscriptionsPerConnection} subscriptions; complete one first`, undefined, { reason: 'TOO_MANY_SUBSCRIPTIONS', limit: config.maxSubscriptionsPerConnection }))];
      }
      if (deps.hub.subscriptions >= config.maxSubscriptions) {
        return [refusal(new AppError(ErrorCode.RATE_LIMITED, 'The service holds as many subscriptions as it may; retry later', undefined, { reason: 'TOO_MANY_SUBSCRIPTIONS', retryAfter: 5 }))];
      }
      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: deps.queryLimits.maxTokens });
      } catch (e) {
        return [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
      }
      const errors = validate(deps.schema, document);
      if (errors.length > 0) return [...errors];
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [new GraphQLError('Unable to identify the operation: name it with operationName')];
      if (operation.operation !== 'subscription') {
        return [refusal(new AppError(ErrorCode.INVALID_INPUT, `Over WebSocket only subscriptions are served; send ${operation.operation} operations to POST /graphql`))];
      }
      try {
        const cost = analyzeCached(deps.schema, document, operation, payload.variables ?? undefined);
        const q = deps.queryLimits;
        const { role, limit } = budgetFor(principal, q);
        const over = cost.depth > q.maxDepth ? `The query is ${cost.depth} fields deep; the limit is ${q.maxDepth}`
          : cost.aliases > q.maxAliases ? `The query has ${cost.aliases} aliased fields; the limit is ${q.maxAliases}`
          : cost.cost > limit ? `The query costs ${cost.cost}; the limit for ${role} is ${limit}` : null;
        if (over) return [refusal(new AppError(ErrorCode.QUERY_TOO_COMPLEX, over))];
      } catch (e) {
        if (e instanceof FragmentCycleError) return [refusal(new AppError(ErrorCode.QUERY_TOO_COMPLEX, e.message))];
        throw e;
      }
      const socket = ctx.extra.socket;
      const live: LiveContext = {
        subscriptions: deps.subscriptions,
        connection: { drop: (reason) => dropSocket(socket, CLOSE_SLOW_CONSUMER, reason) },
      };
      const contextValue = Object.assign(
        { principal, requestId: ctx.extra.requestId ?? randomUUID(), loaders: createLoaders(services) } satisfies Context, { [liveKey]: live });
      subs.add(id);
      deps.hub.subscriptions++;
      const args: ExecutionArgs = { schema: deps.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      return args;
    },
    onComplete(ctx, id) {
      if (ctx.extra.subscriptions?.delete(id)) deps.hub.subscriptions--;
    },
    onNext(ctx, _id, _payload, _args, result) {
      const socket = ctx.extra.socket;
      if (socket.bufferedAmount > config.maxBufferedBytes) {
        dropSocket(socket, CLOSE_SLOW_CONSUMER, 'slow consumer: too much unsent');
      }
      if (!result.errors) return;
      return { ...result, errors: formatted(result.errors) } as never;
    },
    onError(_ctx, _id, _payload, errors) {
      return formatted(errors);
    },
  }, wss, config.heartbeatMs);

  // A revoked kiosk's connections close at once; API tokens are checked again at every heartbeat.
  services.auth.revocations.subscribe((kioskId) => {
    for (const ctx of open) {
      const p = ctx.extra.principal;
      if (p?.kind === 'kiosk' && p.kioskId === kioskId) dropSocket(ctx.extra.socket, CloseCode.Forbidden, 'The token was revoked');
    }
  });
  const recheck = setInterval(() => {
    const tokens = new Map<number, Ctx[]>();
    for (const ctx of open) {
      const p = ctx.extra.principal;
      if (p?.kind === 'token') tokens.set(p.tokenId, [...(tokens.get(p.tokenId) ?? []), ctx]);
    }
    if (tokens.size === 0) return;
    deps.hub.revokedTokens([...tokens.keys()]).then((revoked) => {
      for (const id of revoked) for (const ctx of tokens.get(id) ?? []) dropSocket(ctx.extra.socket, CloseCode.Forbidden, 'The token was revoked');
    }, (e) => logger.warn('live connections: the token check failed', { error: String((e as Error)?.message ?? e) }));
  }, config.heartbeatMs);
  recheck.unref();

  return {
    get connections() { return wss.clients.size; },
    async close() {
      clearInterval(recheck);
      // 1001 Going Away to every client, then no more upgrades; a client that does not answer is cut.
      for (const client of wss.clients) dropSocket(client, CLOSE_GOING_AWAY, 'The service is shutting down');
      await Promise.resolve(server.dispose()).catch((e: unknown) => logger.warn('closing the live server failed', { error: String(e) }));
      for (const client of wss.clients) client.terminate();
    },
  };
}
