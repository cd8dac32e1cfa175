import { startTestService, type TestService } from '../support/test-service';
import { buildProvince, insertResponses, score, type Tokens } from './results-fixture';

/**
 * The index engine end to end over HTTP: a province built from nothing
 * (results-fixture.ts), every figure worked out by hand below.
 *
 * 2023 departments (max 50 = D1 20 + D2 30; index = 100 × earned / max):
 *   VP   C1 10, C2 8, C3.1 10, C3.2 10, S1 10 (4/4)           → 48 / 50  = 96.00 EXCELLENT
 *   SNGV C1 9.835, C2 10, C3.1 10, C3.2 8, S1 20/3 (2/3)       → 44.50167 / 50 = 89.00333 → 89.00 GOOD
 *   STP  C1 9.5, C2 8, C3.1 9.5, C3.2 9 (reappraisal), S1 7.5 (6/8), bonus 1 → 44.5 / 50 = 89.00 GOOD
 *   SNV  C1 n/a, C2 9, C3.1 8, C3.2 9, S1 insufficient, penalty 1 → 25 / 30 = 83.33 GOOD
 *   SYT  C1 10 (self), C2 5, C3.1 6, C3.2 missing, S1 insufficient → 21 / 40 = 52.50 AVERAGE
 * Ranks 1, 2, 2, 4, 5; the tie SNGV/STP listed in Vietnamese order (Ngoại < Tư).
 */
let t: TestService;
let tokens: Tokens;

const RESULT = `score expertScore surveyScore earnedPoints maxPoints rank previousRank rankChange responses
  surveyInsufficient provisional published band { code label minScore } unit { code name }
  domains { code name score earnedPoints maxPoints rank }`;
const RANKINGS = `query($year: Int!, $kind: UnitKind!, $domain: String, $parent: String, $band: String, $first: Int, $after: String) {
  rankings(year: $year, unitKind: $kind, domainCode: $domain, parentCode: $parent, bandCode: $band, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    summary { count average highest { unit { code } score } lowest { unit { code } score } bands { band { code label } count } }
    edges { cursor rank score node { ${RESULT} } }
  } }`;

beforeAll(async () => {
  t = await startTestService();
  tokens = await buildProvince(t);
}, 120000);
afterAll(async () => { await t?.stop(); });

const codes = (r: any) => r.rankings.edges.map((e: any) => [e.node.unit.code, e.rank, e.score]);

test('ranks 2023 departments by rounded index with standard competition ranking (1, 2, 2, 4) and rank changes', async () => {
  const r = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT' }, tokens.analyst);
  expect(codes(r)).toEqual([['VP', 1, 96], ['SNGV', 2, 89], ['STP', 2, 89], ['SNV', 4, 83.33], ['SYT', 5, 52.5]]);
  const byCode = Object.fromEntries(r.rankings.edges.map((e: any) => [e.node.unit.code, e.node]));
  // 2022 ranks STP 1, SYT 2, SNV 3, VP 4, SNGV 5: change = previous − now.
  expect(Object.fromEntries(Object.entries(byCode).map(([c, n]: any) => [c, [n.previousRank, n.rankChange]]))).toEqual({
    VP: [4, 3], SNGV: [5, 3], STP: [1, -1], SNV: [3, -1], SYT: [2, -3],
  });
  expect(byCode.VP).toMatchObject({
    score: 96, expertScore: 95, surveyScore: 100, earnedPoints: 48, maxPoints: 50, responses: 2,
    surveyInsufficient: false, provisional: false, published: false,
    band: { code: 'EXCELLENT', label: 'Xuất sắc', minScore: 90 }, unit: { name: 'Văn phòng UBND tỉnh' },
  });
  // SNGV: D1 19.835/20 = 99.175 → 99.18 (half-up); D2 (18 + 20/3)/30 = 82.222… → 82.22;
  // expert 37.835/40 = 94.5875 → 94.59; survey 2/3 → 66.67; earned 44.50166… → 44.50.
  expect(byCode.SNGV).toMatchObject({
    score: 89, expertScore: 94.59, surveyScore: 66.67, earnedPoints: 44.5, maxPoints: 50, responses: 2, provisional: false,
    band: { code: 'GOOD' },
  });
  expect(byCode.SNGV.domains).toEqual([
    { code: 'D1', name: 'Công tác chỉ đạo, điều hành CCHC', score: 99.18, earnedPoints: 19.84, maxPoints: 20, rank: 1 },
    { code: 'D2', name: 'Cải cách thủ tục hành chính', score: 82.22, earnedPoints: 24.67, maxPoints: 30, rank: 4 },
  ]);
  // STP: the reappraisal (9) replaces the appraisal (6, 6) of C3.2; the late all-unsatisfied response is ignored (4 responses).
  expect(byCode.STP).toMatchObject({ score: 89, expertScore: 90, surveyScore: 75, earnedPoints: 44.5, maxPoints: 50, responses: 4, provisional: false });
  expect(byCode.STP.domains.map((d: any) => [d.score, d.rank])).toEqual([[87.5, 4], [86.67, 2]]);
  // SNV: C1 not applicable for every panelist → max 30; survey insufficient → no survey part.
  expect(byCode.SNV).toMatchObject({
    score: 83.33, expertScore: 86.67, surveyScore: null, earnedPoints: 25, maxPoints: 30, responses: 1,
    surveyInsufficient: true, provisional: false,
  });
  expect(byCode.SNV.domains.map((d: any) => [d.score, d.earnedPoints, d.maxPoints, d.rank])).toEqual([[90, 9, 10, 2], [85, 17, 20, 3]]);
  // SYT: self-assessment and a missing leaf → provisional; one panelist's n/a on C2 leaves the other's 5.
  expect(byCode.SYT).toMatchObject({
    score: 52.5, expertScore: 52.5, surveyScore: null, earnedPoints: 21, maxPoints: 40, responses: 0,
    surveyInsufficient: true, provisional: true, band: { code: 'AVERAGE' },
  });
});

