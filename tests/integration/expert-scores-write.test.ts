import { Client } from 'pg';
import { UnitKind } from '../../src/entities/enums';
import { readCycleInputs, unitInput } from '../../src/results/cycle-inputs';
import { startTestService, type TestService } from '../support/test-service';

/**
 * submitExpertScores as an appraiser meets it (issue 10, items 7 and 8):
 * no scores while the cycle is DRAFT, and an answer that always tells the
 * truth about what was stored, even when the recomputation after the
 * commit fails.
 *
 * Departments STP and SYT; framework 2024 DEPARTMENT: one domain D1 with
 * EXPERT leaves C1 and C2 (max 10 each), opened. 2025 is defined, not opened.
 */
let t: TestService;
let appraiser: string;
let cycleId: number;

const SUBMIT = `mutation($input: SubmitExpertScoresInput!) {
  submitExpertScores(input: $input) { score earnedPoints provisional stale } }`;
const RESULT = `query($code: String!, $year: Int!) { unit(code: $code) { result(year: $year) { score earnedPoints stale } } }`;
const framework = (year: number) => ({
  year, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
    { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
    { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' },
  ] }],
});
const scores = (year: number, unitCode: string, points: Record<string, number>) => ({
  input: { year, unitCode, round: 'APPRAISAL', scores: Object.entries(points).map(([criterionCode, p]) => ({ criterionCode, points: p })) },
});
const stored = async (year: number) => t.sql(
  `SELECT u.code AS unit, c.code AS criterion, s.points::text AS points
     FROM expert_score s JOIN criterion c ON c.id = s.criterion_id JOIN cycle y ON y.id = c.cycle_id JOIN unit u ON u.id = s.unit_id
    WHERE y.year = $1 ORDER BY 1, 2`, [year]);

