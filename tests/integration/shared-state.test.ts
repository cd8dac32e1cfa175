import { randomBytes } from 'node:crypto';
import net from 'node:net';
import Redis from 'ioredis';
import type { Config } from '../../src/config/config';
import { loadLiveConfig } from '../../src/live/config';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { buildProvince, registerKiosk, response, SUBMIT } from './survey-fixtures';

/*
 * Issue 18: two instances on one database sharing Redis (src/shared-state):
 * the response cache and its invalidation, rate limits, kiosk revocation;
 * and a Redis that is away or slow never fails or holds a request. Each
 * test keeps its keys under a prefix of its own. Skipped, with a message,
 * where no Redis answers on 127.0.0.1:6379.
 */

const REDIS_URL = 'redis://127.0.0.1:6379';

function redisAnswers(port = 6379): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(500);
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
    s.on('timeout', () => { s.destroy(); resolve(false); });
  });
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let redisUp = false;
const started: TestService[] = [];
const prefixes: string[] = [];

beforeAll(async () => {
  redisUp = await redisAnswers();
  if (!redisUp) console.warn('skipped: Redis does not answer on 127.0.0.1:6379 (the shared-state tests need it)');
});

afterEach(async () => {
  for (const t of started.splice(0).reverse()) await t.stop().catch(() => undefined);
  if (!redisUp) return;
  const redis = new Redis(REDIS_URL);
  try {
    for (const prefix of prefixes.splice(0)) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
});

function shared(prefix: string, url = REDIS_URL, overrides: Partial<Config> = {}): Partial<Config> {
  return {
    live: loadLiveConfig({ REDIS_URL: url }),
    sharedState: { keyPrefix: prefix, commandTimeoutMs: 100, kioskFallbackTrustMs: 1000 },
    ...overrides,
  };
}

/** Instances A and B on one database and one Redis prefix. */
async function pair(overrides: Partial<Config> = {}): Promise<[TestService, TestService]> {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  prefixes.push(prefix);
  const a = await startTestService(shared(prefix, REDIS_URL, overrides));
  started.push(a);
  const b = await startTestService({ ...shared(prefix, REDIS_URL, overrides), databaseUrl: a.databaseUrl });
  started.push(b);
  return [a, b];
}

async function post(t: TestService, query: string, variables: Record<string, unknown> = {}, token: string | null = null) {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, cache: res.headers.get('x-cache'), body: (await res.json()) as { data?: any; errors?: any[] } };
}

const Q = 'query($y: Int!) { questionnaire(year: $y) { code text } }';
const UNITS = '{ units(kind: DEPARTMENT) { totalCount } }';
const DEFINE = `mutation($year: Int!, $questions: [QuestionInput!]!) { defineQuestionnaire(year: $year, questions: $questions) { code } }`;
const REVOKE = 'mutation($id: ID!) { revokeKiosk(id: $id) { id active } }';

describe('two instances sharing Redis', () => {
  test('an answer cached on A is served by B from Redis; a change made on B refreshes A at its next read, for that year only', async () => {
    if (!redisUp) return;
    const [a, b] = await pair();
    await buildProvince(a);
    // A reads (a miss, stored in Redis and its L1), then a hit.
    for (const y of [2023, 2024]) {
      expect((await post(a, Q, { y })).cache).toBeNull();
      expect((await post(a, Q, { y })).cache).toBe('HIT');
    }
    // B never read it: its first read is a hit, from Redis.
    const fromRedis = await post(b, Q, { y: 2024 });
    expect(fromRedis.cache).toBe('HIT');
    expect(fromRedis.body.data.questionnaire.map((q: { code: string }) => q.code)).toEqual(['Q1', 'Q2', 'Q3']);

    // The 2024 questionnaire changes on B.
    await b.ok(DEFINE, { year: 2024, questions: [{ code: 'Q1', text: 'Mới', element: 'ACCESS', scaleMax: 5 }] });
    // A's very next read of 2024 is fresh (not from its L1, not from Redis) ...
    const fresh = await post(a, Q, { y: 2024 });
    expect(fresh.cache).toBeNull();
    expect(fresh.body.data.questionnaire).toEqual([{ code: 'Q1', text: 'Mới' }]);
    expect((await post(b, Q, { y: 2024 })).body.data.questionnaire).toEqual([{ code: 'Q1', text: 'Mới' }]);
    // ... and 2023, which the change cannot show, is still served from the cache on both.
    expect((await post(a, Q, { y: 2023 })).cache).toBe('HIT');
    expect((await post(b, Q, { y: 2023 })).cache).toBe('HIT');
  });

  test('a change of every year (a new unit) made on A empties B: the count moves at once', async () => {
    if (!redisUp) return;
    const [a, b] = await pair();
    await buildProvince(a);
    await post(b, UNITS);
    expect((await post(b, UNITS)).cache).toBe('HIT');
    const before = (await post(b, UNITS)).body.data.units.totalCount;
    await a.ok('mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }', { input: { code: 'SXD', name: 'Sở Xây dựng', kind: 'DEPARTMENT' } });
    const after = await post(b, UNITS);
    expect(after.cache).toBeNull();
    expect(after.body.data.units.totalCount).toBe(before + 1);
  });

  test('the anonymous rate limit is one for both instances: 6 allowed across A and B, the 7th refused on either', async () => {
    if (!redisUp) return;
    // 6 per IP in a window of 6 / 0.01 = 600 s: nothing refills during the test.
    const [a, b] = await pair({ anonymousRatePerSec: 1, anonymousBurst: 6 });
    // Alone, each instance would allow 6; together they allow 6.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(i % 2 === 0 ? a : b, '{ __typename }')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const refusedA = await post(a, '{ __typename }');
    const refusedB = await post(b, '{ __typename }');
    expect([refusedA.status, refusedB.status]).toEqual([429, 429]);
    expect(refusedB.body.errors?.[0].extensions.code).toBe('RATE_LIMITED');
  });

  test("a kiosk's rate limit is one for both instances: a burst of 500 on A leaves nothing for B", async () => {
    if (!redisUp) return;
    // KIOSK_RATE_BURST is at least 500: one response per second sustained, 500 at once.
    const [a, b] = await pair({ kioskRatePerSecond: 1, kioskRateBurst: 500 });
    await buildProvince(a);
    const k = await registerKiosk(a, 'STP', 'k-rate');
    const batch = Array.from({ length: 500 }, () => response());
    const many = `mutation($inputs: [SubmitSurveyResponseInput!]!) { submitSurveyResponses(inputs: $inputs) { status } }`;
    const first = await a.gql(many, { inputs: batch }, k.token);
    expect(first.data.submitSurveyResponses.filter((r: { status: string }) => r.status === 'ACCEPTED')).toHaveLength(500);
    const onB = await b.gql(SUBMIT, { input: response() }, k.token);
    expect(onB.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
  });

  test("a kiosk revoked on A is refused by B's next request, though B had it cached", async () => {
    if (!redisUp) return;
    const [a, b] = await pair();
    await buildProvince(a);
    const k = await registerKiosk(a, 'STP', 'k-revoke');
    // B caches the kiosk (trusted 10 s without a lookup).
    expect((await b.gql(SUBMIT, { input: response() }, k.token)).data.submitSurveyResponse.status).toBe('ACCEPTED');
    expect((await a.ok(REVOKE, { id: k.id })).revokeKiosk.active).toBe(false);
    const refused = await b.gql(SUBMIT, { input: response() }, k.token);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await a.sql('SELECT count(*)::int AS n FROM survey_response')).toEqual([{ n: 1 }]);
  });
});

