import { ADMIN_TOKEN, type TestService } from '../support/test-service';

/**
 * A small province built from nothing through the API, the figures of which
 * the results tests work out by hand.
 *
 * Departments (DEPARTMENT): VP "Văn phòng UBND tỉnh", SNGV "Sở Ngoại vụ",
 * STP "Sở Tư pháp", SNV "Sở Nội vụ", SYT "Sở Y tế".
 *
 * 2022 framework: one domain D1 with one EXPERT leaf C1 (max 10); one
 * panelist; published. Points STP 10, SYT 9, SNV 8, VP 7, SNGV 6 → indices
 * 100, 90, 80, 70, 60 → ranks STP 1, SYT 2, SNV 3, VP 4, SNGV 5.
 *
 * 2023 framework (max 50, minResponses 2, bonus cap 2, penalty cap 3):
 *   D1 "Công tác chỉ đạo, điều hành CCHC": C1 EXPERT 10, C2 EXPERT 10
 *   D2 "Cải cách thủ tục hành chính": C3 → (C3.1 EXPERT 10, C3.2 EXPERT 10), S1 SURVEY 10 on Q1, Q2
 */
export interface Tokens { p1: string; p2: string; analyst: string; kiosk?: string }

export const DEPARTMENTS: [string, string][] = [
  ['VP', 'Văn phòng UBND tỉnh'], ['SNGV', 'Sở Ngoại vụ'], ['STP', 'Sở Tư pháp'], ['SNV', 'Sở Nội vụ'], ['SYT', 'Sở Y tế'],
];

