import net from 'node:net';
import type { Level } from '../../src/config/logger';
import { startTestService, type TestService } from '../support/test-service';

/*
 * Issue 12: the hit lane (src/http/hit-lane.ts). An anonymous reader's
 * kept answer is written in the turn its body arrives, its headers in one
 * writeHead; everything else goes on to the full edge with the body the
 * lane read, in the request's async context. Here over real sockets: a body
 * that comes after its headers, GET, CORS, refusals on a hit, a chunked
 * body over the limit.
 */

// Every logger of this file writes into `lines`: the request lines show what the request's async context knew.
const lines: string[] = [];
jest.mock('../../src/config/logger', () => {
  const actual = jest.requireActual('../../src/config/logger');
  return { ...actual, createLogger: (_level?: Level) => actual.createLogger('debug', (line: string) => lines.push(line)) };
});

const PORTAL = 'https://portal.example.vn';
let t: TestService;
beforeAll(async () => {
  t = await startTestService({ logRequests: true, corsOrigins: [PORTAL], maxBodyBytes: 4096 });
});
afterAll(async () => { await t?.stop(); });

interface RawAnswer { status: number; headers: Record<string, string>; body: string }

/** One request over its own socket, written in `parts` with a pause between them; the whole answer, read by its content-length. */
function raw(parts: string[], pauseMs = 60): Promise<RawAnswer> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.setNoDelay(true);
    let got = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...headerLines] = got.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length']);
      if (got.length < end + 4 + length) return;
      socket.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: got.subarray(end + 4, end + 4 + length).toString('utf8') });
    });
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, pauseMs));
        socket.write(part);
      }
    });
  });
}

const head = (body: string, extra = '') =>
  `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`;
const requestLines = (from: number) => lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === 'request');

test('a body that arrives after its headers: a kept answer is a hit, and a miss goes on in its own request\'s context', async () => {
  const body = JSON.stringify({ query: '{ units { totalCount } } # split-1' });
  const from = lines.length;
  const miss = await raw([head(body), body.slice(0, 10), body.slice(10)]);
  const hit = await raw([head(body), body]);
  expect(miss.status).toBe(200);
  expect(miss.headers['x-cache']).toBeUndefined();
  expect(JSON.parse(miss.body)).toEqual({ data: { units: { totalCount: 0 } } });
  expect(hit.status).toBe(200);
  expect(hit.headers['x-cache']).toBe('HIT');
  expect(hit.body).toBe(miss.body);
  for (const answer of [miss, hit]) {
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  }
  expect(hit.headers['x-request-id']).not.toBe(miss.headers['x-request-id']);
  expect(hit.headers['cache-control']).toBe(miss.headers['cache-control']);
  // The miss's operation was noted by Apollo's plugin from the request's async context, which the lane took along.
  const logged = requestLines(from);
  expect(logged.find((e) => e.requestId === miss.headers['x-request-id'])).toMatchObject({ status: 200, operation: 'query units', outcome: 'ok' });
  expect(logged.find((e) => e.requestId === hit.headers['x-request-id'])).toMatchObject({ status: 200, operation: 'cached', outcome: 'ok' });
});

test('GET: the kept answer of the same query string is a hit with the same headers', async () => {
  const url = `${t.url}?query=${encodeURIComponent('{ units { totalCount } } # get-1')}`;
  const first = await fetch(url);
  const second = await fetch(url);
  expect([first.status, second.status]).toEqual([200, 200]);
  expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual([null, 'HIT']);
  expect(await second.text()).toBe(await first.text());
  expect(second.headers.get('referrer-policy')).toBe('no-referrer');
  expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
});

test('a request CORS answers for is served by the full edge, with its CORS headers, hit or not', async () => {
  const body = JSON.stringify({ query: '{ units { totalCount } } # cors-1' });
  const ask = () => fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', origin: PORTAL }, body });
  const first = await ask();
  const second = await ask();
  expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual([null, 'HIT']);
  for (const r of [first, second]) {
    expect(r.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  }
});

test('a kept answer is refused while the database is down: 503 with the standard headers, noted in the request\'s line', async () => {
  const body = JSON.stringify({ query: '{ units { totalCount } } # down-1' });
  expect((await raw([head(body) + body])).status).toBe(200);
  const down = jest.spyOn(t.service.health, 'ready', 'get').mockReturnValue(false);
  const from = lines.length;
  try {
    const refused = await raw([head(body), body]);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['x-cache']).toBeUndefined();
    expect(refused.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(requestLines(from).find((e) => e.requestId === refused.headers['x-request-id'])).toMatchObject({ status: 503, outcome: 'SERVICE_UNAVAILABLE' });
  } finally {
    down.mockRestore();
  }
  expect((await raw([head(body) + body])).headers['x-cache']).toBe('HIT');
});

test('a chunked body over the limit read by the lane is refused 413; one that is not JSON is refused 415 as before', async () => {
  const big = JSON.stringify({ query: '{ units { totalCount } }', variables: { pad: 'x'.repeat(5000) } });
  const chunked = `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`
    + `${Buffer.byteLength(big).toString(16)}\r\n${big}\r\n0\r\n\r\n`;
  const tooLarge = await raw([chunked]);
  expect(tooLarge.status).toBe(413);
  expect(JSON.parse(tooLarge.body).errors[0].message).toBe('The request body exceeds 4096 bytes');
  const text = JSON.stringify({ query: '{ units { totalCount } } # split-1' });
  const plain = await raw([`POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`]);
  expect(plain.status).toBe(415);
});
