import { createHash, randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, startTestService, type GqlResult, type TestService } from '../support/test-service';

/**
 * Role boundaries over HTTP: anonymous callers get UNAUTHENTICATED on every
 * mutation, ANALYST, APPRAISER and KIOSK tokens FORBIDDEN on the admin ones,
 * unknown or malformed tokens UNAUTHENTICATED; issueToken returns a token
 * that works and is stored only hashed.
 */

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
  await t.ok(`mutation { createUnit(input: {code: "H.PHONGDIEN", name: "UBND huyện Phong Điền", kind: DISTRICT}) { id } }`);
  await t.ok(`mutation { defineQuestionnaire(year: 2024, questions: [{code: "Q1", text: "Hài lòng chung", element: RESULT, scaleMax: 5}]) { code } }`);
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: FRAMEWORK });
});
afterAll(async () => { await t?.stop(); });

const FRAMEWORK = {
  year: 2024, unitKind: 'DISTRICT',
  domains: [{ code: 'LV1', name: 'Cải cách thủ tục hành chính', criteria: [
    { code: 'LV1.1', name: 'Công khai thủ tục', maxPoints: 70, source: 'EXPERT' },
    { code: 'LV1.2', name: 'Hài lòng', maxPoints: 30, source: 'SURVEY', questionCodes: ['Q1'] },
  ] }],
};

