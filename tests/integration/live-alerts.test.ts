import { loadLiveConfig } from '../../src/live/config';
import { TALLY_TABLES } from '../../src/survey/tally-roller';
import { liveClient, type LiveClient } from '../support/live-client';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { buildProvince, score, type Tokens } from './results-fixture';

/**
 * Kiosk alerts on crafted response streams (stored straight in SQL, with
 * the stamps and arrival times each rule looks at), the detector run in
 * the background as the service runs it; quarantine and release moving
 * every figure exactly and back; resultsChanged and kioskAlerts over real
 * WebSockets. Province and 2023 framework: results-fixture.ts (STP has 4
 * responses on Q1, Q2; the S1 survey leaf counts them).
 */
let t: TestService;
let tokens: Tokens;
const clients: LiveClient[] = [];
const kiosks: Record<string, number> = {};

function connect(token: string | null): LiveClient {
  const c = liveClient(t.url, token);
  clients.push(c);
  return c;
}

/** Stores responses of a kiosk, one statement each: [submittedAt, receivedAt, Q1, Q2]. */
async function store(kiosk: number, rows: [string, string, number, number][], year = 2023): Promise<number[]> {
  const ids: number[] = [];
  for (const [submitted, received, q1, q2] of rows) {
    // One statement, as ingestion stores a response with its answers: the roll-up never sees one without the other.
    const [r] = await t.sql(
      `WITH r AS (INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at, received_at)
         SELECT $1, unit_id, gen_random_uuid(), $2, $3, $4 FROM kiosk WHERE id = $1 RETURNING id),
       a AS (INSERT INTO survey_answer (response_id, question_id, value)
         SELECT r.id, q.id, CASE q.code WHEN 'Q1' THEN $5::int ELSE $6::int END FROM r, question q WHERE q.year = $2 AND q.code IN ('Q1', 'Q2'))
       SELECT id FROM r`, [kiosk, year, submitted, received, q1, q2]);
    ids.push(Number(r.id));
  }
  return ids;
}

async function newKiosk(label: string, unitCode = 'STP'): Promise<number> {
  const [k] = await t.sql(`INSERT INTO kiosk (unit_id, label, token_hash) SELECT id, $2, md5(random()::text) || md5(random()::text)
    FROM unit WHERE code = $1 RETURNING id`, [unitCode, label]);
  return k.id;
}

/** Lets the settle time pass, then runs the detector until nothing is new. */
async function detect(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1100));
  await t.service.live.detector.scanAll();
}

async function alertsOf(kiosk: number): Promise<{ id: number; public_id: string; rule: string; status: string; responses: number; ids: number[] }[]> {
  return t.sql(`SELECT a.id, a.public_id::text, a.rule, a.status, a.responses,
      (SELECT array_agg(response_id::int ORDER BY response_id) FROM kiosk_alert_response WHERE alert_id = a.id) AS ids
    FROM kiosk_alert a WHERE a.kiosk_id = $1 ORDER BY a.rule, a.id`, [kiosk]);
}

const at = (s: string, secondsLater = 5) => [s, new Date(Date.parse(s) + secondsLater * 1000).toISOString()] as const;

async function tallies(): Promise<Record<string, unknown[]>> {
  await t.service.services.tallies.rollUp();
  const out: Record<string, unknown[]> = {};
  for (const table of TALLY_TABLES) out[table] = (await t.sql(`SELECT (to_jsonb(x) - 'id')::text AS row FROM ${table} x ORDER BY 1`)).map((r) => r.row);
  return out;
}

const FIGURES = `{ satisfaction(year: 2023, unitCode: "STP", groupBy: QUESTION) { key responses answers satisfied rate mean }
  byMonth: satisfaction(year: 2023, unitCode: "STP", groupBy: MONTH) { key responses answers satisfied }
  unit(code: "STP") { result(year: 2023) { score surveyScore rank } } }`;

