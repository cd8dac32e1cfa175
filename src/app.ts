import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { DataSource } from 'typeorm';
import type { Config } from './config/config';
import type { Logger } from './config/logger';
import { createLoaders, type Context } from './context';
import { AppError, toGraphQLCode } from './errors/app-error';
import { createErrorFormatter } from './errors/format-error';
import { createSchema } from './schema';
import type { Services } from './services';

export interface AppDeps {
  config: Pick<Config, 'maxBodyBytes' | 'shutdownGraceMs'>;
  db: DataSource;
  logger: Logger;
  services: Services;
}

export interface App {
  server: http.Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), stops Apollo. */
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extra } }] };
}

export async function createApp(deps: AppDeps): Promise<App> {
  const { config, db, logger, services } = deps;
  const schema = await createSchema(services);
  const apollo = new ApolloServer<Context>({
    schema,
    formatError: createErrorFormatter(logger),
    includeStacktraceInErrorResponses: false,
    // main.ts owns the ordered shutdown; Apollo must not race it on SIGINT/SIGTERM.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();

  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;

  async function handleGraphQL(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, config.maxBodyBytes);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          sendJson(res, 413, errorBody('BAD_USER_INPUT', `The request body exceeds ${config.maxBodyBytes} bytes`), { connection: 'close' });
          return;
        }
        throw e;
      }
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        sendJson(res, 400, errorBody('BAD_USER_INPUT', 'The request body is not valid JSON'));
        return;
      }
    }
    let principal: Context['principal'];
    try {
      principal = await services.auth.authenticate(req.headers.authorization);
    } catch (e) {
      if (e instanceof AppError) {
        sendJson(res, 401, errorBody(toGraphQLCode(e.code), e.message, { reason: e.code }), { 'www-authenticate': 'Bearer' });
        return;
      }
      const formatted = createErrorFormatter(logger)({ message: 'Internal server error' }, e);
      sendJson(res, formatted.extensions?.code === 'SERVICE_UNAVAILABLE' ? 503 : 500, { errors: [formatted] });
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => ({ principal, requestId, loaders: createLoaders(services) }),
    });
    const outHeaders: Record<string, string> = { 'x-request-id': requestId };
    for (const [key, value] of response.headers) outHeaders[key] = value;
    res.writeHead(response.status ?? 200, outHeaders);
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  async function ready(): Promise<boolean> {
    try {
      await db.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  const server = http.createServer((req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (draining && inFlight === 0) drained?.();
    });
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = async () => {
      if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') {
        const ok = !draining && (await ready());
        return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable' });
      }
      if (url.pathname === '/graphql') {
        if (req.method !== 'POST' && req.method !== 'GET') {
          return sendJson(res, 405, errorBody('BAD_USER_INPUT', 'Use POST or GET on /graphql'), { allow: 'GET, POST' });
        }
        return handleGraphQL(req, res, url);
      }
      return sendJson(res, 404, { error: 'not found', endpoints: ['/graphql', '/healthz', '/readyz'] });
    };
    route().catch((e) => {
      logger.error('request failed', { error: String((e as Error)?.stack ?? e) });
      if (!res.headersSent) sendJson(res, 500, errorBody('INTERNAL_SERVER_ERROR', 'Internal server error'));
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 30000;

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      });
    },
    async close() {
      draining = true;
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