test('summarises a ranking: count, average of rounded indices, highest, lowest and every band', async () => {
  const r = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT' }, tokens.analyst);
  // (96 + 89 + 89 + 83.33 + 52.5) / 5 = 409.83 / 5 = 81.966 → 81.97
  expect(r.rankings.summary).toEqual({
    count: 5, average: 81.97,
    highest: { unit: { code: 'VP' }, score: 96 }, lowest: { unit: { code: 'SYT' }, score: 52.5 },
    bands: [
      { band: { code: 'EXCELLENT', label: 'Xuất sắc' }, count: 1 }, { band: { code: 'GOOD', label: 'Tốt' }, count: 3 },
      { band: { code: 'FAIR', label: 'Khá' }, count: 0 }, { band: { code: 'AVERAGE', label: 'Trung bình' }, count: 1 },
      { band: { code: 'WEAK', label: 'Yếu' }, count: 0 },
    ],
  });
  expect(r.rankings.totalCount).toBe(5);
});

test('ranks a domain on its own index, ties listed in Vietnamese order', async () => {
  // D1: SNGV 99.18; SNV 90 and VP 90 tie ("Sở Nội vụ" < "Văn phòng"); STP 87.5; SYT 15/20 = 75.
  const d1 = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT', domain: 'D1' }, tokens.analyst);
  expect(codes(d1)).toEqual([['SNGV', 1, 99.18], ['SNV', 2, 90], ['VP', 2, 90], ['STP', 4, 87.5], ['SYT', 5, 75]]);
  // (99.18 + 90 + 90 + 87.5 + 75) / 5 = 441.68 / 5 = 88.336 → 88.34
  expect(d1.rankings.summary).toMatchObject({ count: 5, average: 88.34, highest: { unit: { code: 'SNGV' } }, lowest: { unit: { code: 'SYT' } } });
  // D2: VP 30/30; STP 26/30 = 86.67; SNV 17/20 = 85; SNGV 82.22; SYT 6/20 = 30.
  const d2 = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT', domain: 'D2' }, tokens.analyst);
  expect(codes(d2)).toEqual([['VP', 1, 100], ['STP', 2, 86.67], ['SNV', 3, 85], ['SNGV', 4, 82.22], ['SYT', 5, 30]]);
  const missing = await t.gql(RANKINGS, { year: 2023, kind: 'DEPARTMENT', domain: 'D9' }, tokens.analyst);
  expect(missing.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'domainCode' });
});

