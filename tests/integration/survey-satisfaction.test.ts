import { TALLY_TABLES } from '../../src/survey/tally-roller';
import { SatisfactionGrouping } from '../../src/survey/satisfaction.service';
import { roundTo, wilsonInterval } from '../../src/survey/wilson';
import { requestStatements } from '../support/request-statements';
import { startTestService, type TestService } from '../support/test-service';
import { buildProvince, issue, registerKiosk, response, SUBMIT_MANY } from './survey-fixtures';

/**
 * Sở Tư pháp (STP), 2024, ten responses i = 1…10 through kiosks k1 (1–7) and k2 (8–10):
 *
 *   i     1  2  3  4  5  6  7  8  9  10
 *   Q1    5  5  5  5  5  4  4  4  4  2     5-level, satisfied ≥ 4: 9 of 10, sum 43
 *   Q2    3  3  2  2  1  1                 3-level, satisfied ≥ 2: 4 of 6, sum 12
 *   Q3    5  5  4  3                       5-level, own threshold 5: 2 of 4, sum 17
 *   month Jan for 1–5 (i = 1 at 2023-12-31T20:00Z is already 1 January in Hà Nội),
 *         Feb for 6–10 (i = 6 at 2024-01-31T18:00Z is 1 February in Hà Nội)
 *   procedure P1 for 1–3, none for 4–10
 *
 * Sở Y tế (SYT, kiosk k3): three responses, Q1 = 1, 2, 3 (0 satisfied).
 * Huyện Phong Điền (PD, kiosk k4): two responses Q1 = 5, 5; then, once its
 * 2024 cycle is published, one late response Q1 = 1.
 */
let t: TestService;
const k: Record<string, { id: string; token: string }> = {};
const Q1 = [5, 5, 5, 5, 5, 4, 4, 4, 4, 2];
const Q2 = [3, 3, 2, 2, 1, 1];
const Q3 = [5, 5, 4, 3];
const TIMES = ['2023-12-31T20:00:00Z', '2024-01-05T02:00:00Z', '2024-01-10T02:00:00Z', '2024-01-15T02:00:00Z', '2024-01-20T02:00:00Z',
  '2024-01-31T18:00:00Z', '2024-02-10T02:00:00Z', '2024-02-11T02:00:00Z', '2024-02-12T02:00:00Z', '2024-02-13T02:00:00Z'];

const QUERY = `query($year: Int!, $unitCode: String, $unitKind: UnitKind, $groupBy: SatisfactionGrouping, $includeLate: Boolean) {
  satisfaction(year: $year, unitCode: $unitCode, unitKind: $unitKind, groupBy: $groupBy, includeLate: $includeLate) {
    key responses answers satisfied rate rateLow rateHigh mean } }`;

function expected(key: string, responses: number, answers: number, satisfied: number, sum: number) {
  const { low, high } = wilsonInterval(satisfied, answers);
  return { key, responses, answers, satisfied, rate: roundTo(satisfied / answers, 4), rateLow: roundTo(low, 4), rateHigh: roundTo(high, 4), mean: roundTo(sum / answers, 4) };
}

beforeAll(async () => {
  t = await startTestService();
  await buildProvince(t);
  k.k1 = await registerKiosk(t, 'STP', 'k1');
  k.k2 = await registerKiosk(t, 'STP', 'k2');
  k.k3 = await registerKiosk(t, 'SYT', 'k3');
  k.k4 = await registerKiosk(t, 'PD', 'k4');
  const stp = Q1.map((v, i) => response({
    submittedAt: TIMES[i],
    procedureCode: i < 3 ? 'P1' : null,
    answers: [{ questionCode: 'Q1', value: v }, ...(i < Q2.length ? [{ questionCode: 'Q2', value: Q2[i] }] : []), ...(i < Q3.length ? [{ questionCode: 'Q3', value: Q3[i] }] : [])],
  }));
  const send = async (token: string, inputs: unknown[]) => {
    const d = await t.ok(SUBMIT_MANY, { inputs }, token);
    expect(d.submitSurveyResponses.every((s: { status: string }) => s.status === 'ACCEPTED')).toBe(true);
  };
  await send(k.k1.token, stp.slice(0, 7));
  await send(k.k2.token, stp.slice(7));
  await send(k.k3.token, [1, 2, 3].map((v) => response({ answers: [{ questionCode: 'Q1', value: v }] })));
  await send(k.k4.token, [5, 5].map((v) => response({ answers: [{ questionCode: 'Q1', value: v }] })));
  await t.sql(`INSERT INTO cycle (year, unit_kind, status, published_at) VALUES (2024, 'DISTRICT', 'PUBLISHED', now())`);
  await send(k.k4.token, [response({ answers: [{ questionCode: 'Q1', value: 1 }] })]);
});
afterAll(async () => { await t?.stop(); });

const stats = async (variables: Record<string, unknown>, token?: string | null) =>
  (await t.ok(QUERY, { year: 2024, ...variables }, token)).satisfaction;

