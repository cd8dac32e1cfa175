import type http from 'node:http';
import { hasToken, type Principal } from '../auth/principal';
import type { DatabaseHealth } from '../db/database-health';
import { AppError, ErrorCode, toGraphQLCode } from '../errors/app-error';
import { httpStatusOf } from '../errors/http-status';
import { noteErrorAnswer } from '../observability/request-context';
import { documentBytes, type QueryLimits } from '../protection/limits';

/**
 * The HTTP edge of /graphql as an ordered list of small guards. Each reads
 * or fills the request in hand and refuses by throwing an AppError whose
 * code gives the HTTP status (src/errors/http-status.ts); `sendRefusal`
 * writes every refusal the same way. What passes them all goes to Apollo.
 *
 *   body → JSON → JSON depth → document size → database ready → token → anonymous rate
 *
 * The order is the cost order: nothing is parsed before the body's size is
 * known, nothing touches the database before the request is well formed,
 * and rate limits count only requests that got that far.
 */
export interface EdgeRequest {
  readonly req: http.IncomingMessage;
  readonly url: URL;
  readonly ip: string;
  /** The raw POST body ('' for GET) and its JSON (undefined for GET or an empty body). */
  text: string;
  body: unknown;
  /** Known after the token guard: null for anonymous readers. */
  principal: Principal | null;
  /** The body, when the hit lane has read it already (src/http/hit-lane.ts). */
  read?: BodyRead;
}

export type Guard = (request: EdgeRequest) => void | Promise<void>;

/** What a refusal adds to its GraphQL error's `extensions`, and the headers it answers with. */
export interface RefusalDetails {
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export function refusal(code: ErrorCode, message: string, details: RefusalDetails = {}): AppError {
  return new AppError(code, message, undefined, details as Record<string, unknown>);
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extra } }] };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // For the request metrics (src/observability): the refusal's code and reason.
  if (status >= 400) noteErrorAnswer(body);
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** One way to answer every refusal of the edge: the table's status, the contract's code, the refusal's extensions and headers. */
export function sendRefusal(res: http.ServerResponse, e: AppError): void {
  const details = (e.details ?? {}) as RefusalDetails;
  sendJson(res, httpStatusOf(e.code), errorBody(toGraphQLCode(e.code), e.message, details.extensions), details.headers);
}

class BodyTooLarge extends Error {}

/** A POST body as read: its text, or why it could not be read. */
export type BodyRead = { text: string } | { error: unknown };

/**
 * The body, up to `limit` bytes, given to `done` once (in the turn its last
 * chunk arrives: no promise). A larger one is read to its end and thrown
 * away (up to four times the limit), so that the client, still uploading,
 * gets the 413 answer instead of a reset connection; beyond that the
 * connection is cut.
 */
export function readBodyText(req: http.IncomingMessage, limit: number, done: (read: BodyRead) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (read: BodyRead) => {
    if (settled) return;
    settled = true;
    done(read);
  };
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      chunks.length = 0;
      if (size > limit * 4) {
        settle({ error: new BodyTooLarge() });
        req.destroy();
      }
      return;
    }
    chunks.push(chunk);
  });
  // A small body is one chunk: decoded as it is, not copied into a new buffer first.
  req.on('end', () => settle(size > limit ? { error: new BodyTooLarge() }
    : { text: chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8') }));
  req.on('error', (error) => settle({ error }));
}

/** POST: the declared length and the content type, refused before a byte of the body is read. */
export function checkBodyHeaders(req: http.IncomingMessage, maxBodyBytes: number): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBodyBytes) throw bodyTooLarge(maxBodyBytes);
  const mime = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mime !== 'application/json') {
    throw refusal(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `POST /graphql takes content-type application/json, not "${mime.slice(0, 100) || 'none'}"`);
  }
}

function bodyTooLarge(maxBodyBytes: number): AppError {
  return refusal(ErrorCode.PAYLOAD_TOO_LARGE, `The request body exceeds ${maxBodyBytes} bytes`, { headers: { connection: 'close' } });
}

/**
 * POST: a JSON body of at most `maxBodyBytes`, refused on its declared
 * length before a byte is read; its text, read (jsonBodyGuard parses it),
 * or taken as the hit lane read it (`read`, src/http/hit-lane.ts).
 */
export function bodyGuard(maxBodyBytes: number): Guard {
  return async (r) => {
    if (r.req.method !== 'POST') return;
    checkBodyHeaders(r.req, maxBodyBytes);
    const read = r.read ?? await new Promise<BodyRead>((resolve) => readBodyText(r.req, maxBodyBytes, resolve));
    if ('error' in read) throw read.error instanceof BodyTooLarge ? bodyTooLarge(maxBodyBytes) : read.error;
    r.text = read.text;
  };
}

/** POST: the body's text as JSON (an empty body: none). */
export const jsonBodyGuard: Guard = (r) => {
  if (r.req.method !== 'POST' || r.text === '') return;
  try {
    r.body = JSON.parse(r.text);
  } catch {
    throw refusal(ErrorCode.MALFORMED_REQUEST, 'The request body is not valid JSON');
  }
};