beforeAll(async () => {
  t = await startTestService({ tallyIntervalMs: 100, recomputeIntervalMs: 100, live: { ...loadLiveConfig({}), alertIntervalMs: 3_600_000 } });
  tokens = await buildProvince(t);
  // The fixture stores a response and its answers in two statements: roll its tallies up again from the rows.
  await t.service.services.satisfaction.rebuildTallies();
  // The fixture's responses are not the streams under test: the detector starts after them.
  await t.sql('UPDATE kiosk_alert_scan SET last_response_id = (SELECT max(id) FROM survey_response)');
  for (const k of ['burst', 'burst12', 'streak', 'streak29', 'off', 'skew']) kiosks[k] = await newKiosk(k);
}, 60000);

afterAll(async () => {
  for (const c of clients) await c.dispose().catch(() => undefined);
  await t?.stop();
});

describe('the four rules on crafted streams', () => {
  test('BURST: 13 responses within 60 s raise one alert with exactly those; 12 raise none', async () => {
    const admin = connect(ADMIN_TOKEN);
    const sub = admin.subscribe(`subscription { kioskAlerts(unitCode: "STP") { id rule responses status kiosk { label } } }`);
    // Thursday 1 June 2023, 10:00 in Hà Nội; 4 s apart: 13 in 48 s. Then one 2 minutes later (not in the burst).
    const burst = await store(kiosks.burst, Array.from({ length: 13 }, (_, i) => [...at(new Date(Date.UTC(2023, 5, 1, 3, 0, i * 4)).toISOString()), 1 + (i % 5), 1 + (i % 3)] as [string, string, number, number]));
    await store(kiosks.burst, [[...at('2023-06-01T03:03:00Z'), 5, 3]]);
    await store(kiosks.burst12, Array.from({ length: 12 }, (_, i) => [...at(new Date(Date.UTC(2023, 5, 1, 3, 0, i * 4)).toISOString()), 1 + (i % 5), 1 + (i % 3)] as [string, string, number, number]));
    await detect();
    const alerts = await alertsOf(kiosks.burst);
    expect(alerts.map((a) => [a.rule, a.responses, a.status])).toEqual([['BURST', 13, 'OPEN']]);
    expect(alerts[0].ids).toEqual(burst);
    expect(await alertsOf(kiosks.burst12)).toEqual([]);
    const event = await sub.next(5000);
    expect(event.kioskAlerts).toEqual({ id: alerts[0].public_id, rule: 'BURST', responses: 13, status: 'OPEN', kiosk: { label: 'burst' } });
  }, 30000);

  test('STREAK: 30 consecutive identical answers raise one; 29 none', async () => {
    const every5min = (n: number, q1: number) => Array.from({ length: n }, (_, i) =>
      [...at(new Date(Date.UTC(2023, 5, 2, 2, i * 5)).toISOString()), q1, 2] as [string, string, number, number]);
    const streak = await store(kiosks.streak, every5min(30, 5));
    await store(kiosks.streak29, [...every5min(29, 5), [...at('2023-06-02T05:00:00Z'), 4, 2]]);
    await detect();
    const alerts = await alertsOf(kiosks.streak);
    expect(alerts.map((a) => [a.rule, a.responses])).toEqual([['STREAK', 30]]);
    expect(alerts[0].ids).toEqual(streak);
    expect(await alertsOf(kiosks.streak29)).toEqual([]);
  }, 30000);

  test('OFF_HOURS: outside 07:00–17:30 Monday to Saturday, Vietnam time (UTC+7), to the second', async () => {
    const stamps: [string, boolean][] = [
      ['2023-06-05T23:59:59Z', true], //  Tuesday 06:59:59 in Hà Nội: before opening
      ['2023-06-06T00:00:00Z', false], // Tuesday 07:00:00: open
      ['2023-06-06T10:30:00Z', false], // Tuesday 17:30:00: still open
      ['2023-06-06T10:30:01Z', true], //  Tuesday 17:30:01: closed
      ['2023-06-10T10:00:00Z', false], // Saturday 17:00: open
      ['2023-06-10T23:30:00Z', true], //  Sunday 06:30 (still Saturday in UTC)
      ['2023-06-11T03:00:00Z', true], //  Sunday 10:00
      ['2023-06-11T17:00:00Z', true], //  Monday 00:00 (still Sunday in UTC)
      ['2023-06-12T00:00:00Z', false], // Monday 07:00
    ];
    const ids = await store(kiosks.off, stamps.map(([s], i) => [...at(s), 1 + (i % 5), 1 + (i % 3)] as [string, string, number, number]));
    await detect();
    const alerts = await alertsOf(kiosks.off);
    expect(alerts.every((a) => a.rule === 'OFF_HOURS')).toBe(true);
    const flagged = alerts.flatMap((a) => a.ids).sort((a, b) => a - b);
    expect(flagged).toEqual(ids.filter((_, i) => stamps[i][1]));
    // Runs split where an open hour intervenes or 6 hours pass: 06:59:59 | 17:30:01 | Sunday 06:30 + 10:00 | Monday 00:00.
    expect(alerts.map((a) => a.responses)).toEqual([1, 1, 2, 1]);
  }, 30000);

  test('CLOCK_SKEW: a response sent alone, stamped more than 10 minutes from its arrival; a queue sent late is not', async () => {
    const base = Date.parse('2023-06-07T03:00:00Z');
    const iso = (ms: number) => new Date(ms).toISOString();
    const skewed = await store(kiosks.skew, [[iso(base), iso(base + 11 * 60_000), 5, 3]]);
    await store(kiosks.skew, [[iso(base + 3_600_000), iso(base + 3_600_000 + 9 * 60_000), 5, 2]]);
    // A queue of three sent two hours late in one request (one received_at): not judged.
    const [k] = await t.sql('SELECT unit_id FROM kiosk WHERE id = $1', [kiosks.skew]);
    await t.sql(`INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at, received_at)
      SELECT $1, $2, gen_random_uuid(), 2023, $3::timestamptz + make_interval(mins => g), $3::timestamptz + interval '2 hours' FROM generate_series(1, 3) g`,
    [kiosks.skew, k.unit_id, iso(base + 2 * 3_600_000)]);
    await detect();
    const alerts = await alertsOf(kiosks.skew);
    expect(alerts.map((a) => [a.rule, a.ids])).toEqual([['CLOCK_SKEW', skewed]]);
  }, 30000);
});

