import http from 'node:http';
import net from 'node:net';
import { getIntrospectionQuery } from 'graphql';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { buildProvince, registerKiosk, response, SUBMIT } from './survey-fixtures';

/**
 * Issue 11: under hostile load no caller takes the service from the others.
 * A busy pool is not an outage; kiosk ingestion has capacity readers cannot
 * take; each caller (IP or token) has a cost budget over time; introspection
 * is counted; client aborts are not errors; a huge declared body is refused
 * before it is read.
 */
let t: TestService;
let kioskToken: string;

beforeAll(async () => {
  t = await startTestService({
    poolSize: 2, workPoolSize: 2, poolWaitMs: 300, connectTimeoutMs: 1000, dbHealthIntervalMs: 200, maxBodyBytes: 4096,
    callerBudgets: { costPerSecAnonymous: 100, costPerSecToken: 100_000, dbMsPerSec: 300, dbSharePercent: 30, maxConcurrent: 4 },
  });
  await buildProvince(t);
  kioskToken = (await registerKiosk(t, 'STP', 'Quầy 1')).token;
});
afterAll(async () => { await t?.stop(); });

/** A comment that makes each document new to the response cache, as a flooding client would. */
let nonces = 0;
const nonce = () => `#${++nonces}\n`;

interface Answer { status: number; headers: http.IncomingHttpHeaders; json: any; ms: number }

