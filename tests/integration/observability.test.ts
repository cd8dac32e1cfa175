import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import type { Level } from '../../src/config/logger';
import { tracingLoaded } from '../../src/observability/tracing';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { buildProvince, issue, registerKiosk, response, SUBMIT } from './survey-fixtures';

/*
 * Issue 12, observability: GET /metrics (prom-client) moves by the right
 * amounts as requests, refusals, cache hits, recomputations, pool use and
 * the roll-up backlog happen; who may read it; pino's lines are JSON with
 * request ids and never hold a token; tracing stays unloaded when
 * OTEL_EXPORTER_OTLP_ENDPOINT is unset, and an unreachable endpoint never
 * fails a request.
 */

// Every logger of this file (the services' too) writes into `lines`, at debug.
const lines: string[] = [];
jest.mock('../../src/config/logger', () => {
  const actual = jest.requireActual('../../src/config/logger');
  return { ...actual, createLogger: (_level?: Level) => actual.createLogger('debug', (line: string) => lines.push(line)) };
});

/** Connections from this loopback address are shown to the service as coming from FOREIGN (another machine). */
const DISGUISED = '127.0.0.9';
const FOREIGN = '203.0.113.9';

let t: TestService;
let kioskToken: string;
let analystToken: string;

beforeAll(async () => {
  // No background roll-up or recomputation tick: the backlog and the recomputations move only when the test says.
  t = await startTestService({ logRequests: true, tallyIntervalMs: 60000, recomputeIntervalMs: 60000 });
  t.service.app.server.prependListener('connection', (socket: net.Socket) => {
    if (socket.remoteAddress === DISGUISED) Object.defineProperty(socket, 'remoteAddress', { value: FOREIGN });
  });
  await buildProvince(t);
  kioskToken = (await registerKiosk(t, 'STP', 'Quầy 1')).token;
  analystToken = await issue(t, 'ANALYST', 'Nhà phân tích');
});
afterAll(async () => { await t?.stop(); });

interface Answer { status: number; headers: http.IncomingHttpHeaders; text: string }

function request(service: TestService, path: string, options: {
  method?: string; from?: string; headers?: Record<string, string>; body?: string;
} = {}): Promise<Answer> {
  const url = new URL(service.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path, method: options.method ?? 'GET', localAddress: options.from ?? '127.0.0.1',
      headers: { ...(options.body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) } : {}), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function gql(service: TestService, query: string, variables: Record<string, unknown> = {}, options: { token?: string | null; from?: string; headers?: Record<string, string> } = {}) {
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  const answer = await request(service, '/graphql', {
    method: 'POST', from: options.from, body: JSON.stringify({ query, variables }),
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
  });
  return { ...answer, json: JSON.parse(answer.text) as { data?: any; errors?: { extensions?: Record<string, any> }[] } };
}

/** One scrape, from loopback without a token. */
async function scrape(service: TestService = t): Promise<Metrics> {
  const r = await request(service, '/metrics');
  expect(r.status).toBe(200);
  return new Metrics(r.text);
}

/** A parsed Prometheus text exposition. */
class Metrics {
  private readonly samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) continue;
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      this.samples.push({ name: m[1], labels, value: Number(m[3]) });
    }
  }
  /** The sum of the samples of `name` whose labels include `labels` (0 when none). */
  get(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((a, s) => a + s.value, 0);
  }
  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }
}

/** How much each metric moved between two scrapes. */
const moved = (before: Metrics, after: Metrics, name: string, labels: Record<string, string> = {}) => after.get(name, labels) - before.get(name, labels);

/** A fresh database for a service run in a process of its own. */
async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = async (text: string) => {
    const c = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
    await c.connect();
    try { await c.query(text); } finally { await c.end(); }
  };
  const name = `par_test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(process.env.TEST_PG_ADMIN_URL!);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

let nonces = 0;
/** A comment making a document new to the response cache (the operation's label does not change). */
const fresh = (query: string) => `#${++nonces}\n${query}`;
const UNITS = '{ units(kind: DEPARTMENT) { totalCount } }';

