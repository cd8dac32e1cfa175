import http from 'node:http';
import { startTestService, type TestService } from '../support/test-service';
import { buildProvince } from './survey-fixtures';

/*
 * Issue 12, the hot path of /graphql: a whole answer goes out with its
 * length (not in chunks), and a response-cache hit sends the very bytes and
 * headers of the answer it stored (encoded once, when stored), with its own
 * request id and X-Cache: HIT. Unit names are Vietnamese, so bytes and
 * characters differ: a length counted in characters would cut the answer.
 */

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
  await buildProvince(t);
});
afterAll(async () => { await t?.stop(); });

interface Raw { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function post(body: string, headers: Record<string, string> = {}): Promise<Raw> {
  const u = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const UNITS = JSON.stringify({ query: '{ units(kind: DEPARTMENT) { edges { node { code name } } } }' });

test('a miss and its hit: the same bytes and headers, each with its length; the hit with its own request id', async () => {
  const miss = await post(UNITS, { 'x-request-id': 'first-1' });
  const hit = await post(UNITS, { 'x-request-id': 'second-2' });
  expect(miss.status).toBe(200);
  expect(hit.status).toBe(200);
  const names = (JSON.parse(miss.body.toString('utf8')) as { data: { units: { edges: { node: { name: string } }[] } } })
    .data.units.edges.map((e) => e.node.name).sort();
  expect(names).toEqual(['Sở Tư pháp', 'Sở Y tế']);
  // "ở" and "ế" are 3 bytes each in UTF-8: the length is in bytes.
  expect(miss.body.length).toBeGreaterThan(miss.body.toString('utf8').length);
  for (const r of [miss, hit]) {
    expect(r.headers['content-length']).toBe(String(r.body.length));
    expect(r.headers['transfer-encoding']).toBeUndefined();
  }
  expect(hit.body.equals(miss.body)).toBe(true);
  expect(miss.headers['x-cache']).toBeUndefined();
  expect(hit.headers['x-cache']).toBe('HIT');
  expect(miss.headers['x-request-id']).toBe('first-1');
  expect(hit.headers['x-request-id']).toBe('second-2');
  const shown = (h: http.IncomingHttpHeaders) => {
    const { date: _date, 'x-request-id': _id, 'x-cache': _cache, ...rest } = h;
    return rest;
  };
  expect(shown(hit.headers)).toEqual(shown(miss.headers));
  expect(miss.headers['cache-control']).toBe('public, max-age=60');
});

test('an answer Apollo refuses also carries its length', async () => {
  const r = await post(JSON.stringify({ query: '{ nope }' }));
  // application/json: errors are answered 200 (src/protection/http-status.ts), as before.
  expect(r.status).toBe(200);
  expect(r.headers['content-length']).toBe(String(r.body.length));
  expect((JSON.parse(r.body.toString('utf8')) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('BAD_USER_INPUT');
});