describe('resultsChanged', () => {
  const RESULTS = `subscription { resultsChanged(year: 2023, unitKind: DEPARTMENT) { unit { code } score rank } }`;

  test('sends only the results a recomputation changed, to roles that see provisional results', async () => {
    const analyst = connect(tokens.analyst).subscribe(RESULTS);
    const anonymous = connect(null).subscribe(RESULTS);
    const appraiser = connect(tokens.p1).subscribe(`subscription { resultsChanged(year: 2023, unitKind: DEPARTMENT) { unit { code } } }`);
    await new Promise((r) => setTimeout(r, 300));
    // SNV's C2 from 9 to 10 for both panelists: SNV's index moves, nobody else's rank (SNV stays where it is or moves with its neighbours).
    await score(t, tokens.p1, 2023, 'SNV', 'APPRAISAL', { C2: 10 });
    const event = await analyst.next(5000);
    const changed = event.resultsChanged.map((r: { unit: { code: string } }) => r.unit.code);
    expect(changed).toContain('SNV');
    const all = (await t.ok(`{ rankings(year: 2023, unitKind: DEPARTMENT) { totalCount } }`)).rankings.totalCount;
    expect(changed.length).toBeLessThan(all);
    const snv = event.resultsChanged.find((r: { unit: { code: string } }) => r.unit.code === 'SNV');
    expect(snv.score).toBe((await t.ok(`{ unit(code: "SNV") { result(year: 2023) { score } } }`)).unit.result.score);
    expect((await appraiser.next(5000)).resultsChanged.map((r: { unit: { code: string } }) => r.unit.code)).toEqual(changed);
    expect((await anonymous.ended)?.[0]?.extensions?.code ?? anonymous.errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.events).toEqual([]);
  }, 30000);
});

