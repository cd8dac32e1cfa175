import net from 'node:net';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';

/** The HTTP face against hostile or careless clients: limits, CORS, security headers. */
let t: TestService;
let base: string;
const PORTAL = 'https://portal.example.gov.vn';

beforeAll(async () => {
  t = await startTestService({
    corsOrigins: [PORTAL], anonymousRatePerSec: 1, anonymousBurst: 3, maxBodyBytes: 4096,
    headersTimeoutMs: 1000, requestTimeoutMs: 2000,
  });
  base = t.url.replace('/graphql', '');
});
afterAll(async () => { await t?.stop(); });

const query = (token?: string) => fetch(t.url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify({ query: '{ units { totalCount } }' }),
});

test('every answer carries the security headers', async () => {
  for (const res of [await fetch(`${base}/healthz`), await query(ADMIN_TOKEN)]) {
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  }
});

test('CORS answers a listed portal origin, and only it', async () => {
  const preflight = (origin: string) => fetch(t.url, {
    method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
  });
  const allowed = await preflight(PORTAL);
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe(PORTAL);
  expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
  const other = await preflight('https://evil.example');
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
});

test('anonymous readers are limited per IP (burst 3, then RATE_LIMITED); a token is not', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await query()).status);
  expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
  const limited = await query();
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(((await limited.json()) as any).errors[0].extensions.code).toBe('RATE_LIMITED');
  expect((await query(ADMIN_TOKEN)).status).toBe(200);
});

test('a body over MAX_BODY_BYTES is refused with 413 BAD_USER_INPUT and nothing runs', async () => {
  const res = await fetch(t.url, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ query: `mutation { createUnit(input: {code: "BIG", name: "${'x'.repeat(5000)}", kind: DEPARTMENT}) { code } }` }),
  });
  expect(res.status).toBe(413);
  expect(((await res.json()) as any).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  expect(await t.sql(`SELECT count(*)::int AS n FROM unit WHERE code = 'BIG'`)).toEqual([{ n: 0 }]);
});

test('a client that never finishes its headers is cut off after the headers timeout', async () => {
  const { port } = new URL(t.url);
  const started = Date.now();
  const closed = await new Promise<{ ms: number; data: string }>((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\n'));
    let data = '';
    socket.on('data', (d) => { data += d.toString(); });
    socket.on('close', () => resolve({ ms: Date.now() - started, data }));
  });
  expect(closed.ms).toBeLessThan(4000);
  expect(closed.data).toMatch(/^HTTP\/1\.1 408/);
  // The server still serves others.
  expect((await query(ADMIN_TOKEN)).status).toBe(200);
});