/** The mutations of the setup API with arguments that would succeed for an admin. */
const ADMIN_MUTATIONS: Record<string, { query: string; variables: Record<string, unknown> }> = {
  createUnit: { query: `mutation { createUnit(input: {code: "S.FORBIDDEN", name: "Sở Cấm", kind: DEPARTMENT}) { code } }`, variables: {} },
  defineCycle: { query: `mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, variables: { input: { ...FRAMEWORK, year: 2025, unitKind: 'COMMUNE' } } },
  defineQuestionnaire: { query: `mutation { defineQuestionnaire(year: 2025, questions: [{code: "Q1", text: "Hài lòng", element: ACCESS, scaleMax: 3}]) { code } }`, variables: {} },
  openCycle: { query: `mutation { openCycle(year: 2024, unitKind: DISTRICT) { status } }`, variables: {} },
  issueToken: { query: `mutation { issueToken(input: {role: ADMIN, name: "kẻ lạ"}) }`, variables: {} },
};

async function stored() {
  const [row] = await t.sql(`SELECT (SELECT count(*) FROM unit)::int AS units, (SELECT count(*) FROM cycle)::int AS cycles,
    (SELECT count(*) FROM question)::int AS questions, (SELECT count(*) FROM api_token)::int AS tokens,
    (SELECT string_agg(status::text, ',' ORDER BY id) FROM cycle) AS statuses`);
  return row;
}

function expectCode(r: GqlResult, code: string) {
  expect(r.errors?.length).toBeGreaterThan(0);
  expect(r.errors![0].extensions?.code).toBe(code);
}

async function issue(role: string, name = `${role.toLowerCase()} thử`): Promise<string> {
  const d = await t.ok(`mutation($input: IssueTokenInput!) { issueToken(input: $input) }`, { input: { role, name } });
  expect(typeof d.issueToken).toBe('string');
  return d.issueToken;
}

// ---- Building a type-correct call of any mutation from the schema, so that "every mutation" stays true as the API grows.

interface TypeRef { kind: string; name: string | null; ofType: TypeRef | null }
interface InputField { name: string; type: TypeRef; defaultValue: string | null }
interface FullType { name: string; kind: string; inputFields: InputField[] | null; enumValues: { name: string }[] | null }

const INTROSPECT = `{ __schema { mutationType { fields { name args { name type { ...T } defaultValue } type { ...T } } }
  types { name kind inputFields { name type { ...T } defaultValue } enumValues { name } } } }
  fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }`;

function typeString(ref: TypeRef): string {
  if (ref.kind === 'NON_NULL') return `${typeString(ref.ofType!)}!`;
  if (ref.kind === 'LIST') return `[${typeString(ref.ofType!)}]`;
  return ref.name!;
}

function sample(ref: TypeRef, types: Map<string, FullType>, depth = 0): unknown {
  if (ref.kind === 'NON_NULL') return sample(ref.ofType!, types, depth);
  if (ref.kind === 'LIST') return [sample(ref.ofType!, types, depth)];
  const type = types.get(ref.name!)!;
  if (type.kind === 'ENUM') return type.enumValues![0].name;
  if (type.kind === 'INPUT_OBJECT') {
    const out: Record<string, unknown> = {};
    for (const f of type.inputFields!) {
      if (f.type.kind === 'NON_NULL' && f.defaultValue === null && depth < 6) out[f.name] = sample(f.type, types, depth + 1);
    }
    return out;
  }
  switch (ref.name) {
    case 'Int': return 2024;
    case 'Float': return 1;
    case 'Boolean': return false;
    case 'ID': return randomUUID();
    case 'DateTime': return new Date().toISOString();
    default: return 'X';
  }
}

function selection(ref: TypeRef): string {
  let r = ref;
  while (r.ofType) r = r.ofType;
  return r.kind === 'OBJECT' || r.kind === 'INTERFACE' || r.kind === 'UNION' ? ' { __typename }' : '';
}

async function everyMutation(): Promise<{ name: string; query: string; variables: Record<string, unknown> }[]> {
  const d = await t.ok(INTROSPECT);
  const types = new Map<string, FullType>(d.__schema.types.map((x: FullType) => [x.name, x]));
  return d.__schema.mutationType.fields.map((f: { name: string; args: InputField[]; type: TypeRef }) => {
    const required = f.args.filter((a) => a.type.kind === 'NON_NULL' && a.defaultValue === null);
    const defs = required.map((a) => `$${a.name}: ${typeString(a.type)}`).join(', ');
    const args = required.map((a) => `${a.name}: $${a.name}`).join(', ');
    const variables = Object.fromEntries(required.map((a) => [a.name, sample(a.type, types)]));
    const query = `mutation${defs ? `(${defs})` : ''} { ${f.name}${args ? `(${args})` : ''}${selection(f.type)} }`;
    return { name: f.name, query, variables };
  });
}

describe('anonymous callers', () => {
  test('get UNAUTHENTICATED on every mutation of the schema, and nothing is stored', async () => {
    const mutations = await everyMutation();
    for (const name of Object.keys(ADMIN_MUTATIONS)) expect(mutations.map((m) => m.name)).toContain(name);
    const before = await stored();
    for (const m of mutations) {
      const r = await t.gql(m.query, m.variables, null);
      // A well-typed call: the refusal is about who calls, not about the arguments.
      expect({ mutation: m.name, code: r.errors?.[0]?.extensions?.code }).toEqual({ mutation: m.name, code: 'UNAUTHENTICATED' });
      expect(r.data?.[m.name] ?? null).toBeNull();
    }
    expect(await stored()).toEqual(before);
  });

  test.each(Object.keys(ADMIN_MUTATIONS))('get UNAUTHENTICATED on %s with valid arguments', async (name) => {
    const before = await stored();
    const { query, variables } = ADMIN_MUTATIONS[name];
    const r = await t.gql(query, variables, null);
    expectCode(r, 'UNAUTHENTICATED');
    expect(r.errors![0].message).toMatch(new RegExp(name));
    expect(await stored()).toEqual(before);
  });

  test('may read units, frameworks and questionnaires', async () => {
    const r = await t.ok(`{ units { totalCount } unit(code: "H.PHONGDIEN") { name }
      cycle(year: 2024, unitKind: DISTRICT) { maxPoints } questionnaire(year: 2024) { code } }`, {}, null);
    expect(r).toEqual({ units: { totalCount: 1 }, unit: { name: 'UBND huyện Phong Điền' }, cycle: { maxPoints: 100 }, questionnaire: [{ code: 'Q1' }] });
  });
});

describe('tokens of other roles', () => {
  test.each(['ANALYST', 'APPRAISER'])('%s gets FORBIDDEN on every admin mutation, and nothing is stored', async (role) => {
    const token = await issue(role);
    const before = await stored();
    for (const [name, { query, variables }] of Object.entries(ADMIN_MUTATIONS)) {
      const r = await t.gql(query, variables, token);
      expect({ name, code: r.errors?.[0]?.extensions?.code }).toEqual({ name, code: 'FORBIDDEN' });
      expect(r.errors![0].message).toMatch(role);
    }
    expect(await stored()).toEqual(before);
    // The same token reads.
    const read = await t.ok(`{ units { totalCount } }`, {}, token);
    expect(read.units.totalCount).toBe(1);
  });

  test('a kiosk token gets FORBIDDEN on every admin mutation', async () => {
    const kioskToken = `par_k_${randomUUID()}`;
    await t.sql(`INSERT INTO kiosk (unit_id, label, token_hash) SELECT id, 'Quầy 1', $1 FROM unit WHERE code = 'H.PHONGDIEN'`,
      [createHash('sha256').update(kioskToken).digest('hex')]);
    const before = await stored();
    for (const [name, { query, variables }] of Object.entries(ADMIN_MUTATIONS)) {
      const r = await t.gql(query, variables, kioskToken);
      expect({ name, code: r.errors?.[0]?.extensions?.code }).toEqual({ name, code: 'FORBIDDEN' });
    }
    expect(await stored()).toEqual(before);
  });

  test('ADMIN may do each of them', async () => {
    // In order: defineCycle 2025 draws on the questionnaire of 2025 defined just before it.
    const order = ['createUnit', 'defineQuestionnaire', 'defineCycle', 'openCycle', 'issueToken'];
    expect([...order].sort()).toEqual(Object.keys(ADMIN_MUTATIONS).sort());
    const statuses: { name: string; errors: unknown }[] = [];
    for (const name of order) {
      const r = await t.gql(ADMIN_MUTATIONS[name].query, ADMIN_MUTATIONS[name].variables);
      statuses.push({ name, errors: r.errors ?? null });
    }
    expect(statuses).toEqual(order.map((name) => ({ name, errors: null })));
    const [{ status }] = await t.sql(`SELECT status FROM cycle WHERE year = 2024 AND unit_kind = 'DISTRICT'`);
    expect(status).toBe('OPEN');
  });
});

describe('unknown and malformed tokens', () => {
  test.each([
    ['an unknown token', `Bearer par_a_${'x'.repeat(43)}`],
    ['an unknown kiosk-looking token', `Bearer par_k_${'y'.repeat(43)}`],
    ['a random word', 'Bearer hello'],
    ['another scheme', `Basic ${Buffer.from('admin:admin').toString('base64')}`],
    ['a bare token without scheme', ADMIN_TOKEN],
    ['"Bearer" alone', 'Bearer'],
    ['two words after Bearer', `Bearer ${ADMIN_TOKEN} extra`],
  ])('%s is UNAUTHENTICATED, on a query as on a mutation; never downgraded to anonymous', async (_label, header) => {
    for (const query of [`{ units { totalCount } }`, `mutation { createUnit(input: {code: "S.BAD", name: "Sở", kind: DEPARTMENT}) { code } }`]) {
      const res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: header },
        body: JSON.stringify({ query }),
      });
      const body = (await res.json()) as GqlResult;
      expect(res.status).toBe(401);
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    const [{ n }] = await t.sql(`SELECT count(*)::int AS n FROM unit WHERE code = 'S.BAD'`);
    expect(n).toBe(0);
  });

  test('a revoked token is UNAUTHENTICATED', async () => {
    const token = await issue('ANALYST', 'sẽ bị thu hồi');
    expect((await t.gql(`{ units { totalCount } }`, {}, token)).errors).toBeUndefined();
    await t.sql(`UPDATE api_token SET revoked_at = now() WHERE token_hash = $1`, [createHash('sha256').update(token).digest('hex')]);
    expectCode(await t.gql(`{ units { totalCount } }`, {}, token), 'UNAUTHENTICATED');
  });

  test('the scheme name is case-insensitive', async () => {
    const r = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query: `mutation { issueToken(input: {role: ANALYST, name: "chữ thường"}) }` }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as GqlResult;
    expect(body.errors).toBeUndefined();
  });
});

describe('issueToken', () => {
  test('returns a token that works with its role, stored only as its SHA-256 hash', async () => {
    const admin = await issue('ADMIN', 'Quản trị viên thứ hai');
    const analyst = await issue('ANALYST', 'Phân tích viên');
    expect(admin).not.toBe(analyst);
    expect(admin.length).toBeGreaterThanOrEqual(32);

    // The new admin token may do admin work, including issuing tokens.
    const created = await t.ok(`mutation { createUnit(input: {code: "S.NOIVU", name: "Sở Nội vụ", kind: DEPARTMENT}) { code } }`, {}, admin);
    expect(created.createUnit.code).toBe('S.NOIVU');
    const third = await t.ok(`mutation { issueToken(input: {role: APPRAISER, name: "Thẩm định viên"}) }`, {}, admin);
    expect(typeof third.issueToken).toBe('string');
    // The analyst's is recognised (FORBIDDEN, not UNAUTHENTICATED) and reads.
    expectCode(await t.gql(ADMIN_MUTATIONS.createUnit.query, {}, analyst), 'FORBIDDEN');

    const rows = await t.sql<{ role: string; name: string; token_hash: string }>(`SELECT role, name, token_hash FROM api_token`);
    const everything = JSON.stringify(await t.sql(`SELECT * FROM api_token`));
    for (const token of [admin, analyst, third.issueToken, ADMIN_TOKEN]) {
      expect(everything).not.toContain(token);
      const hash = createHash('sha256').update(token).digest('hex');
      expect(rows.filter((r) => r.token_hash === hash)).toHaveLength(1);
    }
    expect(rows.find((r) => r.token_hash === createHash('sha256').update(admin).digest('hex'))).toMatchObject({ role: 'ADMIN', name: 'Quản trị viên thứ hai' });
    expect(rows.find((r) => r.token_hash === createHash('sha256').update(analyst).digest('hex'))).toMatchObject({ role: 'ANALYST' });
    for (const r of rows) expect(r.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('each call returns a new token', async () => {
    const a = await issue('ANALYST', 'cùng tên');
    const b = await issue('ANALYST', 'cùng tên');
    expect(a).not.toBe(b);
  });

  test('refuses the KIOSK role (kiosks are registered) on input.role, and an empty name on input.name', async () => {
    const before = await stored();
    const k = await t.gql(`mutation { issueToken(input: {role: KIOSK, name: "Quầy"}) }`);
    expectCode(k, 'BAD_USER_INPUT');
    expect(k.errors![0].extensions?.field).toBe('input.role');
    const e = await t.gql(`mutation { issueToken(input: {role: ANALYST, name: "  "}) }`);
    expectCode(e, 'BAD_USER_INPUT');
    expect(e.errors![0].extensions?.field).toBe('input.name');
    expect(await stored()).toEqual(before);
  });

  test('stores the name in NFC', async () => {
    const token = await issue('ANALYST', 'Nguyễn Văn Điền'.normalize('NFD'));
    const [{ name }] = await t.sql(`SELECT name FROM api_token WHERE token_hash = $1`, [createHash('sha256').update(token).digest('hex')]);
    expect(name).toBe('Nguyễn Văn Điền'.normalize('NFC'));
  });
});
