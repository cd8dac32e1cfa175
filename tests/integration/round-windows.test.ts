import { startTestService, type TestService } from '../support/test-service';
import { download, readXlsx, upload, writeXlsx } from './documents-fixture';

/**
 * Round windows, withdrawing a score, and a unit's assessment (issue 14;
 * API.md "Round windows" and "Assessment, notes and explanation requests"),
 * over HTTP as an ADMIN, appraisers, unit officers and readers call them.
 *
 * Departments STP and SYT, district H1; framework 2024 DEPARTMENT: one
 * domain D1 with EXPERT leaves C1 and C2 (max 10 each), panel MEAN,
 * opened. 2025 DEPARTMENT is defined and left DRAFT. Appraisers P1 and P2,
 * a UNIT token for each department, an ANALYST.
 *
 * Windows are set relative to the clock (now ± hours) where the test needs
 * one open, and in March 2026 where it needs one closed whose Vietnam-time
 * text is known: 2026-03-01T01:00Z is 08:00 in Hà Nội, 2026-03-31T10:00Z
 * is 17:00.
 */
let t: TestService;
const tok: Record<string, string> = {};

const HOUR = 3600 * 1000;
const at = (ms: number) => new Date(Date.now() + ms).toISOString();
const MARCH = { opensAt: '2026-03-01T01:00:00Z', closesAt: '2026-03-31T10:00:00Z' };
const MARCH_TEXT = '2026-03-01 08:00–2026-03-31 17:00 (giờ Việt Nam)';

