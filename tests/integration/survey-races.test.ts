import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startTestService, type GqlResult, type TestService } from '../support/test-service';
import { REGISTER, SUBMIT, SUBMIT_MANY } from './survey-fixtures';

/**
 * Kiosk answers racing the admin's changes (issue 10, items 9, 10 and 12):
 * a publication of the year, a questionnaire redefined while a kiosk still
 * holds the old one in its cache, or while its answer is being stored.
 * Every answer carries a contract code, each response is judged on its
 * own, and what is stored agrees with what was answered and published.
 *
 * Department STP; questionnaire 2024: Q1, Q3, Q4, Q5, Q6 (5 levels), Q2 (3
 * levels); framework 2024 DEPARTMENT (minResponses 1): C1 EXPERT 10 and S1
 * SURVEY 10 on Q1, opened, C1 scored 8. Kiosks keep a questionnaire in
 * memory for 10 minutes here, so a stale one stays stale.
 */
let t: TestService;
let kiosk: string;
let cycleId: number;

const YEAR = 2024;
const AT = '2024-03-15T02:30:00Z';
const QUESTIONS: Record<string, { element: string; scaleMax: number }> = {
  Q1: { element: 'ACCESS', scaleMax: 5 }, Q2: { element: 'ACCESS', scaleMax: 3 }, Q3: { element: 'RESULT', scaleMax: 5 },
  Q4: { element: 'RESULT', scaleMax: 5 }, Q5: { element: 'FEEDBACK', scaleMax: 5 }, Q6: { element: 'FEEDBACK', scaleMax: 5 },
};
const DEFINE = `mutation($year: Int!, $questions: [QuestionInput!]!) { defineQuestionnaire(year: $year, questions: $questions) { code scaleMax } }`;
const questions = (codes: string[], scales: Record<string, number> = {}) => codes.map((code) => ({
  code, text: `Câu hỏi ${code}`, element: QUESTIONS[code].element, scaleMax: scales[code] ?? QUESTIONS[code].scaleMax,
}));
const response = (answers: Record<string, number>) => ({
  clientId: randomUUID(), submittedAt: AT, answers: Object.entries(answers).map(([questionCode, value]) => ({ questionCode, value })),
});
const storedAnswers = async (clientIds: string[]) => t.sql(
  `SELECT r.client_id::text AS client, q.code, a.value
     FROM survey_response r JOIN survey_answer a ON a.response_id = r.id JOIN question q ON q.id = a.question_id
    WHERE r.client_id = ANY($1::uuid[]) ORDER BY 1, 2`, [clientIds]);
const codeOf = (r: GqlResult) => r.errors?.map((e) => e.extensions?.code);

/** A second session for the test to hold locks with. */
async function session(): Promise<Client> {
  const c = new Client({ connectionString: t.databaseUrl });
  await c.connect();
  return c;
}

/** Waits until some backend of the test's database waits on a lock of the kind (`wait_event`) for a statement like `query`. */
async function waitForLockWait(waitEvents: string[], query: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [{ n }] = await t.sql(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = ANY($1) AND query ILIKE $2`,
      [waitEvents, query]);
    if (n > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no backend came to wait on ${waitEvents.join('/')} for ${query}`);
}

