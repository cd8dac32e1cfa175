import { startTestService, type TestService } from '../support/test-service';
import { buildProvince, registerKiosk, response, SUBMIT, SUBMIT_MANY } from './survey-fixtures';

let t: TestService;
beforeAll(async () => {
  // Tiny limits so a test can flood: 2 responses per second, bursts of 5.
  t = await startTestService({ kioskRatePerSecond: 2, kioskRateBurst: 5 });
  await buildProvince(t);
});
afterAll(async () => { await t?.stop(); });

test('a flooding kiosk gets RATE_LIMITED while another kiosk is served', async () => {
  const flood = await registerKiosk(t, 'STP', 'Nút bị kẹt');
  const calm = await registerKiosk(t, 'STP', 'Quầy bình thường');
  const results = [];
  for (let i = 0; i < 12; i++) results.push(await t.gql(SUBMIT, { input: response() }, flood.token));
  const limited = results.filter((r) => r.errors?.[0].extensions?.code === 'RATE_LIMITED');
  const accepted = results.filter((r) => r.data?.submitSurveyResponse?.status === 'ACCEPTED');
  expect(accepted.length).toBeGreaterThanOrEqual(5);
  expect(accepted.length).toBeLessThanOrEqual(7);
  expect(limited.length).toBe(12 - accepted.length);
  expect(limited[0].errors?.[0].message).toMatch(/retry in \d+ s/);
  expect(limited[0].errors?.[0].extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  // Nothing of a refused request is stored.
  const [row] = await t.sql('SELECT count(*)::int AS n FROM survey_response WHERE kiosk_id = (SELECT id FROM kiosk WHERE public_id = $1)', [flood.id]);
  expect(row.n).toBe(accepted.length);

  expect((await t.ok(SUBMIT, { input: response() }, calm.token)).submitSurveyResponse.status).toBe('ACCEPTED');
});

test('a batch counts each response it carries', async () => {
  const kiosk = await registerKiosk(t, 'SYT', 'Quầy 2');
  const ok = await t.ok(SUBMIT_MANY, { inputs: [response(), response(), response(), response()] }, kiosk.token);
  expect(ok.submitSurveyResponses).toHaveLength(4);
  const refused = await t.gql(SUBMIT_MANY, { inputs: [response(), response(), response()] }, kiosk.token);
  expect(refused.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
});
