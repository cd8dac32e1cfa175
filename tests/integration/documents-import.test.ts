import { startTestService, type TestService } from '../support/test-service';
import { download, readXlsx, upload, writeXlsx } from './documents-fixture';

/**
 * The appraisal sheet round trip (issue 15): GET /templates/appraisal.xlsx,
 * filled in as an appraiser would, POST /import/appraisal; figures change
 * exactly as worked out by hand; every refusal names its sheet and cell and
 * says what is allowed in Vietnamese and English; all or nothing; dryRun.
 *
 * Departments STP, SYT, SNV. Framework 2024 DEPARTMENT, 30 points:
 *   D1  C1 EXPERT 10, C2 EXPERT 10        D2  C3 EXPERT 10
 * maxBonus 2, maxPenalty 1. Sheet columns: A STT, B code, C name, D C1, E C2, F C3, G N/A, H bonus, I penalty.
 * Units in Vietnamese order: SNV (Sở Nội vụ) row 6, STP (Sở Tư pháp) row 7, SYT (Sở Y tế) row 8.
 */
let t: TestService;
let appraiser: string;
let analyst: string;

const framework = (c3Max = 10) => ({
  year: 2024, unitKind: 'DEPARTMENT', maxBonus: 2, maxPenalty: 1, domains: [
    { code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
      { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
      { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' }] },
    { code: 'D2', name: 'Công vụ', criteria: [{ code: 'C3', name: 'Kỷ luật, kỷ cương', maxPoints: c3Max, source: 'EXPERT' }] },
  ],
});
const TEMPLATE = '/templates/appraisal.xlsx?year=2024&unitKind=DEPARTMENT';
const stored = () => t.sql(
  `SELECT u.code AS unit, c.code AS criterion, s.points::text AS points, s.not_applicable AS na, s.panelist, s.round::text AS round
     FROM expert_score s JOIN criterion c ON c.id = s.criterion_id JOIN unit u ON u.id = s.unit_id ORDER BY 1, 2`);
const result = async (code: string) => (await t.ok(`query($c: String!) { unit(code: $c) { result(year: 2024) { score earnedPoints maxPoints expertScore provisional } } }`, { c: code })).unit.result;

async function filled(cells: Record<string, unknown>): Promise<Buffer> {
  const tpl = await download(t, TEMPLATE, appraiser);
  expect(tpl.status).toBe(200);
  const wb = await readXlsx(tpl.body);
  const sheet = wb.getWorksheet('Thẩm định')!;
  for (const [addr, v] of Object.entries(cells)) sheet.getCell(addr).value = v as never;
  return writeXlsx(wb);
}

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000 });
  for (const [code, name] of [['STP', 'Sở Tư pháp'], ['SYT', 'Sở Y tế'], ['SNV', 'Sở Nội vụ']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code: 'HUE', name: 'Thành phố Huế', kind: 'DISTRICT' } });
  appraiser = (await t.ok(`mutation { issueToken(input: {role: APPRAISER, name: "Nguyễn Văn A"}) }`)).issueToken;
  analyst = (await t.ok(`mutation { issueToken(input: {role: ANALYST, name: "An"}) }`)).issueToken;
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework() });
  await t.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
}, 60000);
afterAll(async () => { await t?.stop(); });

test('the template: one row per unit, one column per EXPERT leaf with code, name and maximum, a rule per column, the hidden sheet', async () => {
  const wb = await readXlsx((await download(t, TEMPLATE, appraiser)).body);
  const sheet = wb.getWorksheet('Thẩm định')!;
  expect([3, 4, 5].map((r) => ['D', 'E', 'F', 'G', 'H', 'I'].map((c) => sheet.getCell(`${c}${r}`).value))).toEqual([
    ['C1', 'C2', 'C3', 'Không áp dụng', 'Điểm thưởng', 'Điểm trừ'],
    ['Kế hoạch CCHC', 'Kiểm tra CCHC', 'Kỷ luật, kỷ cương', '(mã tiêu chí, cách nhau bởi ;)', null, null],
    [10, 10, 10, null, 2, 1],
  ]);
  expect([6, 7, 8, 9].map((r) => sheet.getCell(`B${r}`).value)).toEqual(['SNV', 'STP', 'SYT', null]);
  expect(sheet.views[0]).toMatchObject({ state: 'frozen', xSplit: 3, ySplit: 5 });
  const rules = (sheet as unknown as { dataValidations: { model: Record<string, { type: string; formulae: string[] }> } }).dataValidations.model;
  expect(rules['D6']).toMatchObject({ type: 'custom', formulae: ['AND(ISNUMBER(D6),D6>=0,D6<=10,ROUND(D6,2)=D6)'] });
  expect(rules['H8']).toMatchObject({ type: 'custom', formulae: ['AND(ISNUMBER(H6),H6>=0,H6<=2,ROUND(H6,2)=H6)'] });
  const meta = wb.getWorksheet('par_index')!;
  expect(meta.state).toBe('hidden');
  expect([1, 2, 3].map((r) => meta.getCell(`B${r}`).value)).toEqual(['par-index-appraisal/1', 2024, 'DEPARTMENT']);
});