describe('satisfaction of one unit', () => {
  test('per question (the default): 9 of 10 satisfied is 0.9 with Wilson bounds 0.596 to 0.982', async () => {
    const s = await stats({ unitCode: 'STP' });
    // Q1: rate 9/10; Wilson (hand-worked in tests/unit/wilson.test.ts) [0.595849, 0.982123]; mean 43/10.
    expect(s[0]).toEqual({ key: 'Q1', responses: 10, answers: 10, satisfied: 9, rate: 0.9, rateLow: 0.5958, rateHigh: 0.9821, mean: 4.3 });
    expect(roundTo(s[0].rateLow, 3)).toBe(0.596);
    expect(roundTo(s[0].rateHigh, 3)).toBe(0.982);
    expect(s).toEqual([
      expected('Q1', 10, 10, 9, 43),
      expected('Q2', 6, 6, 4, 12), // 3-level scale, satisfied from 2
      expected('Q3', 4, 4, 2, 17), // own threshold 5: the 4 is not satisfied
    ]);
    expect(s[2]).toMatchObject({ rate: 0.5, mean: 4.25 });
  });

  test('per service element: responses are distinct responses, not answers', async () => {
    expect(await stats({ unitCode: 'STP', groupBy: 'ELEMENT' })).toEqual([
      expected('ACCESS', 10, 16, 13, 55), // Q1 + Q2: 16 answers from 10 responses; mean 55/16 = 3.4375
      expected('CIVIL_SERVANT', 4, 4, 2, 17),
    ]);
  });

  test('per month of Hà Nội time: the UTC+7 boundaries decide the month', async () => {
    expect(await stats({ unitCode: 'STP', groupBy: 'MONTH' })).toEqual([
      // Jan, i = 1…5: Q1 5×5 (5 sat), Q2 3,3,2,2,1 (4 sat), Q3 5,5,4,3 (2 sat): 14 answers, 11 sat, sum 25+11+17 = 53
      expected('2024-01', 5, 14, 11, 53),
      // Feb, i = 6…10: Q1 4,4,4,4,2 (4 sat), Q2 1 (0 sat): 6 answers, 4 sat, sum 18+1 = 19
      expected('2024-02', 5, 6, 4, 19),
    ]);
  });

  test('per kiosk (key: the kiosk id)', async () => {
    expect(await stats({ unitCode: 'STP', groupBy: 'KIOSK' })).toEqual([
      // k1, i = 1…7: Q1 sum 33 (7 sat), Q2 12 (4 sat), Q3 17 (2 sat): 17 answers, 13 sat, sum 62
      expected(k.k1.id, 7, 17, 13, 62),
      // k2, i = 8…10: Q1 4,4,2
      expected(k.k2.id, 3, 3, 2, 10),
    ]);
  });

  test('per procedure ("" for responses without one)', async () => {
    expect(await stats({ unitCode: 'STP', groupBy: 'PROCEDURE' })).toEqual([
      // none, i = 4…10: 20 − 9 = 11 answers, 15 − 8 = 7 sat, sum 72 − 37 = 35
      expected('', 7, 11, 7, 35),
      // P1, i = 1…3: Q1 5,5,5  Q2 3,3,2  Q3 5,5,4: 9 answers, 8 sat, sum 37
      expected('P1', 3, 9, 8, 37),
    ]);
  });
});

describe('wider cuts, late responses and who sees what', () => {
  test('per kind and province-wide (for ADMIN and ANALYST: every kind, published or not)', async () => {
    // DEPARTMENT Q1: STP 10 answers (9 sat, sum 43) + SYT 1,2,3 (0 sat, sum 6)
    expect((await stats({ unitKind: 'DEPARTMENT' }))[0]).toEqual(expected('Q1', 13, 13, 9, 49));
    const analyst = await issue(t, 'ANALYST', 'Phân tích');
    // Province: + PD 5, 5 (the late 1 left out)
    expect((await stats({}, analyst))[0]).toEqual(expected('Q1', 15, 15, 11, 59));
  });

  test('late responses are left out unless includeLate', async () => {
    expect(await stats({ unitCode: 'PD' })).toEqual([expected('Q1', 2, 2, 2, 10)]);
    expect(await stats({ unitCode: 'PD', includeLate: true })).toEqual([expected('Q1', 3, 3, 2, 11)]);
    expect((await stats({ unitCode: 'PD', groupBy: 'MONTH', includeLate: true }))[0].responses).toBe(3);
  });

  test('anonymous readers see published cycles only: the rest reads as absent, an empty list', async () => {
    // STP has 2024 answers (an analyst reads them), but DEPARTMENT 2024 is not published.
    expect((await stats({ unitCode: 'STP' }, undefined)).length).toBeGreaterThan(0);
    for (const variables of [{ year: 2024, unitCode: 'STP' }, { year: 2024, unitKind: 'DEPARTMENT' }, { year: 2023 }, { year: 2024, unitCode: 'STP', groupBy: 'KIOSK' }]) {
      const answer = await t.gql(QUERY, variables, null);
      expect({ variables, errors: answer.errors, satisfaction: answer.data?.satisfaction }).toEqual({ variables, errors: undefined, satisfaction: [] });
    }
    // A unit that does not exist is still NOT_FOUND: units are public.
    expect((await t.gql(QUERY, { year: 2024, unitCode: 'NOPE' }, null)).errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'unitCode' });
    // DISTRICT 2024 is published: its figures are open; the province-wide figures cover only the published kinds.
    expect(await stats({ unitCode: 'PD' }, null)).toEqual([expected('Q1', 2, 2, 2, 10)]);
    expect(await stats({ unitKind: 'DISTRICT', groupBy: 'ELEMENT' }, null)).toEqual([expected('ACCESS', 2, 2, 2, 10)]);
    expect(await stats({}, null)).toEqual([expected('Q1', 2, 2, 2, 10)]);
  });

  test('arguments are checked', async () => {
    expect((await t.gql(QUERY, { year: 2024, unitCode: 'NOPE' })).errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'unitCode' });
    expect((await t.gql(QUERY, { year: 2024, unitCode: 'STP', unitKind: 'DISTRICT' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'unitKind' });
    expect((await t.gql(QUERY, { year: 1999 })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'year' });
    expect(await stats({ unitCode: 'STP', groupBy: 'QUESTION' }, undefined)).toHaveLength(3);
    expect((await t.ok(QUERY, { year: 2022 })).satisfaction).toEqual([]);
  });
});

