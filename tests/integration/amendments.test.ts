import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { download } from './documents-fixture';

/**
 * Amending a published year (issue 14; API.md "Amending a published year"),
 * over HTTP as an administrator and an anonymous portal meet it.
 *
 * Departments STP (Sở Tư pháp), SYT (Sở Y tế), SNV (Sở Nội vụ). Frameworks
 * 2023 and 2024 DEPARTMENT: one domain D1 with EXPERT leaves C1 and C2
 * (max 10 each): a unit's index is 5 × (C1 + C2).
 *
 * 2023 as first published (version 1): STP 9+9 → 90 (1st), SYT 8+8 → 80
 * (2nd), SNV 7+7 → 70 (3rd). The amendment (version 2) re-scores SNV
 * 10+10 → 100: SNV 1st, STP 2nd, SYT 3rd.
 * 2024: STP 6+6 → 60 (3rd), SYT 9+9 → 90 (1st), SNV 8+8 → 80 (2nd).
 * Rank change against 2023 version 1: SYT 2 → 1 (+1), SNV 3 → 2 (+1),
 * STP 1 → 3 (−2); against version 2: SYT 3 → 1 (+2), SNV 1 → 2 (−1),
 * STP 2 → 3 (−1).
 */
let t: TestService;

const framework = (year: number) => ({
  year, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
    { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
    { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' },
  ] }],
});
const SUBMIT = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score } }`;
const score = (year: number, unitCode: string, c1: number, c2: number) => t.ok(SUBMIT, {
  input: { year, unitCode, round: 'APPRAISAL', panelist: 'P1', scores: [{ criterionCode: 'C1', points: c1 }, { criterionCode: 'C2', points: c2 }] },
});
const RANKINGS = `query($year: Int!, $version: Int) { rankings(year: $year, unitKind: DEPARTMENT, version: $version) {
  totalCount summary { count average highest { unit { code } score } }
  edges { node { unit { code } score rank previousRank rankChange version published domains { code score } } } } }`;
/** A ranking as [code, score, rank, version] rows. */
const ranking = async (year: number, token: string | null, version?: number) => {
  const r = await t.ok(RANKINGS, { year, version: version ?? null }, token);
  return r.rankings.edges.map((e: any) => [e.node.unit.code, e.node.score, e.node.rank, e.node.version]);
};
const RESULT = `query($code: String!, $year: Int!, $version: Int) { unit(code: $code) {
  result(year: $year, version: $version) { score rank version published domains { code score } } } }`;
const result = async (code: string, year: number, token: string | null, version?: number) =>
  (await t.ok(RESULT, { code, year, version: version ?? null }, token)).unit.result;
const CYCLE = `query($year: Int!) { cycle(year: $year, unitKind: DEPARTMENT) {
  status amending publications { version reason decisionRef publishedAt } } }`;
const AMEND = `mutation($input: AmendPublicationInput!) { amendPublication(input: $input) { year status amending } }`;
/** 2024's rank changes as [code, previousRank, rankChange], read by ADMIN. */
const changes2024 = async () => {
  const r = await t.ok(RANKINGS, { year: 2024, version: null });
  return r.rankings.edges.map((e: any) => [e.node.unit.code, e.node.previousRank, e.node.rankChange]);
};
/** Waits for the background recomputation to bring 2024's rank changes to `expected`. */
const until2024 = async (expected: unknown) => {
  const deadline = Date.now() + 15000;
  for (;;) {
    const now = await changes2024();
    if (JSON.stringify(now) === JSON.stringify(expected) || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 100));
  }
};

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 100 });
  for (const [code, name] of [['STP', 'Sở Tư pháp'], ['SYT', 'Sở Y tế'], ['SNV', 'Sở Nội vụ']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT', firstYear: 2020 } });
  }
  for (const year of [2023, 2024]) {
    await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(year) });
    await t.ok(`mutation($year: Int!) { openCycle(year: $year, unitKind: DEPARTMENT) { status } }`, { year });
  }
  await score(2023, 'STP', 9, 9);
  await score(2023, 'SYT', 8, 8);
  await score(2023, 'SNV', 7, 7);
  await score(2024, 'STP', 6, 6);
  await score(2024, 'SYT', 9, 9);
  await score(2024, 'SNV', 8, 8);
}, 60000);
afterAll(async () => { await t?.stop(); });

const V1 = [['STP', 90, 1, 1], ['SYT', 80, 2, 1], ['SNV', 70, 3, 1]];

test('publishing makes version 1: the cycle lists it, results say version 1', async () => {
  await t.ok(`mutation { publishCycle(year: 2023, unitKind: DEPARTMENT) { status } }`);
  const { cycle } = await t.ok(CYCLE, { year: 2023 }, null);
  expect(cycle).toMatchObject({ status: 'PUBLISHED', amending: false, publications: [{ version: 1, reason: null, decisionRef: null }] });
  expect(Date.parse(cycle.publications[0].publishedAt)).toBeGreaterThan(Date.now() - 60000);
  expect(await ranking(2023, null)).toEqual(V1);
  expect(await result('SNV', 2023, null)).toEqual({ score: 70, rank: 3, version: 1, published: true, domains: [{ code: 'D1', score: 70 }] });
  // 2024 compares with 2023 as published.
  expect(await until2024([['SYT', 2, 1], ['SNV', 3, 1], ['STP', 1, -2]])).toEqual([['SYT', 2, 1], ['SNV', 3, 1], ['STP', 1, -2]]);
});

test('amending an unpublished year is refused with CONFLICT naming the year; nothing is written', async () => {
  const before = await t.sql(`SELECT count(*)::int AS n FROM audit_entry`);
  const r = await t.gql(AMEND, { input: { year: 2024, unitKind: 'DEPARTMENT', reason: 'Sai sót' } });
  expect(r.errors?.[0].extensions?.code).toBe('CONFLICT');
  expect(r.errors?.[0].message).toMatch(/2024 DEPARTMENT results are not published/);
  expect(await t.sql(`SELECT count(*)::int AS n FROM publication p JOIN cycle c ON c.id = p.cycle_id WHERE c.year = 2024`)).toEqual([{ n: 0 }]);
  expect(await t.sql(`SELECT count(*)::int AS n FROM audit_entry`)).toEqual(before);
  // Only an administrator amends; an empty reason is refused naming the field.
  expect((await t.gql(AMEND, { input: { year: 2023, unitKind: 'DEPARTMENT', reason: 'x' } }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  const empty = await t.gql(AMEND, { input: { year: 2023, unitKind: 'DEPARTMENT', reason: '' } });
  expect(empty.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  expect(empty.errors?.[0].message).toMatch(/input\.reason/);
  expect((await t.ok(CYCLE, { year: 2023 })).cycle.amending).toBe(false);
  // A version is a whole number from 1, for Unit.result as for rankings.
  for (const v of [0, -1]) {
    const bad = await t.gql(`query($v: Int) { unit(code: "STP") { result(year: 2023, version: $v) { score } } }`, { v }, null);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'version' });
    const ranking = await t.gql(`query($v: Int) { rankings(year: 2023, unitKind: DEPARTMENT, version: $v) { totalCount } }`, { v }, null);
    expect(ranking.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'version' });
  }
});

test('while amending, anonymous readers keep version 1; the administrator reads and re-scores the amendment only', async () => {
  const amended = await t.ok(AMEND, { input: { year: 2023, unitKind: 'DEPARTMENT', reason: 'Chấm lại Sở Nội vụ sau giải trình', decisionRef: '123/QĐ-UBND' } });
  expect(amended.amendPublication).toEqual({ year: 2023, status: 'OPEN', amending: true });
  const [audit] = await t.sql(`SELECT actor, operation, year, after FROM audit_entry WHERE operation = 'amendPublication'`);
  expect(audit).toMatchObject({ operation: 'amendPublication', year: 2023, after: { version: 2, reason: 'Chấm lại Sở Nội vụ sau giải trình', decisionRef: '123/QĐ-UBND', includeLateResponses: false } });

  // Before any change, the amendment's working figures are version 1's, as version 2, unpublished.
  expect(await ranking(2023, null)).toEqual(V1);
  expect(await ranking(2023, ADMIN_TOKEN)).toEqual([['STP', 90, 1, 2], ['SYT', 80, 2, 2], ['SNV', 70, 3, 2]]);

  // A score of the amending year is accepted and recomputes the amendment only.
  expect((await score(2023, 'SNV', 10, 10)).submitExpertScores.score).toBe(100);
  expect(await ranking(2023, ADMIN_TOKEN)).toEqual([['SNV', 100, 1, 2], ['STP', 90, 2, 2], ['SYT', 80, 3, 2]]);
  expect(await ranking(2023, null)).toEqual(V1);
  expect(await ranking(2023, ADMIN_TOKEN, 1)).toEqual(V1);
  expect(await result('SNV', 2023, null)).toEqual({ score: 70, rank: 3, version: 1, published: true, domains: [{ code: 'D1', score: 70 }] });
  expect(await result('SNV', 2023, ADMIN_TOKEN)).toEqual({ score: 100, rank: 1, version: 2, published: false, domains: [{ code: 'D1', score: 100 }] });
  expect(await result('SNV', 2023, ADMIN_TOKEN, 1)).toEqual({ score: 70, rank: 3, version: 1, published: true, domains: [{ code: 'D1', score: 70 }] });
  // An archived version has no explanation (the stored inputs are the amendment's): nothing of the amendment leaks.
  const explained = `{ unit(code: "SNV") { result(year: 2023) { score explanation { rawIndex } } } }`;
  expect((await t.ok(explained, {}, null)).unit.result).toEqual({ score: 70, explanation: null });
  expect((await t.ok(explained)).unit.result).toEqual({ score: 100, explanation: { rawIndex: '100' } });
  // The unpublished amendment is nobody's but the privileged readers'.
  expect(await result('SNV', 2023, null, 2)).toBeNull();
  expect((await t.ok(RANKINGS, { year: 2023, version: 2 }, null)).rankings).toMatchObject({ totalCount: 0, edges: [] });
  // The anonymous summary is version 1's: 80 on average, STP highest.
  expect((await t.ok(RANKINGS, { year: 2023, version: null }, null)).rankings.summary)
    .toEqual({ count: 3, average: 80, highest: { unit: { code: 'STP' }, score: 90 } });
  const { cycle } = await t.ok(CYCLE, { year: 2023 }, null);
  expect(cycle).toMatchObject({ status: 'OPEN', amending: true, publications: [{ version: 1 }] });
  // The year summaries too: anonymous readers see version 1's 2023 (2024 is open), the administrator the amendment's.
  const SUMMARIES = `{ yearSummaries(unitKind: DEPARTMENT) { year published count average highest lowest } }`;
  expect((await t.ok(SUMMARIES, {}, null)).yearSummaries).toEqual([{ year: 2023, published: true, count: 3, average: 80, highest: 90, lowest: 70 }]);
  expect((await t.ok(SUMMARIES)).yearSummaries[0]).toEqual({ year: 2023, published: false, count: 3, average: 90, highest: 100, lowest: 80 });
  // A year being amended keeps its framework and its map.
  const redefine = await t.gql(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(2023) });
  expect(redefine.errors?.[0].extensions?.code).toBe('CONFLICT');
  const rename = await t.gql(`mutation { renameUnit(code: "SNV", fromYear: 2023, name: "Sở Nội vụ mới") { code } }`);
  expect(rename.errors?.[0].extensions?.code).toBe('CONFLICT');
  expect(rename.errors?.[0].message).toMatch(/2023 DEPARTMENT results are published with SNV/);
  // 2024 still compares with 2023's latest published version, 1 (after a recomputation the amendment asked for).
  await new Promise((r) => setTimeout(r, 500));
  expect(await changes2024()).toEqual([['SYT', 2, 1], ['SNV', 3, 1], ['STP', 1, -2]]);
});

test('publishing the amendment makes version 2 what everyone reads; version 1 stays readable', async () => {
  await t.ok(`mutation { publishCycle(year: 2023, unitKind: DEPARTMENT) { status } }`);
  const V2 = [['SNV', 100, 1, 2], ['STP', 90, 2, 2], ['SYT', 80, 3, 2]];
  expect(await ranking(2023, null)).toEqual(V2);
  expect(await ranking(2023, null, 2)).toEqual(V2);
  expect(await ranking(2023, null, 1)).toEqual(V1);
  expect(await result('SNV', 2023, null)).toEqual({ score: 100, rank: 1, version: 2, published: true, domains: [{ code: 'D1', score: 100 }] });
  expect(await result('SNV', 2023, null, 1)).toEqual({ score: 70, rank: 3, version: 1, published: true, domains: [{ code: 'D1', score: 70 }] });
  // Version 1's summary as it was: (90 + 80 + 70) / 3 = 80; version 2's: (100 + 90 + 80) / 3 = 90.
  expect((await t.ok(RANKINGS, { year: 2023, version: 1 }, null)).rankings.summary)
    .toEqual({ count: 3, average: 80, highest: { unit: { code: 'STP' }, score: 90 } });
  expect((await t.ok(RANKINGS, { year: 2023, version: null }, null)).rankings.summary)
    .toEqual({ count: 3, average: 90, highest: { unit: { code: 'SNV' }, score: 100 } });
  const { cycle } = await t.ok(CYCLE, { year: 2023 }, null);
  expect(cycle).toMatchObject({
    status: 'PUBLISHED', amending: false,
    publications: [{ version: 1, reason: null, decisionRef: null }, { version: 2, reason: 'Chấm lại Sở Nội vụ sau giải trình', decisionRef: '123/QĐ-UBND' }],
  });
  // A version that does not exist reads as nothing.
  expect(await result('SNV', 2023, null, 3)).toBeNull();
  // 2024 now compares with version 2.
  expect(await until2024([['SYT', 3, 2], ['SNV', 1, -1], ['STP', 2, -1]])).toEqual([['SYT', 3, 2], ['SNV', 1, -1], ['STP', 2, -1]]);
  // Publishing again is refused.
  expect((await t.gql(`mutation { publishCycle(year: 2023, unitKind: DEPARTMENT) { status } }`)).errors?.[0].extensions?.code).toBe('CONFLICT');
});

test('the ranking appendix exports each version: version 1 as first published, version 2 by default; no version 3', async () => {
  /** Per row: code, index, rank (the columns STT, Mã, Đơn vị, D1's points, …, index, band, rank, change). */
  const rows = async (query: string) => {
    const csv = await download(t, `/export/rankings.csv?year=2023&unitKind=DEPARTMENT${query}`, null);
    expect(csv.status).toBe(200);
    return csv.body.toString('utf8').slice(1).trimEnd().split('\r\n').slice(1).map((line) => {
      const cells = line.split(',');
      return [cells[1], cells[cells.length - 4], cells[cells.length - 2]];
    });
  };
  expect(await rows('&version=1')).toEqual([['STP', '90.00', '1'], ['SYT', '80.00', '2'], ['SNV', '70.00', '3']]);
  expect(await rows('')).toEqual([['SNV', '100.00', '1'], ['STP', '90.00', '2'], ['SYT', '80.00', '3']]);
  const none = await download(t, '/export/rankings.xlsx?year=2023&unitKind=DEPARTMENT&version=3', null);
  expect(none.status).toBe(404);
  expect(none.json().errors[0].message).toMatch(/There is no version 3 of the 2023 DEPARTMENT results; its versions are 1, 2/);
});

/*
 * Late kiosk responses and amendments. 2023 DISTRICT: one domain with E1
 * (EXPERT, max 10) and S1 (SURVEY on Q1, 5 levels, satisfied from 4, max
 * 10), minResponses 1. District PD: E1 10. Two responses before the
 * publication (5 and 1): S1 = 10 × 1/2 = 5, index 100 × 15/20 = 75. One
 * response after it (5), flagged late: an amendment leaving late responses
 * out keeps 75 (2 responses); one including them counts 2 of 3 satisfied:
 * S1 = 20/3, index 100 × (10 + 20/3) / 20 = 83.333… → 83.33 (3 responses).
 */
describe('late responses in an amendment', () => {
  let kiosk: string;
  const rate = async (value: number) => {
    const r = await t.ok(`mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { status } }`, {
      input: { clientId: randomUUID(), submittedAt: '2023-06-15T02:30:00Z', answers: [{ questionCode: 'Q1', value }] },
    }, kiosk);
    expect(r.submitSurveyResponse.status).toBe('ACCEPTED');
  };
  const pd = async (token: string | null) => (await t.ok(`{ unit(code: "PD") { result(year: 2023) { score responses version } } }`, {}, token)).unit.result;

  beforeAll(async () => {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code: 'PD', name: 'Huyện Phong Điền', kind: 'DISTRICT', firstYear: 2020 } });
    await t.ok(`mutation($year: Int!, $questions: [QuestionInput!]!) { defineQuestionnaire(year: $year, questions: $questions) { code } }`,
      { year: 2023, questions: [{ code: 'Q1', text: 'Tiếp cận dịch vụ', element: 'ACCESS', scaleMax: 5 }] });
    await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: {
      year: 2023, unitKind: 'DISTRICT', minResponses: 1, domains: [{ code: 'D1', name: 'Cải cách thủ tục hành chính', criteria: [
        { code: 'E1', name: 'Công khai thủ tục', maxPoints: 10, source: 'EXPERT' },
        { code: 'S1', name: 'Hài lòng', maxPoints: 10, source: 'SURVEY', questionCodes: ['Q1'] },
      ] }] } });
    await t.ok(`mutation { openCycle(year: 2023, unitKind: DISTRICT) { status } }`);
    kiosk = (await t.ok(`mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { token } }`, { input: { unitCode: 'PD', label: 'Quầy 1' } })).registerKiosk.token;
    await t.ok(SUBMIT, { input: { year: 2023, unitCode: 'PD', round: 'APPRAISAL', panelist: 'P1', scores: [{ criterionCode: 'E1', points: 10 }] } });
    await rate(5);
    await rate(1);
    await t.ok(`mutation { publishCycle(year: 2023, unitKind: DISTRICT) { status } }`);
  });

  test('a response after the publication is late: out of an amendment unless it includes late responses', async () => {
    expect(await pd(null)).toEqual({ score: 75, responses: 2, version: 1 });
    await rate(5);
    expect(await t.sql(`SELECT late, count(*)::int AS n FROM survey_response GROUP BY late ORDER BY late`)).toEqual([{ late: false, n: 2 }, { late: true, n: 1 }]);
    await t.ok(AMEND, { input: { year: 2023, unitKind: 'DISTRICT', reason: 'Rà soát' } });
    expect(await pd(ADMIN_TOKEN)).toEqual({ score: 75, responses: 2, version: 2 });
    await t.ok(`mutation { publishCycle(year: 2023, unitKind: DISTRICT) { status } }`);
    await t.ok(AMEND, { input: { year: 2023, unitKind: 'DISTRICT', reason: 'Tính cả phiếu gửi muộn', includeLateResponses: true } });
    expect(await pd(ADMIN_TOKEN)).toEqual({ score: 83.33, responses: 3, version: 3 });
    // Anonymous readers keep version 2 until the amendment is published.
    expect(await pd(null)).toEqual({ score: 75, responses: 2, version: 2 });
    // Its satisfaction figures stay public while it is amending (late responses left out unless asked for).
    expect((await t.ok(`{ satisfaction(year: 2023, unitCode: "PD") { key answers satisfied } }`, {}, null)).satisfaction)
      .toEqual([{ key: 'Q1', answers: 2, satisfied: 1 }]);
    await t.ok(`mutation { publishCycle(year: 2023, unitKind: DISTRICT) { status } }`);
    expect(await pd(null)).toEqual({ score: 83.33, responses: 3, version: 3 });
    expect((await t.ok(`{ cycle(year: 2023, unitKind: DISTRICT) { publications { version } } }`, {}, null)).cycle.publications)
      .toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
  });
});