/** A GraphQL POST from a chosen loopback address (each address is its own anonymous caller). */
function post(query: string, options: { from?: string; token?: string; variables?: Record<string, unknown> } = {}): Promise<Answer> {
  const url = new URL(t.url);
  const body = JSON.stringify({ query, variables: options.variables ?? {} });
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: options.from ?? '127.0.0.1',
      headers: {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')), ms: Date.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a pool held busy is not an outage', () => {
  test('readers wait a bounded time and are told "busy" (RATE_LIMITED, Retry-After); /readyz stays ready; kiosks still store', async () => {
    // Every connection of the readers' pool held for 2.5 s, longer than the 1 s connect timeout.
    const held = [t.service.db.query('SELECT pg_sleep(2.5)'), t.service.db.query('SELECT pg_sleep(2.5)')];
    await new Promise((r) => setTimeout(r, 100));
    try {
      const read = await post('{ units { totalCount } }', { token: ADMIN_TOKEN });
      expect(read.json.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(read.json.errors[0].extensions.reason).toBe('SERVICE_BUSY');
      expect(read.json.errors[0].message).toMatch(/busy/);
      expect(read.status).not.toBe(503);
      expect(read.headers['retry-after']).toMatch(/^\d+$/);
      expect(read.ms).toBeLessThan(1500);

      const ready = await fetch(t.url.replace('/graphql', '/readyz'));
      expect(ready.status).toBe(200);
      expect(t.service.health.ready).toBe(true);

      // Kiosk ingestion (authentication, questionnaire, insert) runs on the work pool, untouched by readers.
      const submitted = await post(SUBMIT, { token: kioskToken, variables: { input: response() } });
      expect(submitted.json.errors).toBeUndefined();
      expect(submitted.json.data.submitSurveyResponse.status).toBe('ACCEPTED');
      expect(submitted.ms).toBeLessThan(1000);
      // And the background roll-up gets its connection too: the response is rolled up while the readers' pool is
      // held, by this call or by the service's own timer (which may have taken it first: this call then finds none).
      const rollUpStarted = Date.now();
      await t.service.services.tallies.rollUp();
      expect(Date.now() - rollUpStarted).toBeLessThan(1000);
      const untallied = async () => (await t.sql(`SELECT count(*)::int AS n FROM survey_response WHERE NOT tallied`))[0].n;
      for (let i = 0; i < 20 && (await untallied()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await untallied()).toBe(0);
    } finally {
      await Promise.all(held);
    }
    expect(t.service.health.ready).toBe(true);
    const after = await post('{ units { totalCount } }', { token: ADMIN_TOKEN });
    expect(after.json.data.units.totalCount).toBe(3);
  });
});

describe('budgets per caller', () => {
  // Five province-wide satisfaction fields: 5 × (500 scanned + 50 listed) = 2,750 of the anonymous 3,000 per operation.
  const fiveWide = `{ ${[1, 2, 3, 4, 5].map((i) => `s${i}: satisfaction(year: 2024) { key }`).join(' ')} }`;

  test('satisfaction is priced by what it scans: 30 aliased province-wide fields are over one operation\'s budget', async () => {
    const thirty = `{ ${Array.from({ length: 30 }, (_, i) => `s${i}: satisfaction(year: 2024) { key }`).join(' ')} }`;
    const r = await post(thirty, { from: '127.0.0.21' });
    expect(r.json.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(r.json.errors[0].extensions.reason).toBe('COST');
    expect(r.json.errors[0].extensions.cost).toBe(30 * 550);
    // One unit's tallies cost a tenth of the province's.
    const unit = await post(`{ ${[1, 2, 3, 4, 5].map((i) => `s${i}: satisfaction(year: 2024, unitCode: "STP") { key }`).join(' ')} #${'x'}\n}`, { from: '127.0.0.21', token: ADMIN_TOKEN });
    expect(unit.json.errors).toBeUndefined();
  });

  test('an IP\'s operations are charged by their cost: over its rate it is RATE_LIMITED with Retry-After, other callers are not', async () => {
    const first = await post(nonce() + fiveWide, { from: '127.0.0.22' });
    expect(first.status).toBe(200);
    expect((first.json.errors ?? []).filter((e: any) => e.extensions.code === 'RATE_LIMITED')).toEqual([]);
    const second = await post(nonce() + fiveWide, { from: '127.0.0.22' });
    expect(second.status).toBe(429);
    expect(second.json.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(second.json.errors[0].extensions.reason).toBe('COST_RATE');
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another IP, and a token, have budgets of their own.
    const other = await post(nonce() + fiveWide, { from: '127.0.0.23' });
    expect(other.status).toBe(200);
    expect((other.json.errors ?? []).filter((e: any) => e.extensions.code === 'RATE_LIMITED')).toEqual([]);
    const token = await post(nonce() + fiveWide, { from: '127.0.0.22', token: ADMIN_TOKEN });
    expect(token.json.errors).toBeUndefined();
    expect(token.json.data.s1).toEqual(expect.any(Array));
  });
});

describe('refused operations cost their caller', () => {
  test('a caller repeating an over-limit document is refused at the door, before its next document is even parsed', async () => {
    const thirty = `{ ${Array.from({ length: 30 }, (_, i) => `s${i}: satisfaction(year: 2024) { key }`).join(' ')} }`;
    // A refusal costs the operation budget (3,000, refilling at 100 per second), or the operation's own cost when that
    // is more: this one's 16,500 empties the bucket (3,000) and leaves it in debt by a burst, 30 s of refilling.
    const refused = await post(nonce() + thirty, { from: '127.0.0.24' });
    expect(refused.json.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'COST', cost: 16_500 });
    // Not even a document that does not parse gets to the parser.
    const next = await post('{ unclosed', { from: '127.0.0.24' });
    expect(next.status).toBe(429);
    expect(next.json.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'COST_RATE' });
    // Charged the budget only, the bucket would be empty, not in debt: back in 1 s.
    expect(Number(next.headers['retry-after'])).toBeGreaterThanOrEqual(30);
    expect(Number(next.headers['retry-after'])).toBeLessThanOrEqual(31);
    // Another IP is parsed and told what is wrong with its document.
    const other = await post('{ unclosed', { from: '127.0.0.25' });
    expect(other.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'GRAPHQL_PARSE_FAILED' });
  });
});

describe('introspection is counted', () => {
  test('the IDE\'s one introspection query passes; two __schema in one operation, or one asking the schema twice over, are refused', async () => {
    const ide = await post(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true }), { from: '127.0.0.31' });
    expect(ide.json.errors).toBeUndefined();
    expect(ide.json.data.__schema.queryType.name).toBe('Query');

    const two = await post('{ a: __schema { types { name } } b: __schema { types { name } } }', { from: '127.0.0.31' });
    expect(two.json.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(two.json.errors[0].extensions.reason).toBe('TOO_MUCH_INTROSPECTION');

    // The IDE's query with its types asked twice over (the fragments are graphql-js's own).
    const fragments = getIntrospectionQuery().slice(getIntrospectionQuery().indexOf('fragment FullType'));
    // From another IP: the refusal above cost 127.0.0.31 its budget (see 'refused operations cost their caller').
    const doubled = await post(`{ __schema { a: types { ...FullType } b: types { ...FullType } } }\n${fragments}`, { from: '127.0.0.33' });
    expect(doubled.json.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(doubled.json.errors[0].extensions.reason).toBe('INTROSPECTION_TOO_LARGE');
  });

  test('each __schema is charged to its caller: an IP repeating it is RATE_LIMITED', async () => {
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) codes.push((await post(`${nonce()}{ __schema { queryType { name } } }`, { from: '127.0.0.32' })).json.errors?.[0]?.extensions?.code);
    // 2,500 each from a bucket of 3,000 refilling at 100 per second.
    expect(codes).toEqual([undefined, 'RATE_LIMITED', 'RATE_LIMITED']);
  });
});

describe('HTTP edges', () => {
  test('a client aborting its request is not logged as an error', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => { lines.push(String(chunk)); return true; });
    try {
      const url = new URL(t.url);
      await new Promise<void>((resolve) => {
        const socket = net.connect(Number(url.port), url.hostname, () => {
          socket.write(`POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2000\r\n\r\n{"query": "`);
          setTimeout(() => { socket.destroy(); resolve(); }, 100);
        });
      });
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      spy.mockRestore();
    }
    expect(lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    // The service still answers.
    expect((await post('{ units { totalCount } }', { token: ADMIN_TOKEN })).json.data.units.totalCount).toBe(3);
  });

  test('a declared 1 GB body is refused with 413 before any of it is read', async () => {
    const url = new URL(t.url);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = net.connect(Number(url.port), url.hostname, () => {
        socket.write(`POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${1024 ** 3}\r\n\r\n{"query": "`);
      });
      socket.on('data', (c) => { text += c.toString('utf8'); if (text.includes('\r\n\r\n')) { socket.destroy(); resolve(text); } });
      socket.on('error', reject);
      setTimeout(() => { socket.destroy(); resolve(text); }, 2000).unref();
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(answer.toLowerCase()).toContain('connection: close');
  });
});