test('filters by band: ranks stay the overall ones, the summary covers the filtered set', async () => {
  const r = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT', band: 'GOOD' }, tokens.analyst);
  expect(codes(r)).toEqual([['SNGV', 2, 89], ['STP', 2, 89], ['SNV', 4, 83.33]]);
  // (89 + 89 + 83.33) / 3 = 261.33 / 3 = 87.11
  expect(r.rankings.summary).toMatchObject({
    count: 3, average: 87.11, highest: { unit: { code: 'SNGV' } }, lowest: { unit: { code: 'SNV' } },
  });
  expect(r.rankings.summary.bands.map((b: any) => b.count)).toEqual([0, 3, 0, 0, 0]);
  const bad = await t.gql(RANKINGS, { year: 2023, kind: 'DEPARTMENT', band: 'NOPE' }, tokens.analyst);
  expect(bad.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'bandCode' });
});

test('pages with cursors in ranking order', async () => {
  const p1 = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT', first: 2 }, tokens.analyst);
  expect(codes(p1).map((c: any) => c[0])).toEqual(['VP', 'SNGV']);
  expect(p1.rankings.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  const p2 = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT', first: 2, after: p1.rankings.pageInfo.endCursor }, tokens.analyst);
  expect(codes(p2).map((c: any) => c[0])).toEqual(['STP', 'SNV']);
  expect(p2.rankings.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
  const p3 = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT', first: 2, after: p2.rankings.pageInfo.endCursor }, tokens.analyst);
  expect(codes(p3)).toEqual([['SYT', 5, 52.5]]);
  expect(p3.rankings.pageInfo.hasNextPage).toBe(false);
  expect(p3.rankings.totalCount).toBe(5);
  for (const first of [0, 101]) {
    const bad = await t.gql(RANKINGS, { year: 2023, kind: 'DEPARTMENT', first }, tokens.analyst);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  }
  const badCursor = await t.gql(RANKINGS, { year: 2023, kind: 'DEPARTMENT', after: 'xyz' }, tokens.analyst);
  expect(badCursor.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
});

test('shows provisional years only to roles that may see them; published years to everyone', async () => {
  const anon = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT' }, null);
  expect(anon.rankings).toMatchObject({ totalCount: 0, edges: [], summary: { count: 0, average: null, highest: null } });
  const past = await t.ok(RANKINGS, { year: 2022, kind: 'DEPARTMENT' }, null);
  expect(codes(past)).toEqual([['STP', 1, 100], ['SYT', 2, 90], ['SNV', 3, 80], ['VP', 4, 70], ['SNGV', 5, 60]]);
  expect(past.rankings.edges.every((e: any) => e.node.published)).toBe(true);
  // (100 + 90 + 80 + 70 + 60) / 5 = 80; bands 1 EXCELLENT, 1 GOOD (80), 1 FAIR, 1 AVERAGE (60), 0 WEAK.
  expect(past.rankings.summary.average).toBe(80);
  expect(past.rankings.summary.bands.map((b: any) => b.count)).toEqual([2, 1, 1, 1, 0]);

  const q = `{ unit(code: "VP") { result2023: result(year: 2023) { score rank } result2022: result(year: 2022) { score rank rankChange }
    results { year score rank } } }`;
  expect((await t.ok(q, {}, null)).unit).toEqual({
    result2023: null, result2022: { score: 70, rank: 4, rankChange: null }, results: [{ year: 2022, score: 70, rank: 4 }],
  });
  expect((await t.ok(q, {}, tokens.analyst)).unit).toEqual({
    result2023: { score: 96, rank: 1 }, result2022: { score: 70, rank: 4, rankChange: null },
    results: [{ year: 2023, score: 96, rank: 1 }, { year: 2022, score: 70, rank: 4 }],
  });
});

const SUBMIT = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score } }`;
const submit = (input: Record<string, unknown>, token?: string | null) =>
  t.gql(SUBMIT, { input: { year: 2023, unitCode: 'SYT', round: 'APPRAISAL', ...input } }, token === undefined ? tokens.p1 : token);

test('refuses scores outside the rules, naming the field and the allowed range, and stores nothing of the call', async () => {
  const before = await t.sql(`SELECT count(*)::int AS n, sum(coalesce(points, 0))::text AS s FROM expert_score`);
  const cases: [Record<string, unknown>, string, string, RegExp][] = [
    [{ scores: [{ criterionCode: 'C2', points: 5 }, { criterionCode: 'C1', points: 10.5 }] }, 'BAD_USER_INPUT', 'input.scores[1].points', /10\.5.*maximum 10.*0 to 10/],
    [{ scores: [{ criterionCode: 'C1', points: 9.555 }] }, 'BAD_USER_INPUT', 'input.scores[0].points', /more than 2 decimals/],
    [{ scores: [{ criterionCode: 'C1', points: -1 }] }, 'BAD_USER_INPUT', 'input.scores[0].points', /negative.*0 to 10/],
    [{ scores: [{ criterionCode: 'C1' }] }, 'BAD_USER_INPUT', 'input.scores[0].points', /required/],
    [{ scores: [{ criterionCode: 'C1', points: 5 }], bonus: 2.5 }, 'BAD_USER_INPUT', 'input.bonus', /2\.5 exceeds the cap 2/],
    [{ scores: [{ criterionCode: 'C1', points: 5 }], penalty: 3.01 }, 'BAD_USER_INPUT', 'input.penalty', /cap 3/],
    [{ scores: [{ criterionCode: 'S1', points: 5 }] }, 'BAD_USER_INPUT', 'input.scores[0].criterionCode', /SURVEY/],
    [{ scores: [{ criterionCode: 'C3', points: 5 }] }, 'BAD_USER_INPUT', 'input.scores[0].criterionCode', /sub-criteria/],
    [{ scores: [{ criterionCode: 'C1', points: 5 }, { criterionCode: 'XX', points: 1 }] }, 'NOT_FOUND', 'input.scores[1].criterionCode', /XX/],
    [{ unitCode: 'NOPE', scores: [{ criterionCode: 'C1', points: 5 }] }, 'NOT_FOUND', 'input.unitCode', /NOPE/],
  ];
  for (const [input, code, field, message] of cases) {
    const r = await submit(input);
    expect({ field, ext: r.errors?.[0].extensions }).toMatchObject({ field, ext: { code, field } });
    expect(r.errors?.[0].message).toMatch(message);
  }
  expect((await submit({ scores: [{ criterionCode: 'C1', points: 5 }] }, tokens.analyst)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect((await submit({ scores: [{ criterionCode: 'C1', points: 5 }] }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect(await t.sql(`SELECT count(*)::int AS n, sum(coalesce(points, 0))::text AS s FROM expert_score`)).toEqual(before);
});

test('refuses expert scores and a second publication once a year is published', async () => {
  const r = await t.gql(SUBMIT, { input: { year: 2022, unitCode: 'VP', round: 'REAPPRAISAL', scores: [{ criterionCode: 'C1', points: 10 }] } }, tokens.p1);
  expect(r.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CYCLE_PUBLISHED' });
  const again = await t.gql(`mutation { publishCycle(year: 2022, unitKind: DEPARTMENT) { status } }`);
  expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
  const notAdmin = await t.gql(`mutation { publishCycle(year: 2023, unitKind: DEPARTMENT) { status } }`, {}, tokens.p1);
  expect(notAdmin.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

test('reflects a new expert score at once, and new survey responses within 5 seconds', async () => {
  // SYT's reappraisal of C3.2 at 10: earned 31 of 40 → 77.50, still provisional (C1 self-assessed), FAIR.
  const r = await t.ok(SUBMIT.replace('{ score }', '{ score rank provisional band { code } }'),
    { input: { year: 2023, unitCode: 'SYT', round: 'REAPPRAISAL', scores: [{ criterionCode: 'C3.2', points: 10 }] } }, tokens.p2);
  expect(r.submitExpertScores).toEqual({ score: 77.5, rank: 5, provisional: true, band: { code: 'FAIR' } });

  // Two satisfied responses (4/4 answers) make SYT's survey leaf count: (31 + 10) / 50 → 82.00, still 5th behind SNV's 83.33.
  await insertResponses(t, 'SYT', 2023, [{ Q1: 5, Q2: 3 }, { Q1: 4, Q2: 2 }]);
  const deadline = Date.now() + 5000;
  let syt: any;
  do {
    await new Promise((resolve) => setTimeout(resolve, 200));
    syt = (await t.ok(`{ unit(code: "SYT") { result(year: 2023) { score rank responses surveyInsufficient surveyScore } } }`, {}, tokens.analyst)).unit.result;
  } while (syt.responses !== 2 && Date.now() < deadline);
  expect(syt).toEqual({ score: 82, rank: 5, responses: 2, surveyInsufficient: false, surveyScore: 100 });
});

test('publishes a year: results frozen, published for everyone, later data ignored', async () => {
  const p = await t.ok(`mutation { publishCycle(year: 2023, unitKind: DEPARTMENT) { year status } }`);
  expect(p.publishCycle).toEqual({ year: 2023, status: 'PUBLISHED' });
  const anon = await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT' }, null);
  expect(codes(anon)).toEqual([['VP', 1, 96], ['SNGV', 2, 89], ['STP', 2, 89], ['SNV', 4, 83.33], ['SYT', 5, 82]]);
  expect(anon.rankings.edges.every((e: any) => e.node.published)).toBe(true);
  const computedAt = await t.sql(`SELECT max(computed_at)::text AS at FROM index_result`);
  // A late kiosk upload of 2023 is stored but moves nothing.
  await insertResponses(t, 'VP', 2023, [{ Q1: 1, Q2: 1 }, { Q1: 1, Q2: 1 }, { Q1: 1, Q2: 1 }], true);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await t.sql(`SELECT max(computed_at)::text AS at FROM index_result`)).toEqual(computedAt);
  expect(codes(await t.ok(RANKINGS, { year: 2023, kind: 'DEPARTMENT' }, null))).toEqual(codes(anon));
});

test('ranks communes overall and within their district', async () => {
  for (const [code, name] of [['H1', 'Huyện Phong Điền'], ['H2', 'Huyện Quảng Điền']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DISTRICT' } });
  }
  for (const [code, name, parentCode] of [['X1', 'Xã An Bình', 'H1'], ['X2', 'Xã Bình An', 'H1'], ['X3', 'Phường 2', 'H1'], ['X4', 'Xã Đông Sơn', 'H2']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'COMMUNE', parentCode } });
  }
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, {
    input: { year: 2023, unitKind: 'COMMUNE', domains: [{ code: 'D1', name: 'Chỉ đạo', criteria: [{ code: 'C1', name: 'Kế hoạch', maxPoints: 10, source: 'EXPERT' }] }] },
  });
  await t.ok(`mutation { openCycle(year: 2023, unitKind: COMMUNE) { status } }`);
  // X1 9 → 90, X2 8 → 80, X3 9 → 90, X4 9.5 → 95.
  for (const [unit, p] of [['X1', 9], ['X2', 8], ['X3', 9], ['X4', 9.5]] as const) await score(t, tokens.p1, 2023, unit, 'APPRAISAL', { C1: p });
  const all = await t.ok(RANKINGS, { year: 2023, kind: 'COMMUNE' }, tokens.analyst);
  expect(codes(all)).toEqual([['X4', 1, 95], ['X3', 2, 90], ['X1', 2, 90], ['X2', 4, 80]]);
  const h1 = await t.ok(RANKINGS, { year: 2023, kind: 'COMMUNE', parent: 'H1' }, tokens.analyst);
  expect(codes(h1)).toEqual([['X3', 1, 90], ['X1', 1, 90], ['X2', 3, 80]]);
  // (90 + 90 + 80) / 3 = 86.666… → 86.67
  expect(h1.rankings.summary).toMatchObject({ count: 3, average: 86.67, highest: { unit: { code: 'X3' } }, lowest: { unit: { code: 'X2' } } });
  const h1d = await t.ok(RANKINGS, { year: 2023, kind: 'COMMUNE', parent: 'H1', domain: 'D1' }, tokens.analyst);
  expect(codes(h1d)).toEqual([['X3', 1, 90], ['X1', 1, 90], ['X2', 3, 80]]);
  const bad = await t.gql(RANKINGS, { year: 2023, kind: 'COMMUNE', parent: 'NOPE' }, tokens.analyst);
  expect(bad.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'parentCode' });
});