describe('the statistics read the roll-ups, never survey_answer', () => {
  test.each(Object.values(SatisfactionGrouping))('EXPLAIN of the %s query', async (groupBy) => {
    const svc = t.service.services.satisfaction;
    for (const scope of [
      await svc.scope(null, { year: 2024, unitCode: 'PD', groupBy }),
      await svc.scope({ kind: 'token', role: 'ADMIN', name: 'admin', tokenId: 1 } as never, { year: 2024, groupBy }),
      await svc.scope(null, { year: 2024, unitKind: 'DISTRICT' as never, groupBy }),
    ]) {
      const { sql, params } = svc.buildQuery(scope!);
      const plan = (await t.sql(`EXPLAIN ${sql}`, params)).map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/survey_tally/);
      expect(plan).not.toMatch(/survey_answer|survey_response\b/);
      if (groupBy !== 'QUESTION') expect(plan).toMatch(groupBy === 'ELEMENT' ? /survey_element_tally/ : /survey_response_tally/);
    }
  });

  test('rebuilding the roll-ups from the raw rows gives the rows the background roll-up added, and the same figures', async () => {
    const before = await stats({ unitCode: 'STP', groupBy: 'MONTH' });
    const rows = async () => Promise.all(TALLY_TABLES.map((table) => t.sql(`SELECT * FROM ${table} ORDER BY ${table}::text`)));
    const rolledUp = await rows();
    expect(rolledUp.every((r) => r.length > 0)).toBe(true);
    await t.service.services.satisfaction.rebuildTallies(2024);
    expect(await rows()).toEqual(rolledUp);
    expect(await stats({ unitCode: 'STP', groupBy: 'MONTH' })).toEqual(before);
  });
});

describe('aliases of satisfaction in one request', () => {
  const aliases = (n: number, args: (i: number) => string) =>
    `{ ${Array.from({ length: n }, (_, i) => `s${i}: satisfaction(year: 2024, ${args(i)}) { key responses answers satisfied rate }`).join(' ')} }`;

  test('the same field with the same arguments is read once; each alias answers it; other arguments are read apart', async () => {
    const one = await requestStatements(() => t.ok(aliases(1, () => 'groupBy: MONTH')));
    const five = await requestStatements(() => t.ok(aliases(5, () => 'groupBy: MONTH')));
    expect(one.statements.length).toBeGreaterThan(0);
    expect(five.statements.length).toBe(one.statements.length);
    const answers = Object.values(five.result as Record<string, unknown>);
    expect(answers).toHaveLength(5);
    for (const answer of answers) expect(answer).toEqual((one.result as { s0: unknown }).s0);
    expect((one.result as { s0: unknown[] }).s0.length).toBeGreaterThan(0);

    // Two groupings in one request: two reads (more statements than one read, fewer than four), each alias its own.
    const two = await requestStatements(() => t.ok(aliases(4, (i) => `groupBy: ${i % 2 ? 'MONTH' : 'QUESTION'}`)));
    expect(two.statements.length).toBeGreaterThan(one.statements.length);
    expect(two.statements.length).toBeLessThan(2 * one.statements.length);
    const r = two.result as Record<string, unknown>;
    expect(r.s1).toEqual(r.s3);
    expect(r.s0).toEqual(r.s2);
    expect(r.s0).not.toEqual(r.s1);
    expect(r.s0).toEqual(await stats({ groupBy: 'QUESTION' }).then((rows: { key: string; responses: number; answers: number; satisfied: number; rate: number }[]) =>
      rows.map(({ key, responses, answers, satisfied, rate }) => ({ key, responses, answers, satisfied, rate }))));
  });
});