describe('GET /metrics: who may read it', () => {
  test('from loopback without a token: Prometheus text with the service\'s and the process\'s metrics', async () => {
    const r = await request(t, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.text).toMatch(/^# HELP par_graphql_requests_total /m);
    expect(r.text).toMatch(/^# TYPE par_graphql_request_duration_seconds histogram$/m);
    const m = new Metrics(r.text);
    // The two pools with their sizes (the test service: 5 readers, 10 workers).
    expect(m.get('par_db_pool_size', { pool: 'read' })).toBe(5);
    expect(m.get('par_db_pool_size', { pool: 'work' })).toBe(10);
    expect(m.get('par_database_up')).toBe(1);
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
  });

  test('from another machine: 403 without a token, even when X-Forwarded-For claims loopback; 200 with the ADMIN token only', async () => {
    const anonymous = await request(t, '/metrics', { from: DISGUISED });
    expect(anonymous.status).toBe(403);
    expect(JSON.parse(anonymous.text).errors[0].extensions.code).toBe('FORBIDDEN');
    expect(anonymous.text).not.toMatch(/par_graphql/);

    for (const claim of ['127.0.0.1', '::1', '127.0.0.1, 127.0.0.1']) {
      const spoofed = await request(t, '/metrics', { from: DISGUISED, headers: { 'x-forwarded-for': claim } });
      expect(spoofed.status).toBe(403);
    }
    const analyst = await request(t, '/metrics', { from: DISGUISED, headers: { authorization: `Bearer ${analystToken}` } });
    expect(analyst.status).toBe(403);
    const kiosk = await request(t, '/metrics', { from: DISGUISED, headers: { authorization: `Bearer ${kioskToken}` } });
    expect(kiosk.status).toBe(403);
    const wrong = await request(t, '/metrics', { from: DISGUISED, headers: { authorization: 'Bearer par_a_not-a-real-token-at-all-000000' } });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');

    const admin = await request(t, '/metrics', { from: DISGUISED, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(admin.status).toBe(200);
    expect(admin.text).toMatch(/^par_db_pool_size\{pool="read"\} 5$/m);
  });

  test('through a proxy on this machine (a forwarding header present): not loopback, 403 without a token', async () => {
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      const proxied = await request(t, '/metrics', { headers: { [header]: header === 'forwarded' ? 'for=198.51.100.7' : '198.51.100.7' } });
      expect(proxied.status).toBe(403);
    }
    const post = await request(t, '/metrics', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
  });
});

describe('request metrics move by the right amounts', () => {
  test('requests by operation and outcome, and their latency histograms', async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) {
      const r = await gql(t, fresh(UNITS));
      expect(r.json.data.units.totalCount).toBe(2);
    }
    // Refused input: BAD_USER_INPUT, from inside Apollo.
    const bad = await gql(t, 'mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }', { input: { code: 'bad code', name: 'Sở Mới', kind: 'DEPARTMENT' } });
    expect(bad.json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // A refused token: answered at the HTTP edge (401) before any operation is read.
    const refused = await gql(t, UNITS, {}, { token: 'par_a_this-token-was-never-issued-0000000' });
    expect(refused.status).toBe(401);
    const after = await scrape();

    expect(moved(before, after, 'par_graphql_requests_total', { operation: 'query units', outcome: 'ok' })).toBe(3);
    expect(moved(before, after, 'par_graphql_request_duration_seconds_count', { operation: 'query units' })).toBe(3);
    expect(moved(before, after, 'par_graphql_request_duration_seconds_sum', { operation: 'query units' })).toBeGreaterThan(0);
    // Every answer falls in the last bucket; none of these took 30 s.
    expect(moved(before, after, 'par_graphql_request_duration_seconds_bucket', { operation: 'query units', le: '+Inf' })).toBe(3);
    expect(moved(before, after, 'par_graphql_request_duration_seconds_bucket', { operation: 'query units', le: '30' })).toBe(3);
    expect(moved(before, after, 'par_graphql_requests_total', { operation: 'mutation createUnit', outcome: 'BAD_USER_INPUT' })).toBe(1);
    expect(moved(before, after, 'par_graphql_requests_total', { operation: '-', outcome: 'UNAUTHENTICATED' })).toBe(1);
    expect(moved(before, after, 'par_graphql_requests_total')).toBe(5);
    expect(moved(before, after, 'par_http_requests_total', { route: 'graphql', status: '200' })).toBe(4);
    expect(moved(before, after, 'par_http_requests_total', { route: 'graphql', status: '401' })).toBe(1);
    // The first scrape is counted by the second.
    expect(moved(before, after, 'par_http_requests_total', { route: 'metrics', status: '200' })).toBe(1);
    expect(moved(before, after, 'par_http_request_duration_seconds_count', { route: 'graphql' })).toBe(5);
    expect(after.get('par_http_requests_in_flight')).toBe(1); // the scrape itself
  });

  test('cache hits: the second identical anonymous read is a HIT, counted once', async () => {
    const query = fresh(UNITS);
    const before = await scrape();
    const first = await gql(t, query, {}, { token: null });
    const second = await gql(t, query, {}, { token: null });
    const third = await gql(t, query, {}, { token: null });
    expect([first.headers['x-cache'], second.headers['x-cache'], third.headers['x-cache']]).toEqual([undefined, 'HIT', 'HIT']);
    const after = await scrape();
    expect(moved(before, after, 'par_response_cache_hits_total')).toBe(2);
    expect(moved(before, after, 'par_graphql_requests_total', { operation: 'cached', outcome: 'ok' })).toBe(2);
    expect(moved(before, after, 'par_graphql_requests_total', { operation: 'query units', outcome: 'ok' })).toBe(1);
  });

  test('pool in use and waiting follow the connections held', async () => {
    const before = await scrape();
    expect(before.get('par_db_pool_in_use', { pool: 'read' })).toBe(0);
    const runners = Array.from({ length: 5 }, () => t.service.db.createQueryRunner());
    await Promise.all(runners.slice(0, 2).map((r) => r.connect()));
    try {
      const two = await scrape();
      expect(two.get('par_db_pool_in_use', { pool: 'read' })).toBe(2);
      expect(two.get('par_db_pool_waiting', { pool: 'read' })).toBe(0);
      await Promise.all(runners.slice(2).map((r) => r.connect()));
      // The pool is full: one more checkout waits.
      const extra = t.service.db.createQueryRunner();
      const waiting = extra.connect();
      await new Promise((r) => setTimeout(r, 50));
      const full = await scrape();
      expect(full.get('par_db_pool_in_use', { pool: 'read' })).toBe(5);
      expect(full.get('par_db_pool_waiting', { pool: 'read' })).toBe(1);
      await runners[0].release();
      await waiting;
      await extra.release();
    } finally {
      await Promise.all(runners.slice(1).map((r) => r.release()));
    }
    const after = await scrape();
    expect(after.get('par_db_pool_in_use', { pool: 'read' })).toBe(0);
    expect(after.get('par_db_pool_waiting', { pool: 'read' })).toBe(0);
  });

  test('the roll-up backlog counts kiosk responses until they are rolled up', async () => {
    const before = await scrape();
    expect(before.get('par_survey_rollup_backlog_responses')).toBe(0);
    expect(before.get('par_survey_rollup_oldest_seconds')).toBe(0);
    for (let i = 0; i < 3; i++) {
      const r = await gql(t, SUBMIT, { input: response() }, { token: kioskToken });
      expect(r.json.data.submitSurveyResponse.status).toBe('ACCEPTED');
    }
    await new Promise((r) => setTimeout(r, 1100));
    const pending = await scrape();
    expect(pending.get('par_survey_rollup_backlog_responses')).toBe(3);
    expect(pending.get('par_survey_rollup_oldest_seconds')).toBeGreaterThanOrEqual(1);
    expect(pending.get('par_survey_rollup_oldest_seconds')).toBeLessThan(60);
    // The roll-up (its timer is held back in this test) takes them.
    await t.service.services.tallies.rollUp();
    const after = await scrape();
    expect(after.get('par_survey_rollup_backlog_responses')).toBe(0);
    expect(after.get('par_survey_rollup_oldest_seconds')).toBe(0);
  });

  test('recomputations: each submitExpertScores is one, full the first time and for one unit after', async () => {
    await gql(t, `mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, {
      input: { year: 2024, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Chỉ đạo điều hành', criteria: [
        { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' }] }] },
    });
    await gql(t, 'mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }');
    const appraiser = await issue(t, 'APPRAISER', 'P1');
    const submit = (unitCode: string, points: number) => gql(t, `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score rank } }`,
      { input: { year: 2024, unitCode, round: 'APPRAISAL', scores: [{ criterionCode: 'C1', points }] } }, { token: appraiser });

    const s0 = await scrape();
    const first = await submit('STP', 9);
    expect(first.json.errors).toBeUndefined();
    const s1 = await scrape();
    const second = await submit('SYT', 7);
    expect(second.json.data.submitExpertScores.rank).toBe(2);
    const s2 = await scrape();

    expect(moved(s0, s1, 'par_recompute_duration_seconds_count')).toBe(1);
    expect(moved(s0, s1, 'par_recompute_duration_seconds_count', { mode: 'full', outcome: 'ok' })).toBe(1);
    expect(moved(s0, s1, 'par_recompute_duration_seconds_sum')).toBeGreaterThan(0);
    expect(moved(s1, s2, 'par_recompute_duration_seconds_count')).toBe(1);
    expect(moved(s1, s2, 'par_recompute_duration_seconds_count', { mode: 'unit', outcome: 'ok' })).toBe(1);
    expect(moved(s1, s2, 'par_graphql_requests_total', { operation: 'mutation submitExpertScores', outcome: 'ok' })).toBe(1);
  });
});

describe('rate-limit refusals by reason', () => {
  let limited: TestService;
  beforeAll(async () => {
    // An IP may make 25 requests at once, and spend 3,000 cost points (then 1 a second).
    limited = await startTestService({
      anonymousRatePerSec: 1, anonymousBurst: 25,
      callerBudgets: { costPerSecAnonymous: 1, costPerSecToken: 100_000, dbMsPerSec: 300, dbSharePercent: 30, maxConcurrent: 4 },
    });
  });
  afterAll(async () => { await limited?.stop(); });

  test('COST_RATE (refused inside Apollo, operation known) and REQUEST_RATE (at the edge) counted as the client saw them', async () => {
    const before = await scrape(limited);
    const seen: Record<string, number> = {};
    let ok = 0;
    for (let i = 0; i < 40; i++) {
      const r = await gql(limited, fresh('{ units(first: 100) { edges { node { code name } } } }'), {}, { token: null, from: '127.0.0.3' });
      if (r.status === 200 && !r.json.errors) ok++;
      else {
        expect(r.status).toBe(429);
        expect(r.json.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
        const reason = r.json.errors?.[0]?.extensions?.reason ?? 'REQUEST_RATE';
        seen[reason] = (seen[reason] ?? 0) + 1;
      }
    }
    expect(seen.COST_RATE).toBeGreaterThan(0);
    expect(seen.REQUEST_RATE).toBeGreaterThan(0);
    const after = await scrape(limited);
    expect(moved(before, after, 'par_rate_limited_total', { reason: 'COST_RATE' })).toBe(seen.COST_RATE);
    expect(moved(before, after, 'par_rate_limited_total', { reason: 'REQUEST_RATE' })).toBe(seen.REQUEST_RATE);
    expect(moved(before, after, 'par_rate_limited_total')).toBe(40 - ok);
    expect(moved(before, after, 'par_graphql_requests_total', { operation: 'query units', outcome: 'RATE_LIMITED' })).toBe(seen.COST_RATE);
    expect(moved(before, after, 'par_graphql_requests_total', { operation: '-', outcome: 'RATE_LIMITED' })).toBe(seen.REQUEST_RATE);
    expect(moved(before, after, 'par_graphql_requests_total', { operation: 'query units', outcome: 'ok' })).toBe(ok);
    expect(moved(before, after, 'par_http_requests_total', { route: 'graphql', status: '429' })).toBe(40 - ok);
    // Scraping from loopback is never rate-limited.
    expect(limited.url).toMatch(/127\.0\.0\.1/);
  });
});

describe('logs', () => {
  test('JSON lines with the request id answered in X-Request-Id; a client\'s own id is kept when plain, replaced otherwise', async () => {
    const from = lines.length;
    const r = await gql(t, fresh(UNITS));
    const own = await gql(t, fresh(UNITS), {}, { headers: { 'x-request-id': 'portal-7f3a.1' } });
    const hostile = await gql(t, fresh(UNITS), {}, { headers: { 'x-request-id': '"}{ evil' } });
    const fresh_ = lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const entry of fresh_) {
      expect(entry.level).toMatch(/^(debug|info|warn|error)$/);
      expect(Number.isNaN(Date.parse(String(entry.time)))).toBe(false);
      expect(typeof entry.msg).toBe('string');
    }
    const requestLines = fresh_.filter((e) => e.msg === 'request');
    const id = r.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestLines.find((e) => e.requestId === id)).toMatchObject({ method: 'POST', path: '/graphql', status: 200, operation: 'query units', outcome: 'ok' });
    expect(own.headers['x-request-id']).toBe('portal-7f3a.1');
    expect(requestLines.some((e) => e.requestId === 'portal-7f3a.1')).toBe(true);
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestLines.some((e) => e.requestId === hostile.headers['x-request-id'])).toBe(true);
  });

  test('a line written by a service while serving a request carries its id', async () => {
    // An unknown kiosk token is looked up by the auth service, which logs nothing; a revoked kiosk is logged at debug.
    const kiosk = await registerKiosk(t, 'SYT', 'Quầy tạm');
    await gql(t, 'mutation($id: ID!) { revokeKiosk(id: $id) { active } }', { id: kiosk.id });
    const from = lines.length;
    const r = await gql(t, SUBMIT, { input: response() }, { token: kiosk.token });
    expect(r.status).toBe(401);
    const entries = lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
    const refusal = entries.find((e) => e.msg === 'refused a revoked kiosk');
    expect(refusal).toBeDefined();
    expect(refusal!.requestId).toBe(r.headers['x-request-id']);
  });

  test('no line ever holds a token: not the headers, the query string, the variables, nor a message', async () => {
    const { createLogger } = jest.requireActual('../../src/config/logger');
    const own: string[] = [];
    const log = createLogger('debug', (l: string) => own.push(l));
    log.info('token issued', { token: analystToken, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, variables: { input: { token: kioskToken } } });
    log.error(`login failed for Bearer ${ADMIN_TOKEN} with ${kioskToken}`);
    expect(own).toHaveLength(2);
    expect(JSON.parse(own[0])).toMatchObject({ token: '[Redacted]', headers: { authorization: '[Redacted]' }, variables: { input: { token: '[Redacted]' } } });
    expect(JSON.parse(own[1]).msg).toBe('login failed for Bearer [Redacted] with [Redacted]');

    // Over HTTP: tokens in the Authorization header, a GET's query string and the variables of a mutation.
    await gql(t, fresh(UNITS), {}, { token: kioskToken });
    await request(t, `/graphql?query=${encodeURIComponent('{ units { totalCount } }')}&token=${kioskToken}`, { headers: { authorization: `Bearer ${analystToken}` } });
    await gql(t, 'mutation($input: IssueTokenInput!) { issueToken(input: $input) }', { input: { role: 'ANALYST', name: kioskToken } });
    await request(t, '/metrics', { from: DISGUISED, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(lines.length).toBeGreaterThan(10);
    const all = lines.join('\n') + own.join('\n');
    for (const secret of [ADMIN_TOKEN, kioskToken, analystToken]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/par_[ak]_[A-Za-z0-9_-]{16,}/);
  });
});

describe('tracing', () => {
  test('off while OTEL_EXPORTER_OTLP_ENDPOINT is unset: nothing of OpenTelemetry is loaded', async () => {
    expect(process.env.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    await gql(t, fresh(UNITS));
    expect(tracingLoaded()).toBe(false);
  });

  /*
   * In a process of its own (src/main.ts under ts-node), as deployed: the
   * OTLP exporter loads node:http with a dynamic import(), which jest's
   * module sandbox refuses, and the pg instrumentation patches the real
   * require. The endpoint is first a port nothing listens on, then a
   * collector.
   */
  test('on with an endpoint that is down: requests answer as before; once it listens, spans arrive (request, operation, request id, its SQL statements)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const db = await createDatabase();
    const stderr: string[] = [];
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, '../../src/main.ts')], {
      cwd: path.join(__dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, ADMIN_TOKEN, SEED_DEMO: 'false',
        LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'par-index-test', OTEL_BSP_SCHEDULE_DELAY: '200',
      },
    });
    const received: any[] = [];
    let collector: http.Server | undefined;
    try {
      child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`the service exited (${code}): ${stderr.join('')}`)));
      });
      const service = { url } as TestService;
      await gql(service, `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code: 'STP', name: 'Sở Tư pháp', kind: 'DEPARTMENT' } });
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const r = await gql(service, fresh(UNITS));
        expect(r.status).toBe(200);
        expect(r.json.data.units.totalCount).toBe(1);
        expect(Date.now() - started).toBeLessThan(2000);
      }
      await new Promise((w) => setTimeout(w, 500)); // a batch is sent, and fails

      collector = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ path: req.url, type: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => collector!.listen(port, '127.0.0.1', resolve));
      const r = await gql(service, fresh(UNITS), {}, { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
      expect(r.status).toBe(200);
      const attr = (s: any, key: string) => s.attributes.find((a: any) => a.key === key)?.value;
      const spans = () => received.flatMap((x) => x.body.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));
      const mineOf = () => spans().find((s: any) => attr(s, 'par.request_id')?.stringValue === r.headers['x-request-id']);
      for (let i = 0; i < 100 && !mineOf(); i++) await new Promise((w) => setTimeout(w, 100));
      const mine = mineOf();
      expect(mine).toBeDefined();
      expect(received[0]).toMatchObject({ path: '/v1/traces', type: 'application/json' });
      expect(mine.name).toBe('POST /graphql query units');
      expect(mine.traceId).toBe('0af7651916cd43dd8448eb211c80319c'); // continues the caller's trace
      expect(mine.parentSpanId).toBe('b7ad6b7169203331');
      expect(mine.kind).toBe(2); // SERVER
      expect(Number(attr(mine, 'http.response.status_code')?.intValue)).toBe(200);
      expect(attr(mine, 'graphql.operation')?.stringValue).toBe('query units');
      // Its statements are its children (the token lookup, the count).
      for (let i = 0; i < 20 && !spans().some((s: any) => s.parentSpanId === mine.spanId); i++) await new Promise((w) => setTimeout(w, 100));
      const statements = spans().filter((s: any) => s.parentSpanId === mine.spanId);
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.every((s: any) => s.traceId === mine.traceId && s.kind === 3)).toBe(true); // CLIENT
    } finally {
      collector?.closeAllConnections();
      await new Promise((w) => (collector ? collector.close(w) : w(undefined)));
      if (child.exitCode === null) {
        await new Promise((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
          child.once('exit', () => { clearTimeout(timer); resolve(undefined); });
          child.kill('SIGTERM');
        });
      }
      await db.drop();
    }
    // The process logged JSON lines only, and said where the spans go.
    const logged = stderr.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(logged.some((e) => e.msg === 'tracing on: spans go over OTLP/HTTP')).toBe(true);
    expect(child.exitCode).toBe(0);
  }, 120_000);
});