describe('Redis away or slow', () => {
  test('an instance whose Redis does not answer serves every request in-process, without waiting', async () => {
    if (!redisUp) return;
    const port = await closedPort();
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    const t = await startTestService(shared(prefix, `redis://127.0.0.1:${port}`));
    started.push(t);
    await buildProvince(t);
    const k = await registerKiosk(t, 'STP', 'k-away');
    const begun = Date.now();
    expect((await post(t, Q, { y: 2024 })).cache).toBeNull();
    expect((await post(t, Q, { y: 2024 })).cache).toBe('HIT'); // the in-process cache serves alone
    await t.ok(DEFINE, { year: 2024, questions: [{ code: 'Q1', text: 'Mới', element: 'ACCESS', scaleMax: 5 }] });
    expect((await post(t, Q, { y: 2024 })).body.data.questionnaire).toEqual([{ code: 'Q1', text: 'Mới' }]);
    const only = () => response({ answers: [{ questionCode: 'Q1', value: 5 }] });
    expect((await t.gql(SUBMIT, { input: only() }, k.token)).data.submitSurveyResponse.status).toBe('ACCEPTED');
    expect((await t.ok(REVOKE, { id: k.id })).revokeKiosk.active).toBe(false);
    expect((await t.gql(SUBMIT, { input: only() }, k.token)).status).toBe(401);
    // Seven requests, none held by the dead Redis (the generous bound is for a loaded machine).
    expect(Date.now() - begun).toBeLessThan(5000);
  });

  test('a paused Redis (CLIENT PAUSE) holds no request longer than its command timeout; the instances agree again once it is back', async () => {
    if (!redisUp) return;
    const [a, b] = await pair();
    await buildProvince(a);
    await post(a, Q, { y: 2024 });
    const admin = new Redis(REDIS_URL);
    try {
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const begun = Date.now();
      const times: number[] = [];
      for (const t of [a, b, a, b]) {
        const at = Date.now();
        const r = await post(t, Q, { y: 2024 });
        expect(r.status).toBe(200);
        expect(r.body.data.questionnaire).toHaveLength(3);
        times.push(Date.now() - at);
      }
      // The first request waits at most a command timeout (100 ms) before going in-process; the next ones do not try Redis.
      expect(Date.now() - begun).toBeLessThan(1500);
      // A change on B while Redis is paused: B's own cache drops it at once.
      await b.ok(DEFINE, { year: 2024, questions: [{ code: 'Q1', text: 'Trong lúc dừng', element: 'ACCESS', scaleMax: 5 }] });
      expect((await post(b, Q, { y: 2024 })).body.data.questionnaire).toEqual([{ code: 'Q1', text: 'Trong lúc dừng' }]);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
    }
    // Redis back: B tells the change it owes (within about a second, requests or not), A drops what it may have missed.
    const back = Date.now();
    let seen: unknown;
    do {
      await new Promise((r) => setTimeout(r, 200));
      seen = (await post(a, Q, { y: 2024 })).body.data.questionnaire;
    } while (JSON.stringify(seen) !== JSON.stringify([{ code: 'Q1', text: 'Trong lúc dừng' }]) && Date.now() - back < 5000);
    expect(seen).toEqual([{ code: 'Q1', text: 'Trong lúc dừng' }]);
    expect(Date.now() - back).toBeLessThan(3500);
  });
});

void ADMIN_TOKEN;
