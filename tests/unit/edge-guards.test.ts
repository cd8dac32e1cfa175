import type http from 'node:http';
import { PassThrough } from 'node:stream';
import { AppError, ErrorCode } from '../../src/errors/app-error';
import { httpStatusOf } from '../../src/errors/http-status';
import {
  anonymousRateGuard, bodyGuard, databaseGuard, documentSizeGuard, jsonBodyGuard, jsonDepthGuard, MAX_JSON_DEPTH, passGuards, tokenGuard,
  type AnonymousRate, type EdgeRequest, type Guard,
} from '../../src/http/guards';

/** A request as node:http hands it over: a readable body with a method and headers. */
function request(method: string, headers: Record<string, string>, body?: string | Buffer, path = '/graphql'): EdgeRequest {
  const stream = new PassThrough();
  Object.assign(stream, { method, headers, url: path });
  if (body !== undefined) stream.end(body); else stream.end();
  return { req: stream as unknown as http.IncomingMessage, url: new URL(path, 'http://localhost'), ip: '10.0.0.1', text: '', body: undefined, principal: null };
}

async function refusalOf(guard: Guard, r: EdgeRequest): Promise<AppError> {
  try {
    await guard(r);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('the guard let the request through');
}

function rate(allowed: number): AnonymousRate & { taken: string[] } {
  const taken: string[] = [];
  return { ratePerSec: 50, taken, take: (ip) => { taken.push(ip); return taken.length <= allowed; }, retryAfter: () => 3 };
}

describe('the HTTP status table', () => {
  it('gives each code its status: the precise ones first, then by contract code', () => {
    expect(httpStatusOf(ErrorCode.PAYLOAD_TOO_LARGE)).toBe(413);
    expect(httpStatusOf(ErrorCode.UNSUPPORTED_MEDIA_TYPE)).toBe(415);
    expect(httpStatusOf(ErrorCode.METHOD_NOT_ALLOWED)).toBe(405);
    expect(httpStatusOf(ErrorCode.DOCUMENT_TOO_LARGE)).toBe(413);
    expect(httpStatusOf(ErrorCode.MALFORMED_REQUEST)).toBe(400);
    expect(httpStatusOf(ErrorCode.INVALID_TOKEN)).toBe(401);
    expect(httpStatusOf(ErrorCode.FORBIDDEN)).toBe(403);
    expect(httpStatusOf(ErrorCode.UNIT_NOT_FOUND)).toBe(404);
    expect(httpStatusOf(ErrorCode.CYCLE_PUBLISHED)).toBe(409);
    expect(httpStatusOf(ErrorCode.SERVICE_BUSY)).toBe(429);
    expect(httpStatusOf(ErrorCode.SERVICE_UNAVAILABLE)).toBe(503);
  });
});

describe('bodyGuard', () => {
  const guard = bodyGuard(100);

  it('reads a JSON body within the limit; jsonBodyGuard parses it', async () => {
    const r = request('POST', { 'content-type': 'application/json; charset=utf-8' }, '{"query":"{ __typename }"}');
    await guard(r);
    expect(r.text).toBe('{"query":"{ __typename }"}');
    expect(r.body).toBeUndefined();
    jsonBodyGuard(r);
    expect(r.body).toEqual({ query: '{ __typename }' });
  });

  it('leaves GET alone', async () => {
    const r = request('GET', {});
    await guard(r);
    expect(r.body).toBeUndefined();
  });

  it('refuses a declared length over the limit before reading, and closes the connection', async () => {
    const e = await refusalOf(guard, request('POST', { 'content-type': 'application/json', 'content-length': '101' }, 'x'.repeat(101)));
    expect(e.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    expect(e.message).toBe('The request body exceeds 100 bytes');
    expect(e.details).toMatchObject({ headers: { connection: 'close' } });
  });

  it('refuses a body that turns out larger than the limit without a declared length', async () => {
    const e = await refusalOf(guard, request('POST', { 'content-type': 'application/json' }, `{"query":"${'x'.repeat(200)}"}`));
    expect(e.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
  });

  it('refuses another content type, naming it', async () => {
    const e = await refusalOf(guard, request('POST', { 'content-type': 'text/plain' }, '{}'));
    expect(e.code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    expect(e.message).toContain('"text/plain"');
  });

  it('refuses a body that is not JSON', async () => {
    const r = request('POST', { 'content-type': 'application/json' }, '{"query":');
    await guard(r);
    const e = await refusalOf(jsonBodyGuard, r);
    expect(e.code).toBe(ErrorCode.MALFORMED_REQUEST);
    expect(e.message).toBe('The request body is not valid JSON');
  });
});

describe('jsonDepthGuard', () => {
  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  it(`lets ${MAX_JSON_DEPTH} levels through and refuses one more, in a body or a GET parameter`, async () => {
    const ok = request('POST', {});
    ok.body = { variables: JSON.parse(nested(MAX_JSON_DEPTH - 1)) };
    await jsonDepthGuard(ok);
    const deep = request('POST', {});
    deep.body = { variables: JSON.parse(nested(MAX_JSON_DEPTH)) };
    expect((await refusalOf(jsonDepthGuard, deep)).code).toBe(ErrorCode.MALFORMED_REQUEST);
    const get = request('GET', {}, undefined, `/graphql?query=%7Ba%7D&variables=${encodeURIComponent(nested(5000))}`);
    expect((await refusalOf(jsonDepthGuard, get)).code).toBe(ErrorCode.MALFORMED_REQUEST);
  });
});

describe('documentSizeGuard', () => {
  it('measures the document, not the body, and names size and limit', async () => {
    const guard = documentSizeGuard({ maxDocumentBytes: 20 });
    const small = request('POST', {});
    small.body = { query: '{ __typename }', variables: { big: 'x'.repeat(1000) } };
    await guard(small);
    const big = request('POST', {});
    big.body = { query: `{ ${'a '.repeat(20)}}` };
    const e = await refusalOf(guard, big);
    expect(e.code).toBe(ErrorCode.DOCUMENT_TOO_LARGE);
    expect(e.details).toMatchObject({ extensions: { reason: 'DOCUMENT_TOO_LARGE', size: 43, limit: 20 } });
  });
});

describe('databaseGuard', () => {
  it('answers 503 with Retry-After at once while the database is down', async () => {
    await databaseGuard({ ready: true })(request('GET', {}));
    const e = await refusalOf(databaseGuard({ ready: false }), request('GET', {}));
    expect(e.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
    expect(e.details).toMatchObject({ headers: { 'retry-after': '1' } });
  });
});

describe('tokenGuard', () => {
  it('sets the principal of a good token', async () => {
    const principal = { kind: 'token' as const, role: 'ADMIN' as never, name: 'a', tokenId: 1 };
    const r = request('GET', { authorization: 'Bearer x' });
    await tokenGuard(async () => principal, rate(10))(r);
    expect(r.principal).toBe(principal);
  });

  it('answers a refused token 401 with WWW-Authenticate, charging its IP like an anonymous request', async () => {
    const limiter = rate(1);
    const guard = tokenGuard(async () => { throw new AppError(ErrorCode.INVALID_TOKEN, 'The token is not valid'); }, limiter);
    const first = await refusalOf(guard, request('GET', { authorization: 'Bearer bad' }));
    expect(first.code).toBe(ErrorCode.INVALID_TOKEN);
    expect(first.details).toMatchObject({ extensions: { reason: 'INVALID_TOKEN' }, headers: { 'www-authenticate': 'Bearer' } });
    const second = await refusalOf(guard, request('GET', { authorization: 'Bearer bad' }));
    expect(second.code).toBe(ErrorCode.RATE_LIMITED);
    expect(limiter.taken).toEqual(['10.0.0.1', '10.0.0.1']);
  });

  it('answers a pool too busy to look the token up 429, not 401', async () => {
    const guard = tokenGuard(async () => { throw new AppError(ErrorCode.SERVICE_BUSY, 'busy', undefined, { retryAfter: 2 }); }, rate(0));
    const e = await refusalOf(guard, request('GET', { authorization: 'Bearer x' }));
    expect(e.code).toBe(ErrorCode.SERVICE_BUSY);
    expect(e.details).toMatchObject({ extensions: { reason: 'SERVICE_BUSY', retryAfter: 2 }, headers: { 'retry-after': '2' } });
  });

  it('lets other failures through unchanged (the edge answers them 500 or 503)', async () => {
    const boom = new Error('connection refused');
    await expect(tokenGuard(async () => { throw boom; }, rate(10))(request('GET', { authorization: 'Bearer x' }))).rejects.toBe(boom);
  });

  it('knows an anonymous reader (no header, or a blank one) at once, without asking for a token', () => {
    let asked = 0;
    const guard = tokenGuard(async () => { asked++; return null; }, rate(10));
    for (const headers of [{}, { authorization: '' }, { authorization: '   ' }] as Record<string, string>[]) {
      const r = request('GET', headers);
      r.principal = { kind: 'token', role: 'ADMIN' as never, name: 'left over', tokenId: 1 };
      expect(guard(r)).toBeUndefined();
      expect(r.principal).toBeNull();
    }
    expect(asked).toBe(0);
  });
});

describe('anonymousRateGuard', () => {
  it('counts anonymous requests only', async () => {
    const limiter = rate(1);
    const guard = anonymousRateGuard(limiter);
    const withToken = request('GET', {});
    withToken.principal = { kind: 'token', role: 'ANALYST' as never, name: 'x', tokenId: 2 };
    await guard(withToken);
    await guard(request('GET', {}));
    const e = await refusalOf(guard, request('GET', {}));
    expect(e.code).toBe(ErrorCode.RATE_LIMITED);
    expect(e.message).toBe('Too many requests from 10.0.0.1; anonymous readers may make 50 per second');
    expect(e.details).toMatchObject({ headers: { 'retry-after': '3' } });
  });
});

describe('passGuards', () => {
  it('runs the guards in order and stops at the first refusal', async () => {
    const ran: string[] = [];
    const guards: Guard[] = [
      () => { ran.push('a'); },
      () => { ran.push('b'); throw new AppError(ErrorCode.MALFORMED_REQUEST, 'no'); },
      () => { ran.push('c'); },
    ];
    // Every guard decides at once: the refusal is thrown at once, no promise made.
    expect(() => passGuards(guards, request('GET', {}))).toThrow(AppError);
    expect(ran).toEqual(['a', 'b']);
  });

  it('waits for a guard that returns a promise, then goes on in order; a later refusal rejects the promise', async () => {
    const ran: string[] = [];
    const guards: Guard[] = [
      () => { ran.push('a'); },
      async () => { await new Promise((r) => setTimeout(r, 5)); ran.push('b'); },
      () => { ran.push('c'); throw new AppError(ErrorCode.MALFORMED_REQUEST, 'no'); },
      () => { ran.push('d'); },
    ];
    const pending = passGuards(guards, request('GET', {}));
    expect(ran).toEqual(['a']);
    await expect(pending).rejects.toBeInstanceOf(AppError);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(passGuards([() => { ran.push('e'); }], request('GET', {}))).toBeUndefined();
  });
});
