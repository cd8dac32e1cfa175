import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../support/test-service';
import { buildProvince, registerKiosk, response, storedCounts, SUBMIT, SUBMIT_MANY } from './survey-fixtures';

let t: TestService;
let kiosk: { id: string; token: string };
let other: { id: string; token: string };
beforeAll(async () => {
  t = await startTestService();
  await buildProvince(t);
  kiosk = await registerKiosk(t, 'STP', 'Quầy 1');
  other = await registerKiosk(t, 'PD', 'Quầy huyện');
});
afterAll(async () => { await t?.stop(); });

const submit = (input: unknown, token = kiosk.token) => t.gql(SUBMIT, { input }, token);

describe('idempotency on (kiosk, clientId)', () => {
  test('a resend returns DUPLICATE with the first responseId and stores nothing new', async () => {
    const r = response({ procedureCode: '1.001234', comment: 'Cán bộ nhiệt tình' });
    const first = (await submit(r)).data!.submitSurveyResponse;
    expect(first).toMatchObject({ clientId: r.clientId, status: 'ACCEPTED', error: null });
    // Opaque: not the row's sequential id.
    expect(first.responseId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [row] = await t.sql(`SELECT id::text FROM survey_response WHERE client_id = $1`, [r.clientId]);
    expect(first.responseId).not.toBe(row.id);
    const before = await storedCounts(t);
    const again = (await submit(r)).data!.submitSurveyResponse;
    expect(again).toEqual({ clientId: r.clientId, status: 'DUPLICATE', responseId: first.responseId, error: null });
    expect(await storedCounts(t)).toEqual(before);
  });

  test('a resend with different content is still DUPLICATE: the first one wins', async () => {
    const r = response({ answers: [{ questionCode: 'Q1', value: 1 }] });
    const first = (await submit(r)).data!.submitSurveyResponse;
    const changed = (await submit({ ...r, answers: [{ questionCode: 'Q1', value: 5 }], comment: 'sửa lại' })).data!.submitSurveyResponse;
    expect(changed).toMatchObject({ status: 'DUPLICATE', responseId: first.responseId });
    const answers = await t.sql('SELECT a.value, s.comment FROM survey_answer a JOIN survey_response s ON s.id = a.response_id WHERE s.client_id = $1', [r.clientId]);
    expect(answers).toEqual([{ value: 1, comment: null }]);
  });

  test('the same clientId from another kiosk is another response', async () => {
    const r = response();
    const a = (await submit(r)).data!.submitSurveyResponse;
    const b = (await submit(r, other.token)).data!.submitSurveyResponse;
    expect([a.status, b.status]).toEqual(['ACCEPTED', 'ACCEPTED']);
    expect(a.responseId).not.toBe(b.responseId);
  });

  test('identical requests racing store one row: one ACCEPTED, the others DUPLICATE of it', async () => {
    for (let round = 0; round < 5; round++) {
      const r = response({ answers: [{ questionCode: 'Q1', value: 4 }, { questionCode: 'Q3', value: 5 }] });
      const before = await storedCounts(t);
      const results = await Promise.all(Array.from({ length: 8 }, () => submit(r)));
      const subs = results.map((x) => x.data!.submitSurveyResponse);
      expect(subs.filter((s) => s.status === 'ACCEPTED')).toHaveLength(1);
      expect(subs.filter((s) => s.status === 'DUPLICATE')).toHaveLength(7);
      expect(new Set(subs.map((s) => s.responseId)).size).toBe(1);
      expect(await t.sql('SELECT count(*)::int AS n FROM survey_response WHERE client_id = $1', [r.clientId])).toEqual([{ n: 1 }]);
      const after = await storedCounts(t);
      expect(after).toEqual({
        responses: before.responses + 1, answers: before.answers + 2, tallied_answers: before.tallied_answers + 2,
        tallied_responses: before.tallied_responses + 1, tallied_elements: before.tallied_elements + 2,
      });
    }
  });

  test('two racing batches with the same responses store each once', async () => {
    const batch = Array.from({ length: 50 }, () => response());
    const before = await storedCounts(t);
    const [a, b] = await Promise.all([t.gql(SUBMIT_MANY, { inputs: batch }, kiosk.token), t.gql(SUBMIT_MANY, { inputs: batch }, kiosk.token)]);
    const statuses = [...a.data!.submitSurveyResponses, ...b.data!.submitSurveyResponses].map((s: { status: string }) => s.status);
    expect(statuses.filter((s) => s === 'ACCEPTED')).toHaveLength(50);
    expect(statuses.filter((s) => s === 'DUPLICATE')).toHaveLength(50);
    expect((await storedCounts(t)).responses).toBe(before.responses + 50);
  });
});

describe('validation: each refusal is BAD_USER_INPUT naming the field, and nothing is stored', () => {
  const future = () => new Date(Date.now() + 10 * 60 * 1000).toISOString();
  const cases: [string, () => Record<string, unknown>, string, RegExp][] = [
    ['a malformed clientId', () => ({ ...response(), clientId: 'kiosk-1-response-7' }), 'input.clientId', /UUID/],
    ['no answers', () => response({ answers: [] }), 'input.answers', /1 to 50/],
    ['more than 50 answers', () => response({ answers: Array.from({ length: 51 }, () => ({ questionCode: 'Q1', value: 5 })) }), 'input.answers', /1 to 50 answers, got 51/],
    ['an unknown question', () => response({ answers: [{ questionCode: 'Q1', value: 5 }, { questionCode: 'Q9', value: 2 }] }), 'input.answers[1].questionCode', /"Q9" is not a question of the 2024 questionnaire/],
    ['a value above the scale', () => response({ answers: [{ questionCode: 'Q1', value: 5 }, { questionCode: 'Q2', value: 4 }] }), 'input.answers[1].value', /from 1 to 3 .*got 4/],
    ['a value below the scale', () => response({ answers: [{ questionCode: 'Q1', value: 0 }] }), 'input.answers[0].value', /from 1 to 5 .*got 0/],
    ['a question answered twice', () => response({ answers: [{ questionCode: 'Q1', value: 5 }, { questionCode: 'Q2', value: 2 }, { questionCode: 'Q1', value: 4 }] }), 'input.answers[2].questionCode', /already answered in input\.answers\[0\]/],
    ['submittedAt more than 5 minutes ahead', () => response({ submittedAt: future() }), 'input.submittedAt', /more than 5 minutes ahead/],
    ['a year without a questionnaire', () => response({ submittedAt: '2019-06-01T03:00:00Z' }), 'input.submittedAt', /no questionnaire is defined for 2019/],
    ['a comment over 1,000 characters', () => response({ comment: 'ệ'.repeat(1001) }), 'input.comment', /1001 characters.*at most 1000/],
    ['a malformed procedure code', () => response({ procedureCode: 'thủ tục 1' }), 'input.procedureCode', /not a valid code/],
  ];
  test.each(cases)('%s', async (_name, make, field, message) => {
    const before = await storedCounts(t);
    const res = await submit(make());
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(res.errors![0].message).toMatch(message);
    expect(await storedCounts(t)).toEqual(before);
  });

  test('a submittedAt that is not a date-time is refused before anything runs', async () => {
    const res = await submit({ ...response(), submittedAt: 'yesterday' });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('a comment is NFC-normalised before it is counted and stored', async () => {
    // "ệ" typed as e + U+0323 + U+0302: 3,000 code units, 1,000 characters once composed.
    const decomposed = 'ệ'.normalize('NFD').repeat(1000);
    expect(decomposed.length).toBe(3000);
    const r = response({ comment: decomposed });
    expect((await submit(r)).data!.submitSurveyResponse.status).toBe('ACCEPTED');
    const [row] = await t.sql('SELECT comment, char_length(comment) AS n FROM survey_response WHERE client_id = $1', [r.clientId]);
    expect(row.n).toBe(1000);
    expect(row.comment).toBe('ệ'.normalize('NFC').repeat(1000));
  });

  test('submittedAt up to 5 minutes ahead is accepted (kiosk clocks drift)', async () => {
    const at = new Date(Date.now() + 4 * 60 * 1000);
    const year = new Date(at.getTime() + 7 * 3600 * 1000).getUTCFullYear();
    await t.ok(`mutation($year: Int!) { defineQuestionnaire(year: $year, questions: [{code: "Q1", text: "Hài lòng", element: RESULT, scaleMax: 5}]) { code } }`, { year });
    const r = response({ submittedAt: at.toISOString(), answers: [{ questionCode: 'Q1', value: 5 }] });
    expect((await submit(r)).data!.submitSurveyResponse.status).toBe('ACCEPTED');
  });
});

describe('the year of a response is its Asia/Ho_Chi_Minh year', () => {
  test('2023-12-31T20:00:00Z belongs to 2024, 2023-12-31T16:59:59Z to 2023', async () => {
    const late = response({ submittedAt: '2023-12-31T20:00:00Z', answers: [{ questionCode: 'Q3', value: 5 }] });
    const early = response({ submittedAt: '2023-12-31T16:59:59Z', answers: [{ questionCode: 'OLD', value: 2 }] });
    expect((await submit(late)).data!.submitSurveyResponse.status).toBe('ACCEPTED');
    expect((await submit(early)).data!.submitSurveyResponse.status).toBe('ACCEPTED');
    const rows = await t.sql(`SELECT client_id::text, year FROM survey_response WHERE client_id = ANY($1::uuid[]) ORDER BY year`, [[late.clientId, early.clientId]]);
    expect(rows).toEqual([{ client_id: early.clientId, year: 2023 }, { client_id: late.clientId, year: 2024 }]);
    await t.service.services.tallies.rollUp();
    const days = await t.sql(`SELECT DISTINCT day::text FROM survey_tally WHERE question_id IN (SELECT id FROM question WHERE code IN ('Q3', 'OLD')) AND day BETWEEN '2023-12-31' AND '2024-01-01' ORDER BY 1`);
    expect(days.map((d) => d.day)).toEqual(['2023-12-31', '2024-01-01']);
  });

  test("is judged against that year's questionnaire: a 2023-only question at 20:00Z on 31 December is unknown", async () => {
    const res = await submit(response({ submittedAt: '2023-12-31T20:00:00Z', answers: [{ questionCode: 'OLD', value: 2 }] }));
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.answers[0].questionCode' });
    expect(res.errors?.[0].message).toContain('2024 questionnaire');
  });
});

describe('late responses', () => {
  test('a response of a published year and kind is stored flagged late; other kinds are not late', async () => {
    await t.sql(`INSERT INTO cycle (year, unit_kind, status, published_at) VALUES (2023, 'DEPARTMENT', 'PUBLISHED', now())`);
    const dept = response({ submittedAt: '2023-11-02T02:00:00Z', answers: [{ questionCode: 'Q1', value: 4 }] });
    const district = response({ submittedAt: '2023-11-02T02:00:00Z', answers: [{ questionCode: 'Q1', value: 4 }] });
    expect((await submit(dept)).data!.submitSurveyResponse.status).toBe('ACCEPTED');
    expect((await submit(district, other.token)).data!.submitSurveyResponse.status).toBe('ACCEPTED');
    const rows = await t.sql(`SELECT client_id::text, late FROM survey_response WHERE client_id = ANY($1::uuid[])`, [[dept.clientId, district.clientId]]);
    expect(Object.fromEntries(rows.map((r) => [r.client_id, r.late]))).toEqual({ [dept.clientId]: true, [district.clientId]: false });
  });
});

describe('batches', () => {
  test('good, duplicate, repeated and bad responses mixed: each judged on its own, the good stored', async () => {
    const known = response();
    const knownId = (await submit(known)).data!.submitSurveyResponse.responseId;
    const good1 = response({ procedureCode: '2.000123' });
    const good2 = response({ answers: [{ questionCode: 'Q3', value: 4 }] });
    const bad = response({ answers: [{ questionCode: 'Q2', value: 5 }] });
    const badId = { ...response(), clientId: 'not-a-uuid' };
    const before = await storedCounts(t);
    const res = await t.gql(SUBMIT_MANY, { inputs: [good1, known, bad, good2, good1, badId] }, kiosk.token);
    const out = res.data!.submitSurveyResponses;
    expect(out.map((s: { status: string }) => s.status)).toEqual(['ACCEPTED', 'DUPLICATE', 'REJECTED', 'ACCEPTED', 'DUPLICATE', 'REJECTED']);
    expect(out[1].responseId).toBe(knownId);
    expect(out[4].responseId).toBe(out[0].responseId);
    expect(out[2]).toMatchObject({ clientId: bad.clientId, responseId: null, error: { code: 'BAD_USER_INPUT', field: 'inputs[2].answers[0].value' } });
    expect(out[2].error.message).toContain('from 1 to 3');
    expect(out[5].error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'inputs[5].clientId' });
    const after = await storedCounts(t);
    expect(after.responses).toBe(before.responses + 2);
    expect(after.answers).toBe(before.answers + 3);
    expect(after.tallied_answers).toBe(before.tallied_answers + 3);
  });

  test('more than 500 responses are refused as a whole', async () => {
    const before = await storedCounts(t);
    const inputs = Array.from({ length: 501 }, () => response({ answers: [{ questionCode: 'Q1', value: 5 }] }));
    const res = await t.gql(SUBMIT_MANY, { inputs }, kiosk.token);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'inputs' });
    expect(await storedCounts(t)).toEqual(before);
  });

  test('500 responses pass in one call', async () => {
    const inputs = Array.from({ length: 500 }, (_, i) => response({ answers: [{ questionCode: 'Q1', value: 1 + (i % 5) }] }));
    const res = await t.gql(SUBMIT_MANY, { inputs }, kiosk.token);
    expect(res.data!.submitSurveyResponses.filter((s: { status: string }) => s.status === 'ACCEPTED')).toHaveLength(500);
  });

  test('a batch is stored in one transaction: a failure midway stores none of it', async () => {
    // Make the 3rd response fail inside PostgreSQL (a trigger), after validation passed.
    await t.sql(`CREATE FUNCTION fail_on_comment() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.comment = 'boom' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
    await t.sql(`CREATE TRIGGER fail_on_comment BEFORE INSERT ON survey_response FOR EACH ROW EXECUTE FUNCTION fail_on_comment()`);
    try {
      const before = await storedCounts(t);
      const inputs = [response(), response(), response({ comment: 'boom' }), response()];
      const res = await t.gql(SUBMIT_MANY, { inputs }, kiosk.token);
      expect(res.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(await storedCounts(t)).toEqual(before);
    } finally {
      await t.sql('DROP TRIGGER fail_on_comment ON survey_response');
      await t.sql('DROP FUNCTION fail_on_comment()');
    }
  });
});

describe('the index engine is told', () => {
  test('an accepted response marks its year and kind dirty', async () => {
    const recompute = (t.service.services as { recompute?: { markDirty?: (y: number, k: string) => void } }).recompute;
    if (!recompute?.markDirty) return;
    // The background roll-up also marks what it rolls up: pause it so only ingestion's calls are counted.
    await t.service.services.tallies.stop();
    const spy = jest.spyOn(recompute, 'markDirty');
    try {
      await submit(response({ clientId: randomUUID() }), other.token);
      expect(spy).toHaveBeenCalledWith(2024, 'DISTRICT');
      spy.mockClear();
      const r = response();
      await submit(r, other.token);
      await submit(r, other.token); // the duplicate asks nothing
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
      t.service.services.tallies.start();
    }
  });
});

describe('the tallies', () => {
  test('are rolled up exactly once by concurrent roll-ups, and only then leave nothing pending', async () => {
    const batch = Array.from({ length: 40 }, (_, i) => response({ answers: [{ questionCode: 'Q1', value: 1 + (i % 5) }, { questionCode: 'Q3', value: 1 + (i % 3) }] }));
    const res = await t.gql(SUBMIT_MANY, { inputs: batch }, kiosk.token);
    expect(res.data!.submitSurveyResponses.filter((r: { status: string }) => r.status === 'ACCEPTED')).toHaveLength(40);
    const rolled = await Promise.all([1, 2, 3, 4].map(() => t.service.services.tallies.rollUp()));
    expect(rolled.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(40);
    expect(await t.sql('SELECT count(*)::int AS n FROM survey_response WHERE NOT tallied')).toEqual([{ n: 0 }]);
  });

  test('match the raw answers exactly after everything above', async () => {
    await t.service.services.tallies.rollUp();
    const raw = await t.sql(`SELECT r.year, r.unit_id, r.kiosk_id, (r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date::text AS day,
        coalesce(r.procedure_code, '') AS procedure_code, r.late, a.question_id, a.value, count(*)::int AS n
      FROM survey_response r JOIN survey_answer a ON a.response_id = r.id GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`);
    const tallied = await t.sql(`SELECT year, unit_id, kiosk_id, day::text, procedure_code, late, question_id, v.value, v.n
      FROM survey_tally, LATERAL (VALUES (1, n1), (2, n2), (3, n3), (4, n4), (5, n5)) AS v(value, n)
      WHERE v.n > 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`);
    expect(tallied).toEqual(raw);
    const [responses] = await t.sql(`SELECT (SELECT count(*) FROM survey_response)::int AS raw, (SELECT sum(responses) FROM survey_response_tally)::int AS tallied`);
    expect(responses.tallied).toBe(responses.raw);
    // The engine's roll-ups: per unit and question, and per set of questions answered.
    const rawQuestion = await t.sql(`SELECT r.year, r.unit_id, r.late, a.question_id, a.value, count(*)::int AS n
      FROM survey_response r JOIN survey_answer a ON a.response_id = r.id GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`);
    const talliedQuestion = await t.sql(`SELECT year, unit_id, late, question_id, v.value, v.n
      FROM survey_question_tally, LATERAL (VALUES (1, n1), (2, n2), (3, n3), (4, n4), (5, n5)) AS v(value, n)
      WHERE v.n > 0 ORDER BY 1, 2, 3, 4, 5`);
    expect(talliedQuestion).toEqual(rawQuestion);
    const rawSets = await t.sql(`SELECT year, unit_id, late, question_ids, count(*)::int AS n FROM (
        SELECT r.year, r.unit_id, r.late, array_agg(a.question_id ORDER BY a.question_id) AS question_ids
          FROM survey_response r JOIN survey_answer a ON a.response_id = r.id GROUP BY r.id) s
      GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`);
    const talliedSets = await t.sql(`SELECT year, unit_id, late, question_ids, responses AS n FROM survey_question_set_tally ORDER BY 1, 2, 3, 4`);
    expect(talliedSets).toEqual(rawSets);
  });
});