/** How deeply request JSON (variables, extensions) may nest; the deepest valid input (a framework) needs about 25. */
export const MAX_JSON_DEPTH = 100;

/** Whether arrays and objects in `value` nest more than `max` levels deep (iterative: no recursion to overflow). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** The JSON-valued parameters of a GET request, parsed where they parse (Apollo refuses the others). */
function getJsonParams(url: URL): unknown[] {
  const out: unknown[] = [];
  for (const name of ['variables', 'extensions']) {
    const raw = url.searchParams.get(name);
    if (raw === null) continue;
    try { out.push(JSON.parse(raw)); } catch { /* Apollo refuses it */ }
  }
  return out;
}

/** graphql-js coerces variables recursively: a few thousand levels would overflow the stack. */
export const jsonDepthGuard: Guard = (r) => {
  if (nestedDeeperThan(r.req.method === 'GET' ? getJsonParams(r.url) : r.body, MAX_JSON_DEPTH)) {
    throw refusal(ErrorCode.MALFORMED_REQUEST, `The request nests values more than ${MAX_JSON_DEPTH} levels deep`);
  }
};

/** A document over the byte limit is refused before it is parsed. */
export function documentSizeGuard(limits: Pick<QueryLimits, 'maxDocumentBytes'>): Guard {
  return (r) => {
    const bytes = documentBytes(r.body, r.req.method === 'GET' ? r.url.searchParams : null);
    if (bytes > limits.maxDocumentBytes) {
      throw refusal(ErrorCode.DOCUMENT_TOO_LARGE, `The GraphQL document is ${bytes} bytes; the limit is ${limits.maxDocumentBytes}`,
        { extensions: { reason: 'DOCUMENT_TOO_LARGE', size: bytes, limit: limits.maxDocumentBytes } });
    }
  };
}

/** While the health probe says the database is gone, nothing is tried: an honest 503 at once. */
export function databaseGuard(health: Pick<DatabaseHealth, 'ready'>): Guard {
  return () => {
    if (!health.ready) {
      throw refusal(ErrorCode.SERVICE_UNAVAILABLE, 'The database is unavailable; nothing was stored. Retry the same request later.',
        { headers: { 'retry-after': '1' } });
    }
  };
}

/** Anonymous requests per IP: true when this one may go on. */
export interface AnonymousRate {
  take(ip: string): boolean | Promise<boolean>;
  retryAfter(ip: string): number;
  readonly ratePerSec: number;
}

function anonymousRefusal(rate: AnonymousRate, ip: string): AppError {
  return refusal(ErrorCode.RATE_LIMITED, `Too many requests from ${ip}; anonymous readers may make ${rate.ratePerSec} per second`,
    { headers: { 'retry-after': String(Math.max(1, rate.retryAfter(ip))) } });
}

/**
 * The bearer token, resolved to a principal. A refused token costs its IP
 * like an anonymous request (guessing tokens is rate-limited too) and is
 * answered 401; a pool too busy to look it up is 429, never 401 or 503.
 */
export function tokenGuard(authenticate: (header: string | undefined) => Promise<Principal | null>, rate: AnonymousRate): Guard {
  const check = async (r: EdgeRequest) => {
    try {
      r.principal = await authenticate(r.req.headers.authorization);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      if (e.code === ErrorCode.SERVICE_BUSY) {
        throw refusal(e.code, e.message, { extensions: { reason: e.code, ...(e.details ?? {}) }, headers: { 'retry-after': String(e.details?.retryAfter ?? 1) } });
      }
      if (!(await rate.take(r.ip))) throw anonymousRefusal(rate, r.ip);
      throw refusal(e.code, e.message, { extensions: { reason: e.code }, headers: { 'www-authenticate': 'Bearer' } });
    }
  };
  // No token: an anonymous reader, known at once (nothing to wait for).
  return (r) => {
    if (hasToken(r.req.headers.authorization)) return check(r);
    r.principal = null;
  };
}

/** Anonymous readers are limited per IP; callers with a token by their budgets (src/protection/caller-budgets.ts). */
export function anonymousRateGuard(rate: AnonymousRate): Guard {
  return (r) => {
    if (r.principal !== null) return;
    // A limit answered at once (the in-process buckets) is decided at once; one that asks Redis is awaited.
    const taken = rate.take(r.ip);
    if (typeof taken === 'boolean') {
      if (!taken) throw anonymousRefusal(rate, r.ip);
      return;
    }
    return taken.then((ok) => {
      if (!ok) throw anonymousRefusal(rate, r.ip);
    });
  };
}

/**
 * Runs the guards in order; the first refusal stops the request (thrown,
 * or the returned promise rejected). Only a guard that returns a promise is
 * waited for, and a promise is returned only then: when every guard decides
 * at once (JSON depth, document size, database, an anonymous reader's rate
 * in process), the request costs no turn of the microtask queue.
 */
export function passGuards(guards: readonly Guard[], request: EdgeRequest, from = 0): void | Promise<void> {
  for (let i = from; i < guards.length; i++) {
    const pending = guards[i](request);
    if (pending !== undefined) return pending.then(() => passGuards(guards, request, i + 1));
  }
}