test('dryRun answers what would change and stores nothing', async () => {
  const file = await filled({ D7: 8, E7: 6.5, F7: 9, E8: 5, G8: 'C1', H8: 1 });
  const r = await upload(t, '/import/appraisal?round=APPRAISAL&dryRun=true', file, {}, appraiser);
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ applied: 0, dryRun: true, errors: [], units: 2, scores: 5, adjustments: 1, changes: { new: 6, changed: 0, unchanged: 0 } });
  expect(r.body.changed).toContainEqual({ unitCode: 'SYT', criterionCode: 'C1', before: null, after: 'N/A' });
  expect(await stored()).toEqual([]);
});

test('a filled sheet changes the figures exactly as by hand, as the appraiser, in one import', async () => {
  // STP: 8 + 6.5 + 9 = 23.5 of 30 → 78.33. SYT: C1 not applicable, C2 5, C3 missing, bonus 1 → (5 + 1) of 20 = 30.00.
  const file = await filled({ D7: 8, E7: 6.5, F7: 9, E8: 5, G8: 'C1', H8: 1 });
  const r = await upload(t, '/import/appraisal?round=APPRAISAL', file, {}, appraiser);
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ applied: 2, dryRun: false, errors: [], panelist: 'Nguyễn Văn A', changes: { new: 6, changed: 0, unchanged: 0 }, stale: false });
  expect(typeof r.body.ms).toBe('number');
  expect(await stored()).toEqual([
    { unit: 'STP', criterion: 'C1', points: '8.00', na: false, panelist: 'Nguyễn Văn A', round: 'APPRAISAL' },
    { unit: 'STP', criterion: 'C2', points: '6.50', na: false, panelist: 'Nguyễn Văn A', round: 'APPRAISAL' },
    { unit: 'STP', criterion: 'C3', points: '9.00', na: false, panelist: 'Nguyễn Văn A', round: 'APPRAISAL' },
    { unit: 'SYT', criterion: 'C1', points: null, na: true, panelist: 'Nguyễn Văn A', round: 'APPRAISAL' },
    { unit: 'SYT', criterion: 'C2', points: '5.00', na: false, panelist: 'Nguyễn Văn A', round: 'APPRAISAL' },
  ]);
  expect(await result('STP')).toEqual({ score: 78.33, earnedPoints: 23.5, maxPoints: 30, expertScore: 78.33, provisional: false });
  expect(await result('SYT')).toEqual({ score: 30, earnedPoints: 6, maxPoints: 20, expertScore: 25, provisional: true });
  // The same sheet again: nothing changes.
  const again = await upload(t, '/import/appraisal?round=APPRAISAL', file, {}, appraiser);
  expect(again.body.changes).toEqual({ new: 0, changed: 0, unchanged: 6 });
});

test('the same scores through submitExpertScores give the same figures (the import applies the mutation\'s rules)', async () => {
  const admin = { year: 2024, round: 'REAPPRAISAL', panelist: 'Trần Thị B' };
  await t.ok(`mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score } }`, {
    input: { ...admin, unitCode: 'SNV', scores: [{ criterionCode: 'C1', points: 7.25 }, { criterionCode: 'C2', points: 10 }, { criterionCode: 'C3', notApplicable: true }], penalty: 0.5 },
  });
  const byMutation = await result('SNV');
  await t.sql(`DELETE FROM expert_score WHERE unit_id = (SELECT id FROM unit WHERE code = 'SNV')`);
  await t.sql(`DELETE FROM score_adjustment WHERE unit_id = (SELECT id FROM unit WHERE code = 'SNV')`);
  const file = await filled({ D6: 7.25, E6: 10, G6: 'C3', I6: 0.5 });
  const r = await upload(t, '/import/appraisal?round=REAPPRAISAL', file, { panelist: 'Trần Thị B' });
  expect(r.status).toBe(200);
  // (7.25 + 10 − 0.5) of 20 = 83.75
  expect(byMutation).toEqual({ score: 83.75, earnedPoints: 16.75, maxPoints: 20, expertScore: 86.25, provisional: false });
  expect(await result('SNV')).toEqual(byMutation);
});