describe('resolveKioskAlert', () => {
  const RESOLVE = `mutation($id: ID!, $action: KioskAlertAction!) { resolveKioskAlert(id: $id, action: $action) { id status responses } }`;

  test('who may list and resolve', async () => {
    const [alert] = await alertsOf(kiosks.burst);
    const list = await t.gql(`{ kioskAlerts(status: OPEN, unitCode: "STP", year: 2023) { id rule } }`, {}, tokens.analyst);
    expect(list.data.kioskAlerts.map((a: { id: string }) => a.id)).toContain(alert.public_id);
    expect((await t.gql(`{ kioskAlerts { id } }`, {}, tokens.p1)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(`{ kioskAlerts { id } }`, {}, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.gql(RESOLVE, { id: alert.public_id, action: 'DISMISS' }, tokens.analyst)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const bad = await t.gql(RESOLVE, { id: '42', action: 'DISMISS' });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect((await t.gql(RESOLVE, { id: '00000000-0000-4000-8000-000000000000', action: 'DISMISS' })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await t.gql(RESOLVE, { id: alert.public_id, action: 'RELEASE' })).errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  test('QUARANTINE takes exactly the burst out of every figure (satisfaction, tallies, the index), RELEASE puts it back', async () => {
    const [alert] = await alertsOf(kiosks.burst);
    // Figures without the 13 burst responses, worked out by taking them out of the stored rows and rebuilding.
    await t.service.services.tallies.rollUp();
    const withBurst = await tallies();
    const figuresWith = await t.ok(FIGURES);
    // What the tallies would be had the burst never been stored: a rebuild over the rows without them.
    const expectedWithout = await (async () => {
      await t.sql(`UPDATE kiosk_alert SET status = 'QUARANTINED' WHERE id = $1`, [alert.id]);
      await t.service.services.satisfaction.rebuildTallies(2023);
      const out = await tallies();
      await t.sql(`UPDATE kiosk_alert SET status = 'OPEN' WHERE id = $1`, [alert.id]);
      await t.service.services.satisfaction.rebuildTallies(2023);
      return out;
    })();
    expect(expectedWithout).not.toEqual(withBurst);
    expect(await tallies()).toEqual(withBurst);

    const q = await t.ok(RESOLVE, { id: alert.public_id, action: 'QUARANTINE' });
    expect(q.resolveKioskAlert).toEqual({ id: alert.public_id, status: 'QUARANTINED', responses: 13 });
    expect(await tallies()).toEqual(expectedWithout);
    expect((await t.sql('SELECT count(*)::int AS n FROM survey_response WHERE id = ANY($1::bigint[])', [alert.ids]))[0].n).toBe(13);
    // Satisfaction at once; the index once the background recomputation has run.
    const figuresWithout = await waitForFigures((f) => f.unit.result.score !== figuresWith.unit.result.score);
    expect(figuresWithout.satisfaction).not.toEqual(figuresWith.satisfaction);
    expect(figuresWithout.unit.result.surveyScore).not.toEqual(figuresWith.unit.result.surveyScore);

    const r = await t.ok(RESOLVE, { id: alert.public_id, action: 'RELEASE' });
    expect(r.resolveKioskAlert.status).toBe('DISMISSED');
    expect(await tallies()).toEqual(withBurst);
    expect(await waitForFigures((f) => JSON.stringify(f) === JSON.stringify(figuresWith))).toEqual(figuresWith);
  }, 60000);

  test('a published year is CONFLICT: its figures never move', async () => {
    const [alert] = await alertsOf(kiosks.streak);
    await score(t, tokens.p1, 2023, 'SYT', 'APPRAISAL', { C1: 5, 'C3.2': 5 });
    await t.ok(`mutation { publishCycle(year: 2023, unitKind: DEPARTMENT) { status } }`);
    const before = await tallies();
    const res = await t.gql(RESOLVE, { id: alert.public_id, action: 'QUARANTINE' });
    expect(res.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(await tallies()).toEqual(before);
    expect((await alertsOf(kiosks.streak))[0].status).toBe('OPEN');
    // Dismissing moves nothing: allowed.
    expect((await t.ok(RESOLVE, { id: alert.public_id, action: 'DISMISS' })).resolveKioskAlert.status).toBe('DISMISSED');
  }, 30000);
});

/** The figures once `ready` holds (the background recomputation has caught up), or after 15 s. */
async function waitForFigures(ready: (f: any) => boolean): Promise<any> {
  const deadline = Date.now() + 15000;
  for (;;) {
    const now = await t.ok(FIGURES);
    if (ready(now) || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 200));
  }
}
