import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { liveClient, type LiveClient } from '../support/live-client';
import net from 'node:net';
import { loadLiveConfig } from '../../src/live/config';
import { buildProvince, issue, registerKiosk, response, SUBMIT_MANY } from './survey-fixtures';

/**
 * Live data over real WebSockets (graphql-ws): satisfactionChanged within
 * 5 s of an accepted response, its refusals per role, the bounds, and a
 * shutdown with subscriptions open.
 */
let t: TestService;
let kiosk: { id: string; token: string };
const clients: LiveClient[] = [];
const SAT = `subscription($year: Int!, $unitCode: String!) { satisfactionChanged(year: $year, unitCode: $unitCode) { key responses answers satisfied rate rateLow rateHigh mean } }`;
const SAT_QUERY = `query($year: Int!, $unitCode: String) { satisfaction(year: $year, unitCode: $unitCode) { key responses answers satisfied rate rateLow rateHigh mean } }`;

function connect(token: string | null): LiveClient {
  const c = liveClient(t.url, token);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  t = await startTestService({ tallyIntervalMs: 200, live: { ...loadLiveConfig({}), maxSubscriptionsPerConnection: 3 } });
  await buildProvince(t);
  kiosk = await registerKiosk(t, 'STP', 'k1');
});

afterAll(async () => {
  for (const c of clients) await c.dispose().catch(() => undefined);
  await t?.stop();
});

async function submit(n: number, value = 5): Promise<number> {
  const now = Date.now();
  const inputs = Array.from({ length: n }, (_, i) => response({
    submittedAt: new Date(now - 1000 * (n - i)).toISOString(), answers: [{ questionCode: 'Q1', value }],
  }));
  const d = await t.ok(SUBMIT_MANY, { inputs }, kiosk.token);
  expect(d.submitSurveyResponses.every((s: { status: string }) => s.status === 'ACCEPTED')).toBe(true);
  return Date.now();
}

describe('satisfactionChanged', () => {
  test('a burst of 1,000 responses is coalesced per unit, and its last response is heard within 5 s', async () => {
    const y = year();
    await t.ok(`mutation($year: Int!, $questions: [QuestionInput!]!) { defineQuestionnaire(year: $year, questions: $questions) { code } }`,
      { year: y, questions: [{ code: 'Q1', text: 'Tiếp cận dịch vụ', element: 'ACCESS', scaleMax: 5 }] }).catch(() => undefined);
    const sub = connect(ADMIN_TOKEN).subscribe(SAT, { year: y, unitCode: 'STP' });
    await new Promise((r) => setTimeout(r, 200));
    const before = (await t.ok(SAT_QUERY, { year: y, unitCode: 'STP' })).satisfaction[0]?.answers ?? 0;
    let accepted = 0;
    await Promise.all(Array.from({ length: 10 }, async () => { accepted = Math.max(accepted, await submit(100, 3)); }));
    for (;;) {
      const event = await sub.next(5000);
      if (event.satisfactionChanged[0].answers === before + 1000) break;
    }
    expect(Date.now() - accepted).toBeLessThan(5000);
    // One message per roll-up flush, not one per response.
    expect(sub.events.length).toBeLessThan(20);
  }, 30000);

  test('an accepted response reaches a subscriber within 5 s, with the figures satisfaction gives', async () => {
    const y = year();
    const before = (await t.ok(SAT_QUERY, { year: y, unitCode: 'STP' })).satisfaction[0];
    const sub = connect(ADMIN_TOKEN).subscribe(SAT, { year: y, unitCode: 'STP' });
    await new Promise((r) => setTimeout(r, 200));
    const accepted = await submit(3, 4);
    // An event of earlier responses (another test's, coalesced) may still be on its way: wait for the one that counts these.
    let event = await sub.next(5000);
    while (event.satisfactionChanged[0]?.answers < before.answers + 3) event = await sub.next(Math.max(1, 5000 - (Date.now() - accepted)));
    expect(Date.now() - accepted).toBeLessThan(5000);
    const expected = await t.ok(SAT_QUERY, { year: y, unitCode: 'STP' });
    expect(event.satisfactionChanged).toEqual(expected.satisfaction);
    expect(event.satisfactionChanged[0]).toMatchObject({ key: 'Q1', answers: before.answers + 3, satisfied: before.satisfied + 3 });
  }, 20000);
});

const year = () => new Date(Date.now() + 7 * 3600e3).getUTCFullYear();
const codeOf = (s: { errors: any[] }) => s.errors[0]?.extensions?.code;