test('the imported figures show in the appendix, expert points, bonus and penalty included, as worked out by hand', async () => {
  const sheet = (await readXlsx((await download(t, '/export/rankings.xlsx?year=2024&unitKind=DEPARTMENT')).body)).getWorksheet('Phụ lục')!;
  const rows = [4, 5, 6].map((n) => ['B', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N'].map((c) => {
    const v = sheet.getCell(`${c}${n}`).value;
    return v ?? null;
  }));
  // Code | D1 D2 | expert survey bonus penalty | total | index | band | rank | change
  expect(rows).toEqual([
    ['SNV', 17.25, 0, 17.25, 0, 0, 0.5, 16.75, 83.75, 'Tốt', 1, null],
    ['STP', 14.5, 9, 23.5, 0, 0, 0, 23.5, 78.33, 'Khá', 2, null],
    ['SYT', 5, 0, 5, 0, 1, 0, 6, 30, 'Yếu', 3, null],
  ]);
});

test('every bad cell is named with its sheet and cell and what is allowed, in Vietnamese and English; nothing is stored', async () => {
  const before = await stored();
  const file = await filled({
    D6: 10.5, E6: 7.255, F6: 'mười', // SNV: over the maximum, three decimals, not a number
    D7: 3, G7: 'C1; C9', // STP: points and not applicable together, an unknown code
    H8: 2.5, I8: -1, // SYT: bonus over the cap, a negative penalty
    B9: 'HUE', D9: 1, // a district in a department sheet
    B10: 'NOPE', D10: 1, // no such unit
    B11: 'STP', D11: 2, // a second row for STP
    C12: 'Đơn vị mới', D12: 4, // points without a unit code
  });
  const r = await upload(t, '/import/appraisal?round=APPRAISAL', file, {}, appraiser);
  expect(r.status).toBe(400);
  expect(r.body.applied).toBe(0);
  const byCell = Object.fromEntries(r.body.errors.map((e: { cell: string; message: string }) => [e.cell, e.message]));
  expect(r.body.errors.every((e: { sheet: string }) => e.sheet === 'Thẩm định')).toBe(true);
  expect(Object.keys(byCell).sort()).toEqual(['B10', 'B11', 'B12', 'B9', 'D6', 'D7', 'E6', 'F6', 'G7', 'H8', 'I8'].sort());
  expect(byCell.D6).toBe('Ô D6 (trang "Thẩm định"): điểm 10,5 vượt quá điểm tối đa 10 của tiêu chí C1; cho phép: từ 0 đến 10, tối đa hai chữ số thập phân'
    + ' — Cell D6 of sheet "Thẩm định": points 10.5 exceed the maximum 10 of criterion C1; allowed: 0 to 10 with at most two decimals');
  expect(byCell.E6).toMatch(/7,255 của tiêu chí C2 có quá hai chữ số thập phân.*points 7.255 of criterion C2 have more than 2 decimals; allowed: 0 to 10/);
  expect(byCell.F6).toMatch(/"mười" không phải là số.*"mười" is not a number \(points of criterion C3\); allowed: a number from 0 to 10/);
  expect(byCell.D7).toMatch(/C1 được ghi "không áp dụng" nhưng lại có điểm.*listed as not applicable and also given points/);
  expect(byCell.G7).toMatch(/"C9" không phải mã tiêu chí.*"C9" is not a criterion code of the framework/);
  expect(byCell.H8).toMatch(/điểm thưởng 2,5 vượt quá mức tối đa 2.*bonus 2.5 exceeds the cap 2 of the framework; allowed: 0 to 2/);
  expect(byCell.I8).toMatch(/điểm trừ -1 là số âm.*penalty -1 is negative/);
  expect(byCell.B9).toMatch(/HUE thuộc loại DISTRICT.*unit HUE is a DISTRICT; this sheet is for DEPARTMENT units/);
  expect(byCell.B10).toMatch(/"NOPE" is not the code of any unit/);
  expect(byCell.B11).toMatch(/unit STP already has row 7/);
  expect(byCell.B12).toMatch(/the row has points but no unit code/);
  expect(await stored()).toEqual(before);
});