/** Whether the promise settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000, questionnaireCacheMs: 600000 });
  await t.ok(`mutation { createUnit(input: {code: "STP", name: "Sở Tư pháp", kind: DEPARTMENT}) { id } }`);
  await t.ok(DEFINE, { year: YEAR, questions: questions(['Q1', 'Q2', 'Q3', 'Q4', 'Q5', 'Q6']) });
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: {
    year: YEAR, unitKind: 'DEPARTMENT', minResponses: 1,
    domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
      { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
      { code: 'S1', name: 'Hài lòng', maxPoints: 10, source: 'SURVEY', questionCodes: ['Q1'] },
    ] }],
  } });
  await t.ok(`mutation { openCycle(year: ${YEAR}, unitKind: DEPARTMENT) { status } }`);
  await t.ok(`mutation { submitExpertScores(input: {year: ${YEAR}, unitCode: "STP", round: APPRAISAL, panelist: "P1",
    scores: [{criterionCode: "C1", points: 8}]}) { score } }`);
  kiosk = (await t.ok(REGISTER, { input: { unitCode: 'STP', label: 'Quầy 1' } })).registerKiosk.token;
  [{ id: cycleId }] = await t.sql(`SELECT id FROM cycle WHERE year = $1 AND unit_kind = 'DEPARTMENT'`, [YEAR]);
  // The kiosk's questionnaire is cached from here on.
  expect((await t.ok(SUBMIT, { input: response({ Q1: 5 }) }, kiosk)).submitSurveyResponse.status).toBe('ACCEPTED');
}, 60000);
afterAll(async () => { await t?.stop(); });

describe('a questionnaire changed under a kiosk that still holds the old one', () => {
  test('a scale narrowed since: the response answering above it is REJECTED on its value, the others in the batch are stored', async () => {
    await t.ok(DEFINE, { year: YEAR, questions: questions(['Q1', 'Q2', 'Q3', 'Q4', 'Q5', 'Q6'], { Q3: 3 }) });
    const batch = [response({ Q1: 4 }), response({ Q1: 2, Q3: 5 }), response({ Q1: 3, Q3: 3 })];
    const subs = (await t.ok(SUBMIT_MANY, { inputs: batch }, kiosk)).submitSurveyResponses;
    expect(subs.map((s: { status: string }) => s.status)).toEqual(['ACCEPTED', 'REJECTED', 'ACCEPTED']);
    expect(subs[1].error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'inputs[1].answers[1].value' });
    expect(subs[1].error.message).toMatch(/1 to 3/);
    // Nothing of the refused one; the others whole.
    expect(await storedAnswers(batch.map((b) => b.clientId))).toEqual([
      { client: batch[0].clientId, code: 'Q1', value: 4 },
      { client: batch[2].clientId, code: 'Q1', value: 3 }, { client: batch[2].clientId, code: 'Q3', value: 3 },
    ].sort((a, b) => a.client.localeCompare(b.client)));
  });

  test('a question removed since: the response naming it is REJECTED naming it, the others in the batch are stored', async () => {
    await t.ok(DEFINE, { year: YEAR, questions: questions(['Q1', 'Q2', 'Q3', 'Q4', 'Q6'], { Q3: 3 }) });
    const batch = [response({ Q1: 5 }), response({ Q5: 4, Q1: 3 }), response({ Q1: 4, Q2: 2 })];
    const subs = (await t.ok(SUBMIT_MANY, { inputs: batch }, kiosk)).submitSurveyResponses;
    expect(subs.map((s: { status: string }) => s.status)).toEqual(['ACCEPTED', 'REJECTED', 'ACCEPTED']);
    expect(subs[1].error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'inputs[1].answers[0].questionCode' });
    expect(subs[1].error.message).toMatch(/"Q5" is not a question of the 2024 questionnaire/);
    expect(await storedAnswers(batch.map((b) => b.clientId))).toEqual([
      { client: batch[0].clientId, code: 'Q1', value: 5 },
      { client: batch[2].clientId, code: 'Q1', value: 4 }, { client: batch[2].clientId, code: 'Q2', value: 2 },
    ].sort((a, b) => a.client.localeCompare(b.client)));
  });
});

describe('a questionnaire change racing an answer being stored', () => {
  test('removing a question while an answer to it is committed: the removal is CONFLICT (answered), the answer ACCEPTED', async () => {
    // Another session holds Q4's row (FOR NO KEY UPDATE: kiosks' key-share locks pass, a removal waits).
    const holder = await session();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT id FROM question WHERE year = $1 AND code = 'Q4' FOR NO KEY UPDATE`, [YEAR]);
      const removal = t.gql(DEFINE, { year: YEAR, questions: questions(['Q1', 'Q2', 'Q3', 'Q6'], { Q3: 3 }) });
      await waitForLockWait(['transactionid', 'tuple'], '%question%');
      // While the removal waits, the kiosk's answer to Q4 is stored and committed.
      // (Q4 only: the removal holds the lower questions already, as it locks them in order.)
      const answer = response({ Q4: 5 });
      const sub = (await t.ok(SUBMIT, { input: answer }, kiosk)).submitSurveyResponse;
      expect(sub.status).toBe('ACCEPTED');
      await holder.query('COMMIT');
      const r = await removal;
      expect(codeOf(r)).toEqual(['CONFLICT']);
      expect(r.errors?.[0].message).toMatch(/"Q4" of 2024 is already answered/);
      expect(await storedAnswers([answer.clientId])).toEqual([{ client: answer.clientId, code: 'Q4', value: 5 }]);
      expect((await t.ok(`{ questionnaire(year: ${YEAR}) { code } }`)).questionnaire.map((q: { code: string }) => q.code)).toContain('Q4');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  }, 30000);

  test('an answer arriving while a removal of its question commits waits for it and is REJECTED naming the question', async () => {
    // The removal of Q6 is held open after its locks, at the insert of a new question Q5 that another session is inserting.
    const holder = await session();
    try {
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO question (year, code, text, element, scale_max, satisfied_min, position) VALUES ($1, 'Q5', 'x', 'FEEDBACK', 5, 4, 9)`, [YEAR]);
      const removal = t.gql(DEFINE, { year: YEAR, questions: questions(['Q1', 'Q2', 'Q3', 'Q4', 'Q5'], { Q3: 3 }) });
      await waitForLockWait(['transactionid'], '%INSERT INTO "question"%');
      const answer = response({ Q1: 4, Q6: 5 });
      const pending = t.gql(SUBMIT, { input: answer }, kiosk);
      await waitForLockWait(['transactionid', 'tuple'], '%survey_response%');
      await holder.query('ROLLBACK');
      expect((await removal).errors).toBeUndefined();
      const r = await pending;
      expect(codeOf(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors?.[0].extensions?.field).toBe('input.answers[1].questionCode');
      expect(r.errors?.[0].message).toMatch(/"Q6"/);
      expect(await storedAnswers([answer.clientId])).toEqual([]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  }, 30000);
});

describe('a response stored while publishCycle runs', () => {
  test('is either counted in the published figures or flagged late, never neither; satisfaction agrees with the published result', async () => {
    // The figures before: the unit's responses as the engine counts them, and Q1's in the satisfaction statistics.
    await t.service.services.results.recompute(cycleId);
    const SATISFACTION = `{ satisfaction(year: ${YEAR}, unitCode: "STP") { key responses } }`;
    const q1 = (stats: { key: string; responses: number }[]) => stats.find((s) => s.key === 'Q1')!.responses;
    const before = {
      responses: (await t.ok(`{ unit(code: "STP") { result(year: ${YEAR}) { responses } } }`)).unit.result.responses as number,
      q1: q1((await t.ok(SATISFACTION)).satisfaction),
    };
    const holder = await session();
    let publication: Promise<GqlResult> | undefined;
    const late = response({ Q1: 1 });
    try {
      // Hold the publication after its last roll-up, before its status commits: its write waits for the results lock.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1), $2)', ['index_result', cycleId]);
      publication = t.gql(`mutation { publishCycle(year: ${YEAR}, unitKind: DEPARTMENT) { status } }`);
      await waitForLockWait(['advisory'], '%pg_advisory_xact_lock%');
      const submission = t.gql(SUBMIT, { input: late }, kiosk);
      // The submission waits for the publication to commit (it cannot be stored in between).
      expect(await settlesWithin(submission, 700)).toBe(false);
      await holder.query('COMMIT');
      const published = await publication;
      expect(published.errors).toBeUndefined();
      expect(published.data.publishCycle.status).toBe('PUBLISHED');
      const sub = await submission;
      expect(sub.errors).toBeUndefined();
      expect(sub.data.submitSurveyResponse.status).toBe('ACCEPTED');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await publication?.catch(() => undefined);
    }
    const [{ flagged }] = await t.sql('SELECT late AS flagged FROM survey_response WHERE client_id = $1', [late.clientId]);
    const result = (await t.ok(`{ unit(code: "STP") { result(year: ${YEAR}) { responses published } } }`, {}, null)).unit.result;
    expect(result.published).toBe(true);
    // Counted XOR flagged late (it answers Q1, so it counts for the unit however responses are counted); here it
    // arrived during the publication and waited for it: late.
    expect(result.responses).toBe(flagged ? before.responses : before.responses + 1);
    expect(flagged).toBe(true);
    // The published year's satisfaction (anonymous: late responses left out) agrees with the published figures.
    expect(q1((await t.ok(SATISFACTION, {}, null)).satisfaction)).toBe(flagged ? before.q1 : before.q1 + 1);
  }, 30000);
});