const SUBMIT = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score rank provisional } }`;

export async function issue(t: TestService, role: string, name: string): Promise<string> {
  return (await t.ok(`mutation($input: IssueTokenInput!) { issueToken(input: $input) }`, { input: { role, name } })).issueToken;
}

export async function score(
  t: TestService, token: string, year: number, unitCode: string, round: string,
  scores: Record<string, number | 'NA'>, extra: Record<string, unknown> = {},
): Promise<void> {
  await t.ok(SUBMIT, {
    input: {
      year, unitCode, round, ...extra,
      scores: Object.entries(scores).map(([criterionCode, p]) => (p === 'NA' ? { criterionCode, notApplicable: true } : { criterionCode, points: p })),
    },
  }, token);
}

/** Inserts survey responses directly (the kiosk API is exercised elsewhere): one row per response, answers by question code. */
export async function insertResponses(
  t: TestService, unitCode: string, year: number, responses: Record<string, number>[], late = false,
): Promise<void> {
  const [kiosk] = await t.sql(
    `INSERT INTO kiosk (unit_id, label, token_hash) SELECT id, 'Kiosk ' || code, md5(random()::text) || md5(random()::text)
       FROM unit WHERE code = $1 RETURNING id`, [unitCode]);
  for (const answers of responses) {
    // One response with its answers in one transaction, as the kiosks' submission stores it: the service's background
    // roll-up would otherwise count a response with only some of its answers (once seen: STP's S1 at 5/7, not 6/8).
    await t.sql('BEGIN');
    try {
      const [r] = await t.sql(
        `INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at, late)
         SELECT $1, unit_id, gen_random_uuid(), $2, make_timestamptz($2, 6, 1, 3, 0, 0, 'UTC'), $3 FROM kiosk WHERE id = $1 RETURNING id`,
        [kiosk.id, year, late]);
      for (const [code, value] of Object.entries(answers)) {
        await t.sql(
          `INSERT INTO survey_answer (response_id, question_id, value) SELECT $1, id, $3 FROM question WHERE year = $2 AND code = $4`,
          [r.id, year, value, code]);
      }
      await t.sql('COMMIT');
    } catch (e) {
      await t.sql('ROLLBACK');
      throw e;
    }
  }
}

export async function buildProvince(t: TestService): Promise<Tokens> {
  for (const [code, name] of DEPARTMENTS) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  const p1 = await issue(t, 'APPRAISER', 'P1');
  const p2 = await issue(t, 'APPRAISER', 'P2');
  const analyst = await issue(t, 'ANALYST', 'Nhà phân tích');

  // 2022: one leaf, scored by P1, published.
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, {
    input: { year: 2022, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Công tác chỉ đạo, điều hành CCHC', criteria: [
      { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' }] }] },
  });
  await t.ok(`mutation { openCycle(year: 2022, unitKind: DEPARTMENT) { status } }`);
  for (const [unit, p] of [['STP', 10], ['SYT', 9], ['SNV', 8], ['VP', 7], ['SNGV', 6]] as const) {
    await score(t, p1, 2022, unit, 'APPRAISAL', { C1: p });
  }
  await t.ok(`mutation { publishCycle(year: 2022, unitKind: DEPARTMENT) { status } }`);

  // 2023.
  await t.ok(`mutation($q: [QuestionInput!]!) { defineQuestionnaire(year: 2023, questions: $q) { code } }`, { q: [
    { code: 'Q1', text: 'Anh/Chị hài lòng với việc tiếp cận dịch vụ?', element: 'ACCESS', scaleMax: 5 },
    { code: 'Q2', text: 'Công chức có hướng dẫn tận tình?', element: 'CIVIL_SERVANT', scaleMax: 3 },
  ] });
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, {
    input: {
      year: 2023, unitKind: 'DEPARTMENT', minResponses: 2, maxBonus: 2, maxPenalty: 3,
      domains: [
        { code: 'D1', name: 'Công tác chỉ đạo, điều hành CCHC', criteria: [
          { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
          { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' }] },
        { code: 'D2', name: 'Cải cách thủ tục hành chính', criteria: [
          { code: 'C3', name: 'Kiểm soát TTHC', children: [
            { code: 'C3.1', name: 'Công khai TTHC', maxPoints: 10, source: 'EXPERT' },
            { code: 'C3.2', name: 'Một cửa', maxPoints: 10, source: 'EXPERT' }] },
          { code: 'S1', name: 'Mức độ hài lòng', maxPoints: 10, source: 'SURVEY', questionCodes: ['Q1', 'Q2'] }] },
      ],
    },
  });
  await t.ok(`mutation { openCycle(year: 2023, unitKind: DEPARTMENT) { status } }`);

  // Surveys. Q1: 5 levels, satisfied from 4; Q2: 3 levels, satisfied from 2.
  // STP: 4 responses; Q1 5,4,3,5 (3 satisfied), Q2 3,2,1,2 (3 satisfied) → 6/8 → S1 = 7.5.
  await insertResponses(t, 'STP', 2023, [{ Q1: 5, Q2: 3 }, { Q1: 4, Q2: 2 }, { Q1: 3, Q2: 1 }, { Q1: 5, Q2: 2 }]);
  // A late STP response, all unsatisfied: late responses never count.
  await insertResponses(t, 'STP', 2023, [{ Q1: 1, Q2: 1 }], true);
  // SNGV: 2 responses; Q1 4,2 (1 satisfied), Q2 answered once: 3 (1) → 2/3 → S1 = 20/3.
  await insertResponses(t, 'SNGV', 2023, [{ Q1: 4, Q2: 3 }, { Q1: 2 }]);
  // VP: 2 responses, all satisfied → S1 = 10.
  await insertResponses(t, 'VP', 2023, [{ Q1: 5, Q2: 3 }, { Q1: 5, Q2: 3 }]);
  // SNV: 1 response < minResponses 2 → S1 not applicable, surveyInsufficient. SYT: none.
  await insertResponses(t, 'SNV', 2023, [{ Q1: 5, Q2: 3 }]);

  // Expert scores, APPRAISAL by P1 and P2 (panelist = the token's name).
  // VP: C1 10, C2 8, C3.1 10, C3.2 10.
  await score(t, p1, 2023, 'VP', 'APPRAISAL', { C1: 10, C2: 8, 'C3.1': 10, 'C3.2': 10 });
  await score(t, p2, 2023, 'VP', 'APPRAISAL', { C1: 10, C2: 8, 'C3.1': 10, 'C3.2': 10 });
  // SNGV: C1 mean(10, 9.67) = 9.835, C2 10, C3.1 10, C3.2 8.
  await score(t, p1, 2023, 'SNGV', 'APPRAISAL', { C1: 10, C2: 10, 'C3.1': 10, 'C3.2': 8 });
  await score(t, p2, 2023, 'SNGV', 'APPRAISAL', { C1: 9.67, C2: 10, 'C3.1': 10, 'C3.2': 8 });
  // STP: C1 mean(9, 10) = 9.5, C2 8, C3.1 mean(10, 9) = 9.5; C3.2 appraised 6 and 6, then REAPPRAISAL 9 by P1; bonus 1 (P1).
  await score(t, p1, 2023, 'STP', 'APPRAISAL', { C1: 9, C2: 8, 'C3.1': 10, 'C3.2': 6 }, { bonus: 1 });
  await score(t, p2, 2023, 'STP', 'APPRAISAL', { C1: 10, C2: 8, 'C3.1': 9, 'C3.2': 6 });
  await score(t, p1, 2023, 'STP', 'REAPPRAISAL', { 'C3.2': 9 });
  // SNV: C1 not applicable (both), C2 9, C3.1 8, C3.2 9; penalty 1 (P2).
  await score(t, p1, 2023, 'SNV', 'APPRAISAL', { C1: 'NA', C2: 9, 'C3.1': 8, 'C3.2': 9 });
  await score(t, p2, 2023, 'SNV', 'APPRAISAL', { C1: 'NA', C2: 9, 'C3.1': 8, 'C3.2': 9 }, { penalty: 1 });
  // SYT: C1 only self-assessed 10 (provisional); C2 P1 not applicable, P2 5 → 5; C3.1 6; C3.2 never scored (0, provisional).
  // A self-assessment is the unit's own: an APPRAISER may not enter it (API.md, People); ADMIN enters it for the unit.
  await score(t, ADMIN_TOKEN, 2023, 'SYT', 'SELF_ASSESSMENT', { C1: 10 }, { panelist: 'Sở Y tế (tự đánh giá)' });
  await score(t, p1, 2023, 'SYT', 'APPRAISAL', { C2: 'NA', 'C3.1': 6 });
  await score(t, p2, 2023, 'SYT', 'APPRAISAL', { C2: 5, 'C3.1': 6 });

  return { p1, p2, analyst };
}