test('one bad cell among good ones applies nothing (all or nothing)', async () => {
  const before = await stored();
  const r = await upload(t, '/import/appraisal?round=APPRAISAL', await filled({ D7: 1, E7: 1, F7: 1, D8: 11 }), {}, appraiser);
  expect(r.status).toBe(400);
  expect(r.body.errors.map((e: { cell: string }) => e.cell)).toEqual(['D8']);
  expect(await stored()).toEqual(before);
});

test('a sheet made for another framework is refused at the hidden sheet; moved columns at their header', async () => {
  const old = await filled({ D7: 1 });
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(12) });
  try {
    const r = await upload(t, '/import/appraisal?round=APPRAISAL', old, {}, appraiser);
    expect(r.status).toBe(400);
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0]).toMatchObject({ sheet: 'par_index', cell: 'B4' });
    expect(r.body.errors[0].message).toMatch(/khung chỉ số khác.*made for another framework of 2024 DEPARTMENT/);
  } finally {
    await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework() });
  }
  const moved = await readXlsx(await filled({}));
  moved.getWorksheet('Thẩm định')!.getCell('E3').value = 'C3';
  const r = await upload(t, '/import/appraisal?round=APPRAISAL', await writeXlsx(moved), {}, appraiser);
  expect(r.body.errors.map((e: { sheet: string; cell: string }) => `${e.sheet}!${e.cell}`)).toEqual(['Thẩm định!E3']);
  const noMeta = await readXlsx(await filled({ D7: 1 }));
  noMeta.removeWorksheet(noMeta.getWorksheet('par_index')!.id);
  const r2 = await upload(t, '/import/appraisal?round=APPRAISAL', await writeXlsx(noMeta), {}, appraiser);
  expect(r2.body.errors[0]).toMatchObject({ sheet: 'par_index', cell: 'A1' });
  expect(r2.body.errors[0].message).toMatch(/not an appraisal sheet made by the service/);
});

test('who may import: the appraiser as themself, ADMIN naming the panelist; others refused', async () => {
  const file = await filled({ D7: 8 });
  expect((await upload(t, '/import/appraisal?round=APPRAISAL', file, {}, null)).status).toBe(401);
  expect((await upload(t, '/import/appraisal?round=APPRAISAL', file, {}, analyst)).status).toBe(403);
  const other = await upload(t, '/import/appraisal?round=APPRAISAL', file, { panelist: 'Someone else' }, appraiser);
  expect(other.status).toBe(403);
  expect(other.body.errors[0].message).toMatch(/panelist must be "Nguyễn Văn A"/);
  expect((await upload(t, '/import/appraisal?round=SELF_ASSESSMENT', file, {}, appraiser)).status).toBe(403);
  const noPanelist = await upload(t, '/import/appraisal?round=APPRAISAL', file);
  expect(noPanelist.status).toBe(400);
  expect(noPanelist.body.errors[0]).toMatchObject({ field: 'panelist' });
  // The ADMIN's panelist follows submitExpertScores's rules: no control character, at most 200 characters.
  const before = await stored();
  const control = await upload(t, '/import/appraisal?round=APPRAISAL', file, { panelist: 'Trần\u001fThị B' });
  expect(control.status).toBe(400);
  expect(control.body.errors[0]).toMatchObject({ field: 'panelist', message: 'panelist contains control characters, which are not allowed' });
  const long = await upload(t, '/import/appraisal?round=APPRAISAL', file, { panelist: 'A'.repeat(201) });
  expect(long.status).toBe(400);
  expect(long.body.errors[0]).toMatchObject({ field: 'panelist', message: 'panelist is 201 characters long; at most 200 are allowed' });
  expect(await stored()).toEqual(before);
  const badRound = await upload(t, '/import/appraisal?round=FINAL', file, {}, appraiser);
  expect(badRound.status).toBe(400);
  expect(badRound.body.errors[0].message).toMatch(/round "FINAL" is not allowed: use one of SELF_ASSESSMENT, APPRAISAL, REAPPRAISAL/);
});

test('a published year refuses the import whole with 409', async () => {
  const file = await filled({ D7: 1 });
  await t.ok(`mutation { publishCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
  const before = await stored();
  const r = await upload(t, '/import/appraisal?round=APPRAISAL', file, {}, appraiser);
  expect(r.status).toBe(409);
  expect(r.body.errors[0].message).toMatch(/published: expert scores can no longer change/);
  expect(await stored()).toEqual(before);
});