describe('refusals', () => {
  test('per role: a kiosk is confined to submitting; results and alerts need their roles; an unknown unit is NOT_FOUND', async () => {
    const analyst = await issue(t, 'ANALYST', 'Nhà phân tích');
    const k = connect(kiosk.token).subscribe(SAT, { year: year(), unitCode: 'STP' });
    await k.ended;
    expect(codeOf(k)).toBe('FORBIDDEN');
    const anon = connect(null);
    const results = anon.subscribe(`subscription { resultsChanged(year: 2024, unitKind: DEPARTMENT) { score } }`);
    const alerts = anon.subscribe(`subscription { kioskAlerts { id } }`);
    const unknown = anon.subscribe(SAT, { year: year(), unitCode: 'NOPE' });
    await Promise.all([results.ended, alerts.ended, unknown.ended]);
    expect([codeOf(results), codeOf(alerts), codeOf(unknown)]).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'NOT_FOUND']);
    const a = connect(analyst).subscribe(`subscription { kioskAlerts { id } }`);
    await a.ended;
    expect(codeOf(a)).toBe('FORBIDDEN');
  }, 20000);

  test('anonymous readers hear nothing of an unpublished year (what they may not see reads as absent)', async () => {
    const anon = connect(null).subscribe(SAT, { year: year(), unitCode: 'STP' });
    const admin = connect(ADMIN_TOKEN).subscribe(SAT, { year: year(), unitCode: 'STP' });
    await new Promise((r) => setTimeout(r, 200));
    await submit(1, 5);
    await admin.next(5000);
    await new Promise((r) => setTimeout(r, 500));
    expect(anon.events).toEqual([]);
    expect(anon.errors).toEqual([]);
  }, 20000);

  test('only subscriptions over WebSocket; documents over the limits are refused as over HTTP', async () => {
    const c = connect(ADMIN_TOKEN);
    const q = c.subscribe(`{ units(kind: DEPARTMENT) { totalCount } }`);
    await q.ended;
    expect(codeOf(q)).toBe('BAD_USER_INPUT');
    expect(q.errors[0].message).toMatch(/POST \/graphql/);
    const deep = c.subscribe(`subscription { resultsChanged(year: 2024, unitKind: DEPARTMENT) { unit { children { children { children { children { children { children { children { children { children { children { children { code } } } } } } } } } } } } } }`);
    await deep.ended;
    expect(codeOf(deep)).toBe('QUERY_TOO_COMPLEX');
  }, 20000);

  test('a bad token closes the connection (4403); a revoked kiosk\'s connection is closed', async () => {
    const bad = connect('par_a_not-a-token-at-all-0000000000');
    expect((await bad.closed).code).toBe(4403);
    const k2 = await registerKiosk(t, 'STP', 'k-revoked');
    const c = connect(k2.token);
    await new Promise((r) => setTimeout(r, 300));
    await t.ok(`mutation($id: ID!) { revokeKiosk(id: $id) { active } }`, { id: k2.id });
    expect((await c.closed).code).toBe(4403);
  }, 20000);

  test('bounds: subscriptions per connection (3 here)', async () => {
    const c = connect(ADMIN_TOKEN);
    const subs = [1, 2, 3, 4].map(() => c.subscribe(SAT, { year: year(), unitCode: 'STP' }));
    await subs[3].ended;
    expect(codeOf(subs[3])).toBe('RATE_LIMITED');
    expect(subs.slice(0, 3).every((s) => s.errors.length === 0)).toBe(true);
    subs[0].dispose();
    await new Promise((r) => setTimeout(r, 200));
    const again = c.subscribe(SAT, { year: year(), unitCode: 'STP' });
    await new Promise((r) => setTimeout(r, 300));
    expect(again.errors).toEqual([]);
  }, 20000);
});

describe('shutdown', () => {
  test('stop() with subscriptions open closes them with 1001 and finishes', async () => {
    const other = await startTestService();
    try {
      await buildProvince(other);
      const c = liveClient(other.url, ADMIN_TOKEN);
      const sub = c.subscribe(SAT, { year: year(), unitCode: 'STP' });
      await new Promise((r) => setTimeout(r, 300));
      expect(other.service.app.server.listening).toBe(true);
      const started = Date.now();
      await other.service.stop();
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await c.closed).code).toBe(1001);
      expect(sub.events).toEqual([]);
    } finally {
      await other.stop().catch(() => undefined);
    }
  }, 30000);
});

/** Whether Redis answers on 127.0.0.1:6379. */
function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(6379, '127.0.0.1');
    s.setTimeout(500);
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
    s.on('timeout', () => { s.destroy(); resolve(false); });
  });
}

describe('two instances sharing Redis', () => {
  test('an event published on one reaches a subscriber on the other', async () => {
    if (!(await redisAnswers())) {
      console.warn('skipped: Redis does not answer on 127.0.0.1:6379 (the cross-instance test needs it)');
      return;
    }
    const live = { ...loadLiveConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }) };
    const a = await startTestService({ live, tallyIntervalMs: 200 });
    // The second instance on the same database, its roll-up stopped: only instance A rolls up and publishes.
    const b = await startTestService({ live, databaseUrl: a.databaseUrl, tallyIntervalMs: 3_600_000 });
    try {
      await b.service.services.tallies.stop();
      await buildProvince(a);
      const y = year();
      await a.ok(`mutation($year: Int!, $questions: [QuestionInput!]!) { defineQuestionnaire(year: $year, questions: $questions) { code } }`,
        { year: y, questions: [{ code: 'Q1', text: 'Tiếp cận dịch vụ', element: 'ACCESS', scaleMax: 5 }] });
      const k = await registerKiosk(a, 'STP', 'k-redis');
      const c = liveClient(b.url, ADMIN_TOKEN);
      clients.push(c);
      const sub = c.subscribe(SAT, { year: y, unitCode: 'STP' });
      await new Promise((r) => setTimeout(r, 500));
      const d = await a.ok(SUBMIT_MANY, { inputs: [response({ submittedAt: new Date(Date.now() - 1000).toISOString(), answers: [{ questionCode: 'Q1', value: 5 }] })] }, k.token);
      expect(d.submitSurveyResponses[0].status).toBe('ACCEPTED');
      const event = await sub.next(5000);
      expect(event.satisfactionChanged[0]).toMatchObject({ key: 'Q1', answers: 1, satisfied: 1 });
    } finally {
      await b.stop().catch(() => undefined); // its own test client and spare database too, not only the service
      await a.stop();
    }
  }, 60000);
});