beforeAll(async () => {
  // A short statement timeout, so that a recomputation held up by a lock fails within the test.
  t = await startTestService({ recomputeIntervalMs: 60000, statementTimeoutMs: 1500 });
  for (const [code, name] of [['STP', 'Sở Tư pháp'], ['SYT', 'Sở Y tế']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  appraiser = (await t.ok(`mutation { issueToken(input: {role: APPRAISER, name: "P1"}) }`)).issueToken;
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(2024) });
  await t.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { status } }`, { input: framework(2025) });
  [{ id: cycleId }] = await t.sql(`SELECT id FROM cycle WHERE year = 2024 AND unit_kind = 'DEPARTMENT'`);
}, 60000);
afterAll(async () => { await t?.stop(); });

test('scores for a DRAFT cycle are refused with CONFLICT naming openCycle, and nothing is stored', async () => {
  const r = await t.gql(SUBMIT, scores(2025, 'STP', { C1: 7 }), appraiser);
  expect(r.data).toBeNull();
  expect(r.errors?.[0].extensions?.code).toBe('CONFLICT');
  expect(r.errors?.[0].message).toMatch(/2025 DEPARTMENT cycle is DRAFT/);
  expect(r.errors?.[0].message).toMatch(/openCycle/);
  expect(await stored(2025)).toEqual([]);
  // Once opened, the same call is accepted: C1 7 of 20 → 35.
  await t.ok(`mutation { openCycle(year: 2025, unitKind: DEPARTMENT) { status } }`);
  expect((await t.ok(SUBMIT, scores(2025, 'STP', { C1: 7 }), appraiser)).submitExpertScores).toMatchObject({ score: 35, stale: false });
  expect(await stored(2025)).toEqual([{ unit: 'STP', criterion: 'C1', points: '7.00' }]);
});

test('an answer after a recomputation is current, not stale', async () => {
  // STP: C1 8, C2 missing → 8 of 20 = 40, provisional.
  const r = await t.ok(SUBMIT, scores(2024, 'STP', { C1: 8 }), appraiser);
  expect(r.submitExpertScores).toEqual({ score: 40, earnedPoints: 8, provisional: true, stale: false });
});

test('when the recomputation fails after the commit, the answer says the scores are stored and the result is stale; the scheduler catches up', async () => {
  // Another session holds the cycle's results lock: the recomputation's write waits, then hits the statement timeout.
  const holder = new Client({ connectionString: t.databaseUrl });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock(hashtext($1), $2)', ['index_result', cycleId]);

    const r = await t.gql(SUBMIT, scores(2024, 'STP', { C2: 6 }), appraiser);
    // Not an error: the scores happened. The figures are the last computed ones (40), marked stale.
    expect(r.errors).toBeUndefined();
    expect(r.data.submitExpertScores).toEqual({ score: 40, earnedPoints: 8, provisional: true, stale: true });
    expect(await stored(2024)).toEqual([
      { unit: 'STP', criterion: 'C1', points: '8.00' }, { unit: 'STP', criterion: 'C2', points: '6.00' },
    ]);
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    await holder.end();
  }
  // The failed cycle was handed to the scheduler: its next tick recomputes it. C1 8 + C2 6 of 20 → 70.
  await t.service.services.recompute.tick();
  expect((await t.ok(RESULT, { code: 'STP', year: 2024 }, appraiser)).unit.result).toEqual({ score: 70, earnedPoints: 14, stale: false });
  // And a resend of the same scores is harmless: the same figures, current.
  expect((await t.ok(SUBMIT, scores(2024, 'STP', { C2: 6 }), appraiser)).submitExpertScores).toMatchObject({ score: 70, stale: false });
}, 30000);

test('a scheduler tick whose recomputation fails keeps the cycle due until one succeeds', async () => {
  const results = t.service.services.results;
  const real = results.recompute.bind(results);
  let calls = 0;
  results.recompute = (id: number) => { calls++; return Promise.reject(new Error(`injected failure ${id}`)); };
  try {
    // Its own recomputation fails: SYT's stored result (nothing scored yet: 0) comes back stale.
    expect((await t.ok(SUBMIT, scores(2024, 'SYT', { C1: 5, C2: 5 }), appraiser)).submitExpertScores).toMatchObject({ score: 0, stale: true });
    await t.service.services.recompute.tick();
    expect(calls).toBeGreaterThanOrEqual(2);
  } finally {
    results.recompute = real;
  }
  // The next tick computes it: 5 + 5 of 20 → 50.
  await t.service.services.recompute.tick();
  expect((await t.ok(RESULT, { code: 'SYT', year: 2024 }, appraiser)).unit.result).toMatchObject({ score: 50 });
});

test('panelists named with quotes, commas, backslashes and brackets are read back whole: by the single-unit update and by a full recomputation', async () => {
  // The recomputation reads a unit's scores as one text split on U+001E and U+001F (src/results/cycle-inputs.ts).
  await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code: 'SNV', name: 'Sở Nội vụ', kind: 'DEPARTMENT' } });
  const submit = (panelist: string, c1: number) => t.ok(SUBMIT, { input: {
    year: 2024, unitCode: 'SNV', round: 'APPRAISAL', panelist,
    scores: [{ criterionCode: 'C1', points: c1 }, { criterionCode: 'C2', notApplicable: true }],
  } });
  await submit('Lê "Ba", \\Tư', 6);
  // C1: the mean of 6 and 9 = 7.5 of 10 (C2 not applicable for both): 75.
  const r = await submit("Trần, Thị 'C' [x] {y}", 9);
  expect(r.submitExpertScores).toMatchObject({ score: 75, earnedPoints: 7.5, stale: false });
  const read = async () => (await t.ok(`{ unit(code: "SNV") { result(year: 2024) { score earnedPoints maxPoints } } }`)).unit.result;
  expect(await read()).toEqual({ score: 75, earnedPoints: 7.5, maxPoints: 10 });
  // The full recomputation's read (every unit of the cycle, in parallel on the pool) gives the method the same scores.
  const [{ id: unitId }] = await t.sql(`SELECT id FROM unit WHERE code = 'SNV'`);
  const leaf = Object.fromEntries((await t.sql(`SELECT code, id::text FROM criterion WHERE cycle_id = $1`, [cycleId])).map((c) => [c.code, c.id]));
  const inputs = await readCycleInputs(t.service.workDb.manager, { id: cycleId, year: 2024, unitKind: UnitKind.DEPARTMENT }, null, true);
  expect(unitInput(inputs.facts.get(unitId)!).panelScores).toEqual([
    { leafId: leaf.C1, round: 'APPRAISAL', panelist: 'Lê "Ba", \\Tư', points: '6.00', notApplicable: false },
    { leafId: leaf.C1, round: 'APPRAISAL', panelist: "Trần, Thị 'C' [x] {y}", points: '9.00', notApplicable: false },
    { leafId: leaf.C2, round: 'APPRAISAL', panelist: 'Lê "Ba", \\Tư', points: null, notApplicable: true },
    { leafId: leaf.C2, round: 'APPRAISAL', panelist: "Trần, Thị 'C' [x] {y}", points: null, notApplicable: true },
  ]);
});

test('the database refuses a panelist name holding a control character, whatever path writes it', async () => {
  const [{ id: unitId }] = await t.sql(`SELECT id FROM unit WHERE code = 'STP'`);
  const [{ id: criterionId }] = await t.sql(`SELECT id FROM criterion WHERE cycle_id = $1 AND code = 'C2'`, [cycleId]);
  await expect(t.sql(
    `INSERT INTO expert_score (unit_id, criterion_id, round, panelist, points, entered_by) VALUES ($1, $2, 'APPRAISAL', $3, 1, 'x')`,
    [unitId, criterionId, 'P\u001f2'],
  )).rejects.toThrow(/ck_expert_score_panelist/);
  const r = await t.gql(SUBMIT, { input: { year: 2024, unitCode: 'STP', round: 'APPRAISAL', panelist: 'P\u001e2', scores: [{ criterionCode: 'C2', points: 1 }] } });
  expect(r.errors?.[0]).toMatchObject({ message: 'input.panelist contains control characters, which are not allowed' });
  expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.panelist' });
});