const SUBMIT = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score earnedPoints } }`;
const SET = `mutation($input: RoundWindowInput!) { setRoundWindow(input: $input) { year rounds { round opensAt closesAt } } }`;
const EXTEND = `mutation($year: Int!, $kind: UnitKind!, $round: ScoreRound!, $unit: String!, $closesAt: DateTime!) {
  extendRoundWindow(year: $year, unitKind: $kind, round: $round, unitCode: $unit, closesAt: $closesAt) { year rounds { round } } }`;
const WITHDRAW = `mutation($year: Int!, $unit: String!, $criterion: String!, $round: ScoreRound!, $panelist: String) {
  withdrawExpertScore(year: $year, unitCode: $unit, criterionCode: $criterion, round: $round, panelist: $panelist) { score earnedPoints } }`;
const RESULT = `query($code: String!) { unit(code: $code) { result(year: 2024) { score earnedPoints } } }`;
const ASSESSMENT = `query($code: String!) { unit(code: $code) { assessment(year: 2024) {
  criterionCode round panelist points notApplicable note enteredAt enteredBy } } }`;

const submit = (unitCode: string, round: string, points: Record<string, number>, extra: Record<string, unknown> = {}) => ({
  input: { year: 2024, unitCode, round, ...extra, scores: Object.entries(points).map(([criterionCode, p]) => ({ criterionCode, points: p })) },
});
const window = (round: string, opensAt: string, closesAt: string, year = 2024) => ({ input: { year, unitKind: 'DEPARTMENT', round, opensAt, closesAt } });
const stored = (unit: string) => t.sql(
  `SELECT c.code AS criterion, s.round::text AS round, s.panelist, s.points::text AS points
     FROM expert_score s JOIN criterion c ON c.id = s.criterion_id JOIN unit u ON u.id = s.unit_id
    WHERE u.code = $1 ORDER BY 1, 2, 3`, [unit]);
const framework = (year: number) => ({
  year, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
    { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
    { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' },
  ] }],
});
const refusal = (r: { errors?: { message: string; extensions?: Record<string, unknown> }[] }) => ({
  code: r.errors?.[0]?.extensions?.code, field: r.errors?.[0]?.extensions?.field, message: r.errors?.[0]?.message ?? '',
});

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000 });
  for (const [code, name] of [['STP', 'Sở Tư pháp'], ['SYT', 'Sở Y tế']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  await t.ok(`mutation { createUnit(input: {code: "H1", name: "Huyện Một", kind: DISTRICT}) { id } }`);
  const issue = async (role: string, name: string, unitCode?: string) => (await t.ok(
    `mutation($input: IssueTokenInput!) { issueToken(input: $input) }`, { input: { role, name, ...(unitCode ? { unitCode } : {}) } })).issueToken;
  tok.P1 = await issue('APPRAISER', 'P1');
  tok.P2 = await issue('APPRAISER', 'P2');
  tok.STP = await issue('UNIT', 'Cán bộ STP', 'STP');
  tok.SYT = await issue('UNIT', 'Cán bộ SYT', 'SYT');
  tok.analyst = await issue('ANALYST', 'Phân tích');
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(2024) });
  await t.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(2025) });
}, 60000);
afterAll(async () => { await t?.stop(); });

test('a round without a window takes scores while the cycle is OPEN; a DRAFT cycle takes none, nothing stored', async () => {
  // STP: C1 8 of 20 → 40.
  expect((await t.ok(SUBMIT, submit('STP', 'APPRAISAL', { C1: 8 }), tok.P1)).submitExpertScores).toEqual({ score: 40, earnedPoints: 8 });
  const draft = await t.gql(SUBMIT, { input: { ...submit('STP', 'APPRAISAL', { C1: 5 }).input, year: 2025 } }, tok.P1);
  expect(refusal(draft)).toMatchObject({ code: 'CONFLICT' });
  expect(refusal(draft).message).toMatch(/2025 DEPARTMENT cycle is DRAFT/);
  expect((await stored('STP')).filter((s) => s.points === '5.00')).toEqual([]);
  // A DRAFT cycle has nothing to withdraw either.
  expect(refusal(await t.gql(WITHDRAW, { year: 2025, unit: 'STP', criterion: 'C1', round: 'APPRAISAL', panelist: 'P1' }))).toMatchObject({ code: 'CONFLICT', field: 'year' });
});

test('inside its window a round takes scores; outside, CONFLICT giving the window in Vietnam time, and nothing is stored', async () => {
  const set = await t.ok(SET, window('APPRAISAL', at(-2 * HOUR), at(2 * HOUR)));
  expect(set.setRoundWindow.rounds.map((w: { round: string }) => w.round)).toEqual(['APPRAISAL']);
  // P2 joins STP's C1 while APPRAISAL is open: mean(8, 6) = 7 of 20 → 35.
  expect((await t.ok(SUBMIT, submit('STP', 'APPRAISAL', { C1: 6 }), tok.P2)).submitExpertScores).toEqual({ score: 35, earnedPoints: 7 });

  await t.ok(SET, window('REAPPRAISAL', MARCH.opensAt, MARCH.closesAt));
  const late = await t.gql(SUBMIT, submit('STP', 'REAPPRAISAL', { C1: 10 }), tok.P1);
  expect(refusal(late)).toMatchObject({ code: 'CONFLICT', field: 'input.round' });
  expect(refusal(late).message).toContain(MARCH_TEXT);
  expect(refusal(late).message).toMatch(/has closed for unit STP/);
  // A bonus rides on the call's round: refused too.
  expect(refusal(await t.gql(SUBMIT, { input: { year: 2024, unitCode: 'STP', round: 'REAPPRAISAL', scores: [], bonus: 1 } }, tok.P1)).code).toBe('CONFLICT');

  await t.ok(SET, window('REAPPRAISAL', at(24 * HOUR), at(48 * HOUR)));
  const early = await t.gql(SUBMIT, submit('STP', 'REAPPRAISAL', { C1: 10 }), tok.P1);
  expect(refusal(early)).toMatchObject({ code: 'CONFLICT', field: 'input.round' });
  expect(refusal(early).message).toMatch(/has not opened yet/);
  expect((await stored('STP')).map((s) => s.round)).toEqual(['APPRAISAL', 'APPRAISAL']);
  expect((await t.ok(RESULT, { code: 'STP' })).unit.result).toEqual({ score: 35, earnedPoints: 7 });

  // Cycle.rounds lists the windows in the year's order, as set.
  const cycle = await t.ok(`{ cycle(year: 2024, unitKind: DEPARTMENT) { rounds { round opensAt closesAt } } }`, {}, null);
  expect(cycle.cycle.rounds.map((w: { round: string }) => w.round)).toEqual(['APPRAISAL', 'REAPPRAISAL']);
});

test('an extension opens a closed round for that unit only, until its own close', async () => {
  await t.ok(SET, window('SELF_ASSESSMENT', MARCH.opensAt, MARCH.closesAt));
  const before = await t.gql(SUBMIT, submit('STP', 'SELF_ASSESSMENT', { C2: 9 }), tok.STP);
  expect(refusal(before)).toMatchObject({ code: 'CONFLICT' });
  expect(refusal(before).message).toContain(MARCH_TEXT);

  await t.ok(EXTEND, { year: 2024, kind: 'DEPARTMENT', round: 'SELF_ASSESSMENT', unit: 'STP', closesAt: at(HOUR) });
  // STP's officer may now self-assess: C1 7 (the latest round, APPRAISAL), C2 9 (SELF_ASSESSMENT) → 16 of 20 = 80.
  expect((await t.ok(SUBMIT, submit('STP', 'SELF_ASSESSMENT', { C2: 9 }), tok.STP)).submitExpertScores).toEqual({ score: 80, earnedPoints: 16 });
  // SYT has no extension: its officer, and an ADMIN typing for it, are refused with the window.
  for (const token of [tok.SYT, undefined]) {
    const other = await t.gql(SUBMIT, submit('SYT', 'SELF_ASSESSMENT', { C2: 9 }), token);
    expect(refusal(other)).toMatchObject({ code: 'CONFLICT', field: 'input.round' });
    expect(refusal(other).message).toContain(MARCH_TEXT);
  }
  expect(await stored('SYT')).toEqual([]);
  // The extension's message names the unit's later close.
  await t.ok(EXTEND, { year: 2024, kind: 'DEPARTMENT', round: 'SELF_ASSESSMENT', unit: 'STP', closesAt: '2026-04-10T10:00:00Z' });
  const over = await t.gql(SUBMIT, submit('STP', 'SELF_ASSESSMENT', { C2: 8 }), tok.STP);
  expect(refusal(over).message).toContain(`${MARCH_TEXT}, extended for unit STP until 2026-04-10 17:00 (giờ Việt Nam)`);
});

test('setRoundWindow and extendRoundWindow refuse bad input naming the field, and other roles', async () => {
  const backwards = await t.gql(SET, window('APPRAISAL', at(2 * HOUR), at(HOUR)));
  expect(refusal(backwards)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.closesAt' });
  expect(refusal(await t.gql(SET, window('APPRAISAL', at(0), at(HOUR), 2030)))).toMatchObject({ code: 'NOT_FOUND', field: 'input.year' });
  expect(refusal(await t.gql(SET, window('APPRAISAL', at(0), at(HOUR)), tok.P1)).code).toBe('FORBIDDEN');
  const extend = (vars: Record<string, unknown>, token?: string) => t.gql(EXTEND,
    { year: 2024, kind: 'DEPARTMENT', round: 'SELF_ASSESSMENT', unit: 'SYT', closesAt: at(HOUR), ...vars }, token);
  expect(refusal(await extend({ closesAt: '2026-03-20T10:00:00Z' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'closesAt' });
  expect(refusal(await extend({ unit: 'H1' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'unitCode' });
  expect(refusal(await extend({ unit: 'NOPE' }))).toMatchObject({ code: 'NOT_FOUND', field: 'unitCode' });
  expect(refusal(await extend({ year: 2025, round: 'APPRAISAL' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'round' });
  expect(refusal(await extend({}, tok.STP)).code).toBe('FORBIDDEN');
  // None of them left a row.
  expect(await t.sql(`SELECT u.code FROM round_window_extension e JOIN unit u ON u.id = e.unit_id`)).toEqual([{ code: 'STP' }]);
  expect(await t.sql(`SELECT count(*)::int AS n FROM round_window w JOIN cycle c ON c.id = w.cycle_id WHERE c.year = 2030 OR w.opens_at > w.closes_at`)).toEqual([{ n: 0 }]);
});

test('withdrawExpertScore takes the score out of the method and recomputes the unit exactly', async () => {
  // SYT, APPRAISAL: P1 gives C1 6 and C2 9, P2 gives C1 8. C1 = mean(6, 8) = 7, C2 = 9: 16 of 20 → 80.
  await t.ok(SUBMIT, submit('SYT', 'APPRAISAL', { C1: 6, C2: 9 }), tok.P1);
  expect((await t.ok(SUBMIT, submit('SYT', 'APPRAISAL', { C1: 8 }), tok.P2)).submitExpertScores).toEqual({ score: 80, earnedPoints: 16 });

  // P1 may not withdraw P2's score, a unit officer not an appraisal score: FORBIDDEN, nothing changes.
  const vars = { year: 2024, unit: 'SYT', criterion: 'C1', round: 'APPRAISAL', panelist: 'P2' };
  expect(refusal(await t.gql(WITHDRAW, vars, tok.P1))).toMatchObject({ code: 'FORBIDDEN', field: 'panelist' });
  expect(refusal(await t.gql(WITHDRAW, { ...vars, panelist: null }, tok.SYT)).code).toBe('FORBIDDEN');
  expect(refusal(await t.gql(WITHDRAW, vars, tok.analyst)).code).toBe('FORBIDDEN');
  expect(refusal(await t.gql(WITHDRAW, { ...vars, criterion: 'C2' }))).toMatchObject({ code: 'NOT_FOUND', field: 'criterionCode' });
  expect(refusal(await t.gql(WITHDRAW, { ...vars, criterion: 'C9' }))).toMatchObject({ code: 'NOT_FOUND', field: 'criterionCode' });
  expect((await stored('SYT')).length).toBe(3);

  // P2 withdraws its own C1 (panelist defaults to the token's name): C1 = 6 alone, C2 = 9: 15 of 20 → 75.
  const after = await t.ok(WITHDRAW, { ...vars, panelist: null }, tok.P2);
  expect(after.withdrawExpertScore).toEqual({ score: 75, earnedPoints: 15 });
  expect((await t.ok(RESULT, { code: 'SYT' }, tok.analyst)).unit.result).toEqual({ score: 75, earnedPoints: 15 });
  expect(await stored('SYT')).toEqual([
    { criterion: 'C1', round: 'APPRAISAL', panelist: 'P1', points: '6.00' },
    { criterion: 'C2', round: 'APPRAISAL', panelist: 'P1', points: '9.00' },
  ]);
  // The audit keeps what was withdrawn.
  const [entry] = await t.sql(`SELECT actor, target, before, after FROM audit_entry WHERE operation = 'withdrawExpertScore'`);
  expect(entry).toMatchObject({ actor: 'P2', target: 'APPRAISAL/P2/C1', after: null });
  expect(entry.before).toMatchObject({ points: 8, notApplicable: false, enteredBy: 'P2' });

  // An ADMIN withdraws for a named panelist: P1's C2 → C1 6 of 20 → 30.
  expect((await t.ok(WITHDRAW, { ...vars, criterion: 'C2', panelist: 'P1' })).withdrawExpertScore).toEqual({ score: 30, earnedPoints: 6 });
});

test('withdrawing outside the round\'s window is refused with the window, and nothing changes', async () => {
  await t.ok(SET, window('APPRAISAL', MARCH.opensAt, MARCH.closesAt));
  const r = await t.gql(WITHDRAW, { year: 2024, unit: 'SYT', criterion: 'C1', round: 'APPRAISAL', panelist: null }, tok.P1);
  expect(refusal(r)).toMatchObject({ code: 'CONFLICT', field: 'round' });
  expect(refusal(r).message).toContain(MARCH_TEXT);
  expect(await stored('SYT')).toEqual([{ criterion: 'C1', round: 'APPRAISAL', panelist: 'P1', points: '6.00' }]);
  expect((await t.ok(RESULT, { code: 'SYT' }, tok.analyst)).unit.result).toEqual({ score: 30, earnedPoints: 6 });
  expect(await t.sql(`SELECT count(*)::int AS n FROM audit_entry WHERE operation = 'withdrawExpertScore'`)).toEqual([{ n: 2 }]);
  // Reopened for the next test.
  await t.ok(SET, window('APPRAISAL', at(-2 * HOUR), at(2 * HOUR)));
});

test('Unit.assessment shows every stored score with its note, who typed it and when, to those who may read it', async () => {
  const started = Date.now();
  // An ADMIN types P2's C2 for STP with a note: the panelist is P2, the typist the admin.
  await t.ok(SUBMIT, { input: { year: 2024, unitCode: 'STP', round: 'APPRAISAL', panelist: 'P2', scores: [
    { criterionCode: 'C2', points: 7.5, note: 'Thiếu minh chứng kế hoạch kiểm tra' },
    { criterionCode: 'C1', notApplicable: true },
  ] } });
  const read = async (token?: string | null) => (await t.ok(ASSESSMENT, { code: 'STP' }, token)).unit.assessment;
  const admin = await read();
  // By criterion code, round (the year's order), panelist.
  expect(admin.map((s: any) => [s.criterionCode, s.round, s.panelist, s.points, s.notApplicable, s.note, s.enteredBy])).toEqual([
    ['C1', 'APPRAISAL', 'P1', 8, false, null, 'P1'],
    ['C1', 'APPRAISAL', 'P2', null, true, null, 'admin'],
    ['C2', 'SELF_ASSESSMENT', 'STP', 9, false, null, 'Cán bộ STP'],
    ['C2', 'APPRAISAL', 'P2', 7.5, false, 'Thiếu minh chứng kế hoạch kiểm tra', 'admin'],
  ]);
  const typed = new Date(admin[3].enteredAt).getTime();
  expect(typed).toBeGreaterThanOrEqual(started - 5000);
  expect(typed).toBeLessThanOrEqual(Date.now() + 5000);

  // The unit itself, appraisers and analysts read the same; another unit's officer, a reader without a token: nothing.
  expect(await read(tok.STP)).toEqual(admin);
  expect(await read(tok.P1)).toEqual(admin);
  expect(await read(tok.analyst)).toEqual(admin);
  expect(await read(tok.SYT)).toEqual([]);
  expect(await read(null)).toEqual([]);

  // Read through a rankings page (which PostgreSQL may otherwise write whole), the field is answered too.
  const page = await t.ok(`{ rankings(year: 2024, unitKind: DEPARTMENT) { edges { node { unit { code assessment(year: 2024) { panelist } } } } } }`, {}, tok.analyst);
  const stp = page.rankings.edges.find((e: any) => e.node.unit.code === 'STP');
  expect(stp.node.unit.assessment.map((s: any) => s.panelist)).toEqual(['P1', 'P2', 'STP', 'P2']);
});

test('the Excel import follows the same windows: a closed round refuses the whole sheet with the window, an extension lets its unit in', async () => {
  // A sheet as P1 fills it: SYT's C2 5 (column E: the leaves start at D, C1 then C2).
  const tpl = await download(t, '/templates/appraisal.xlsx?year=2024&unitKind=DEPARTMENT', tok.P1);
  const wb = await readXlsx(tpl.body);
  const sheet = wb.getWorksheet('Thẩm định')!;
  let row = 0;
  sheet.eachRow((r, n) => { if (r.getCell(2).value === 'SYT') row = n; });
  expect(row).toBeGreaterThan(0);
  sheet.getCell(`E${row}`).value = 5;
  const file = await writeXlsx(wb);
  const before = await stored('SYT');

  await t.ok(SET, window('APPRAISAL', MARCH.opensAt, MARCH.closesAt));
  const refused = await upload(t, '/import/appraisal?round=APPRAISAL', file, {}, tok.P1);
  expect(refused.status).toBe(409);
  expect(refused.body.applied).toBe(0);
  expect(refused.body.errors[0]).toMatchObject({ code: 'CONFLICT', field: 'round' });
  expect(refused.body.errors[0].message).toContain(MARCH_TEXT);
  expect(refused.body.errors[0].message).toMatch(/unit SYT/);
  expect(await stored('SYT')).toEqual(before);

  // SYT's extension: the same sheet is taken, and SYT's assessment says P1 typed it.
  await t.ok(EXTEND, { year: 2024, kind: 'DEPARTMENT', round: 'APPRAISAL', unit: 'SYT', closesAt: at(HOUR) });
  const taken = await upload(t, '/import/appraisal?round=APPRAISAL', file, {}, tok.P1);
  expect(taken.status).toBe(200);
  expect(taken.body).toMatchObject({ applied: 1, errors: [] });
  const syt = (await t.ok(ASSESSMENT, { code: 'SYT' }, tok.analyst)).unit.assessment;
  expect(syt.map((s: any) => [s.criterionCode, s.panelist, s.points, s.enteredBy])).toEqual([['C1', 'P1', 6, 'P1'], ['C2', 'P1', 5, 'P1']]);
  // C1 6 + C2 5 of 20 → 55.
  expect((await t.ok(RESULT, { code: 'SYT' }, tok.analyst)).unit.result).toEqual({ score: 55, earnedPoints: 11 });
});
