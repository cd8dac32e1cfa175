import { tinyPdf } from '../../src/evidence/pdf';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';

/**
 * The appraisal year as README's walkthrough tells it ("The appraisal year,
 * step by step"), each call the one README shows: tokens, round windows,
 * the unit's self-assessment with its evidence, the council's appraisal,
 * an explanation request answered and closed, re-appraisal, publication,
 * an amended decision, and the audit history of it all.
 */
let t: TestService;
const YEAR = 2024;
const day = 24 * 3600e3;
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  t = await startTestService();
  for (const [code, name] of [['STP', 'Sở Tư pháp'], ['SYT', 'Sở Y tế']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, {
    input: { year: YEAR, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Công tác chỉ đạo, điều hành CCHC', criteria: [
      { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
      { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' }] }] },
  });
  await t.ok(`mutation { openCycle(year: ${YEAR}, unitKind: DEPARTMENT) { status } }`);
}, 120000);
afterAll(async () => { await t?.stop(); });

test('a year from self-assessment to an amended decision, every step audited', async () => {
  // 1. People: an officer of Sở Tư pháp and one panelist of the council (ADMIN).
  const ISSUE = `mutation($input: IssueTokenInput!) { issueToken(input: $input) }`;
  const officer = (await t.ok(ISSUE, { input: { role: 'UNIT', name: 'Cán bộ Sở Tư pháp', unitCode: 'STP' } })).issueToken;
  const panelist = (await t.ok(ISSUE, { input: { role: 'APPRAISER', name: 'Nguyễn Văn An' } })).issueToken;

  // 2. Round windows (ADMIN): self-assessment now for a week, appraisal now for two.
  const now = Date.now();
  const WINDOW = `mutation($input: RoundWindowInput!) { setRoundWindow(input: $input) { rounds { round opensAt closesAt } } }`;
  await t.ok(WINDOW, { input: { year: YEAR, unitKind: 'DEPARTMENT', round: 'SELF_ASSESSMENT', opensAt: iso(now - day), closesAt: iso(now + 7 * day) } });
  const { setRoundWindow } = await t.ok(WINDOW, { input: { year: YEAR, unitKind: 'DEPARTMENT', round: 'APPRAISAL', opensAt: iso(now - day), closesAt: iso(now + 14 * day) } });
  expect(setRoundWindow.rounds.map((r: { round: string }) => r.round).sort()).toEqual(['APPRAISAL', 'SELF_ASSESSMENT']);

  // 3. The unit assesses itself (its own unit, SELF_ASSESSMENT only) and reads its provisional figures.
  const SUBMIT = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score provisional } }`;
  const self = await t.ok(SUBMIT, { input: { year: YEAR, unitCode: 'STP', round: 'SELF_ASSESSMENT',
    scores: [{ criterionCode: 'C1', points: 10, note: 'Kế hoạch ban hành đúng hạn' }, { criterionCode: 'C2', points: 9 }] } }, officer);
  expect(self.submitExpertScores).toEqual({ score: 95, provisional: true });
  const own = await t.ok(`{ unit(code: "STP") { result(year: ${YEAR}) { score provisional } } }`, {}, officer);
  expect(own.unit.result).toEqual({ score: 95, provisional: true });
  // Another unit's provisional figures read as absent, as to anyone anonymous.
  expect((await t.ok(`{ unit(code: "SYT") { result(year: ${YEAR}) { score } } }`, {}, officer)).unit.result).toBeNull();

  // 4. Its evidence: POST /evidence (multipart), the type judged by the bytes.
  const form = new FormData();
  for (const [k, v] of Object.entries({ year: String(YEAR), unitCode: 'STP', criterionCode: 'C1', note: 'Quyết định ban hành kế hoạch' })) form.append(k, v);
  form.append('file', new Blob([tinyPdf(['Sở Tư pháp', 'Kế hoạch CCHC năm 2024'])]), 'ke-hoach-cchc.pdf');
  const upload = await fetch(t.url.replace('/graphql', '/evidence'), { method: 'POST', body: form, headers: { authorization: `Bearer ${officer}` } });
  expect(upload.status).toBe(201);
  const evidence = await upload.json() as { id: string; contentType: string };
  expect(evidence.contentType).toBe('application/pdf');

  // 5. The council appraises (an APPRAISER signs as itself, APPRAISAL and REAPPRAISAL only): no longer provisional,
  //    every leaf has the council's points.
  const appraised = await t.ok(SUBMIT, { input: { year: YEAR, unitCode: 'STP', round: 'APPRAISAL',
    scores: [{ criterionCode: 'C1', points: 6, note: 'Thiếu báo cáo quý' }, { criterionCode: 'C2', points: 9 }] } }, panelist);
  expect(appraised.submitExpertScores).toEqual({ score: 75, provisional: false });

  // 6. It asks the unit to explain C1; the unit answers with its evidence; the council closes the request.
  const { requestExplanation: request } = await t.ok(`mutation($input: RequestExplanationInput!) { requestExplanation(input: $input) { id status dueAt } }`,
    { input: { year: YEAR, unitCode: 'STP', criterionCode: 'C1', question: 'Đề nghị giải trình việc thiếu báo cáo quý III.', dueAt: iso(now + 3 * day) } }, panelist);
  expect(request.status).toBe('OPEN');
  const listed = await t.ok(`query($year: Int!) { explanationRequests(year: $year) { id criterionCode status question } }`, { year: YEAR }, officer);
  expect(listed.explanationRequests).toEqual([{ id: request.id, criterionCode: 'C1', status: 'OPEN', question: 'Đề nghị giải trình việc thiếu báo cáo quý III.' }]);
  const answered = await t.ok(`mutation($id: ID!, $answer: String!, $evidenceIds: [ID!]) {
    answerExplanation(id: $id, answer: $answer, evidenceIds: $evidenceIds) { status evidence { fileName } } }`,
  { id: request.id, answer: 'Báo cáo quý III đã gửi ngày 05/10, kèm quyết định.', evidenceIds: [evidence.id] }, officer);
  expect(answered.answerExplanation).toEqual({ status: 'ANSWERED', evidence: [{ fileName: 'ke-hoach-cchc.pdf' }] });
  const closed = await t.ok(`mutation($id: ID!, $resolution: String!) { closeExplanation(id: $id, resolution: $resolution) { status resolution } }`,
    { id: request.id, resolution: 'Chấp nhận giải trình; thẩm định lại tiêu chí C1.' }, panelist);
  expect(closed.closeExplanation.status).toBe('CLOSED');

  // 7. Re-appraisal of C1 counts over the appraisal; the assessment shows every stored score with who entered it.
  const reappraised = await t.ok(SUBMIT, { input: { year: YEAR, unitCode: 'STP', round: 'REAPPRAISAL', scores: [{ criterionCode: 'C1', points: 9 }] } }, panelist);
  expect(reappraised.submitExpertScores).toEqual({ score: 90, provisional: false });
  const { unit } = await t.ok(`query($year: Int!) { unit(code: "STP") { assessment(year: $year) { criterionCode round panelist points note enteredBy } } }`, { year: YEAR }, panelist);
  const byLeafAndRound = (a: any, b: any) => `${a.criterionCode} ${a.round}`.localeCompare(`${b.criterionCode} ${b.round}`);
  expect([...unit.assessment].sort(byLeafAndRound)).toEqual([
    { criterionCode: 'C1', round: 'APPRAISAL', panelist: 'Nguyễn Văn An', points: 6, note: 'Thiếu báo cáo quý', enteredBy: 'Nguyễn Văn An' },
    { criterionCode: 'C1', round: 'REAPPRAISAL', panelist: 'Nguyễn Văn An', points: 9, note: null, enteredBy: 'Nguyễn Văn An' },
    { criterionCode: 'C1', round: 'SELF_ASSESSMENT', panelist: 'STP', points: 10, note: 'Kế hoạch ban hành đúng hạn', enteredBy: 'Cán bộ Sở Tư pháp' },
    { criterionCode: 'C2', round: 'APPRAISAL', panelist: 'Nguyễn Văn An', points: 9, note: null, enteredBy: 'Nguyễn Văn An' },
    { criterionCode: 'C2', round: 'SELF_ASSESSMENT', panelist: 'STP', points: 9, note: null, enteredBy: 'Cán bộ Sở Tư pháp' },
  ]);

  // 8. The decision is published (version 1); anonymous readers see it.
  await t.ok(SUBMIT, { input: { year: YEAR, unitCode: 'SYT', round: 'APPRAISAL', scores: [{ criterionCode: 'C1', points: 8 }, { criterionCode: 'C2', points: 8 }] } }, panelist);
  await t.ok(`mutation { publishCycle(year: ${YEAR}, unitKind: DEPARTMENT) { status } }`);
  const RANKING = `query($v: Int) { rankings(year: ${YEAR}, unitKind: DEPARTMENT, version: $v) { edges { node { unit { code } score rank version } } } }`;
  const v1 = (await t.ok(RANKING, { v: null }, null)).rankings.edges.map((e: any) => e.node);
  expect(v1).toEqual([
    { unit: { code: 'STP' }, score: 90, rank: 1, version: 1 },
    { unit: { code: 'SYT' }, score: 80, rank: 2, version: 1 },
  ]);

  // 9. Amended: the year reopens as version 2; anonymous readers keep version 1 until it is published.
  const amending = await t.ok(`mutation($input: AmendPublicationInput!) { amendPublication(input: $input) { amending publications { version } } }`,
    { input: { year: YEAR, unitKind: 'DEPARTMENT', reason: 'Sở Y tế bổ sung hồ sơ tiêu chí C2', decisionRef: '123/QĐ-UBND' } });
  expect(amending.amendPublication.amending).toBe(true);
  await t.ok(SUBMIT, { input: { year: YEAR, unitCode: 'SYT', round: 'REAPPRAISAL', scores: [{ criterionCode: 'C2', points: 10 }] } });
  expect((await t.ok(RANKING, { v: null }, null)).rankings.edges.map((e: any) => e.node)).toEqual(v1);
  await t.ok(`mutation { publishCycle(year: ${YEAR}, unitKind: DEPARTMENT) { status } }`);
  expect((await t.ok(RANKING, { v: null }, null)).rankings.edges.map((e: any) => e.node)).toEqual([
    { unit: { code: 'STP' }, score: 90, rank: 1, version: 2 },
    { unit: { code: 'SYT' }, score: 90, rank: 1, version: 2 },
  ]);
  expect((await t.ok(RANKING, { v: 1 }, null)).rankings.edges.map((e: any) => e.node)).toEqual(v1);

  // 10. Every accepted step left one audit entry: who, as what, what changed.
  const { auditLog } = await t.ok(`query($year: Int, $unitCode: String) {
    auditLog(year: $year, unitCode: $unitCode, first: 50) { totalCount edges { node { actor role operation } } } }`,
  { year: YEAR, unitCode: 'STP' }, ADMIN_TOKEN);
  const trail = auditLog.edges.map((e: any) => `${e.node.operation} ${e.node.role} ${e.node.actor}`).reverse();
  expect(trail).toEqual(expect.arrayContaining([
    'submitExpertScores UNIT Cán bộ Sở Tư pháp',
    'uploadEvidence UNIT Cán bộ Sở Tư pháp',
    'submitExpertScores APPRAISER Nguyễn Văn An',
    'requestExplanation APPRAISER Nguyễn Văn An',
    'answerExplanation UNIT Cán bộ Sở Tư pháp',
    'closeExplanation APPRAISER Nguyễn Văn An',
  ]));
  expect(trail.indexOf('uploadEvidence UNIT Cán bộ Sở Tư pháp')).toBeLessThan(trail.indexOf('answerExplanation UNIT Cán bộ Sở Tư pháp'));
}, 120000);
