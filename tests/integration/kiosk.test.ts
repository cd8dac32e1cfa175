import { createHash } from 'node:crypto';
import { startTestService, type TestService } from '../support/test-service';
import { buildProvince, issue, REGISTER, registerKiosk, response, storedCounts, SUBMIT } from './survey-fixtures';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
  await buildProvince(t);
});
afterAll(async () => { await t?.stop(); });

describe('registering kiosks', () => {
  test('returns the token once and keeps only its SHA-256 hash', async () => {
    const d = await t.ok(REGISTER, { input: { unitCode: 'STP', label: 'Quầy 1 – Bộ phận Một cửa' } });
    const { token, kiosk } = d.registerKiosk;
    expect(token).toMatch(/^par_k_[A-Za-z0-9_-]{43}$/);
    expect(kiosk).toMatchObject({ label: 'Quầy 1 – Bộ phận Một cửa', active: true, unit: { code: 'STP', name: 'Sở Tư pháp', kind: 'DEPARTMENT' } });
    const rows = await t.sql('SELECT token_hash, active, revoked_at FROM kiosk WHERE public_id = $1', [kiosk.id]);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(rows[0].revoked_at).toBeNull();
    const leaked = await t.sql(`SELECT count(*)::int AS n FROM kiosk WHERE token_hash = $1 OR label LIKE '%par_k_%'`, [token]);
    expect(leaked[0].n).toBe(0);
  });

  test('is for ADMIN only, and needs a known unit', async () => {
    const anonymous = await t.gql(REGISTER, { input: { unitCode: 'STP', label: 'x' } }, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const analyst = await issue(t, 'ANALYST', 'Phân tích');
    const forbidden = await t.gql(REGISTER, { input: { unitCode: 'STP', label: 'x' } }, analyst);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const unknown = await t.gql(REGISTER, { input: { unitCode: 'NOPE', label: 'x' } });
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.unitCode' });
    const kiosks = await t.ok(`{ kiosks(unitCode: "STP") { id label unit { code } } }`);
    expect(kiosks.kiosks.every((k: { unit: { code: string } }) => k.unit.code === 'STP')).toBe(true);
  });
});

describe('a kiosk token', () => {
  test('submits for its own unit and does nothing else (FORBIDDEN), anonymous reads included', async () => {
    const kiosk = await registerKiosk(t, 'SYT', 'Kiosk Sở Y tế');
    const r = response();
    const ok = await t.ok(SUBMIT, { input: r }, kiosk.token);
    expect(ok.submitSurveyResponse.status).toBe('ACCEPTED');
    const stored = await t.sql('SELECT u.code FROM survey_response s JOIN unit u ON u.id = s.unit_id WHERE s.client_id = $1', [r.clientId]);
    expect(stored).toEqual([{ code: 'SYT' }]);

    const attempts = [
      '{ units { totalCount } }',
      '{ unit(code: "STP") { name } }',
      '{ questionnaire(year: 2024) { code } }',
      '{ satisfaction(year: 2024) { key } }',
      '{ __schema { queryType { name } } }',
      'mutation { createUnit(input: {code: "X1", name: "X", kind: DEPARTMENT}) { id } }',
      'mutation { registerKiosk(input: {unitCode: "STP", label: "rogue"}) { token } }',
    ];
    for (const query of attempts) {
      const res = await t.gql(query, {}, kiosk.token);
      expect({ query, code: res.errors?.[0].extensions?.code, data: res.data ?? null }).toEqual({ query, code: 'FORBIDDEN', data: null });
      expect(res.status).toBe(403);
    }
    // A permitted field smuggled beside a forbidden one: refused whole, nothing stored.
    const before = await storedCounts(t);
    const mixed = await t.gql(`mutation($input: SubmitSurveyResponseInput!) {
        submitSurveyResponse(input: $input) { status }
        createUnit(input: {code: "X2", name: "X", kind: DEPARTMENT}) { id } }`, { input: response() }, kiosk.token);
    expect(mixed.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await storedCounts(t)).toEqual(before);
    expect(await t.sql(`SELECT code FROM unit WHERE code IN ('X1', 'X2')`)).toEqual([]);
  });

  test('submissions are for kiosks only: an admin token is FORBIDDEN', async () => {
    const res = await t.gql(SUBMIT, { input: response() });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('revoking a kiosk', () => {
  test('refuses its token at once, as an unknown one, keeps what it sent, leaves other kiosks working', async () => {
    const a = await registerKiosk(t, 'STP', 'Quầy A');
    const b = await registerKiosk(t, 'STP', 'Quầy B');
    const sent = response();
    expect((await t.ok(SUBMIT, { input: sent }, a.token)).submitSurveyResponse.status).toBe('ACCEPTED');

    const revoked = await t.ok(`mutation($id: ID!) { revokeKiosk(id: $id) { id active label unit { code } } }`, { id: a.id });
    expect(revoked.revokeKiosk).toEqual({ id: a.id, active: false, label: 'Quầy A', unit: { code: 'STP' } });
    const [row] = await t.sql('SELECT active, revoked_at FROM kiosk WHERE public_id = $1', [a.id]);
    expect(row.active).toBe(false);
    expect(row.revoked_at).toBeInstanceOf(Date);

    const refused = await t.gql(SUBMIT, { input: response() }, a.token);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    // The same answer as a token that never existed: it names nothing internal.
    const unknown = await t.gql(SUBMIT, { input: response() }, `par_k_${'x'.repeat(43)}`);
    expect(refused.errors).toEqual(unknown.errors);
    expect(refused.errors?.[0].message).toBe('The token is not valid');
    // Even a resend of what it already sent is refused, and the stored response stays.
    expect((await t.gql(SUBMIT, { input: sent }, a.token)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await t.sql('SELECT count(*)::int AS n FROM survey_response WHERE client_id = $1', [sent.clientId])).toEqual([{ n: 1 }]);

    expect((await t.ok(SUBMIT, { input: response() }, b.token)).submitSurveyResponse.status).toBe('ACCEPTED');
    const again = await t.ok(`mutation($id: ID!) { revokeKiosk(id: $id) { active } }`, { id: a.id });
    expect(again.revokeKiosk.active).toBe(false);
    const [after] = await t.sql('SELECT revoked_at FROM kiosk WHERE public_id = $1', [a.id]);
    expect(after.revoked_at).toEqual(row.revoked_at);
  });

  test('an unknown kiosk is NOT_FOUND; revoking is for ADMIN only', async () => {
    expect((await t.gql(`mutation { revokeKiosk(id: "0b0e4d0c-2f0a-4c4e-9a51-4a4f7e1f3b21") { id } }`)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // IDs are opaque: a sequential number is not one.
    expect((await t.gql(`mutation { revokeKiosk(id: "1") { id } }`)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect((await t.gql(`mutation { revokeKiosk(id: "abc") { id } }`)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect((await t.gql(`mutation { revokeKiosk(id: "1") { id } }`, {}, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
