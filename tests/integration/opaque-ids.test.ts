import { startTestService, type TestService } from '../support/test-service';
import { buildProvince } from './results-fixture';

/*
 * Issue 11, item 5: IDs are opaque (Unit.id, Kiosk.id, satisfaction's
 * KIOSK keys), a client's long code is not echoed back whole, and names
 * that show nothing or display as another text are refused.
 */

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
  await buildProvince(t);
});
afterAll(async () => { await t?.stop(); });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function publicIds(table: 'unit' | 'kiosk'): Promise<Map<string, { id: number; publicId: string }>> {
  const rows = await t.sql(`SELECT id, public_id::text AS "publicId", ${table === 'unit' ? 'code' : 'id::text'} AS name FROM ${table}`);
  return new Map(rows.map((r: { name: string; id: number; publicId: string }) => [r.name, r]));
}

describe('opaque IDs', () => {
  test('Unit.id is the unit\'s random public id, the same from every query and on both ranking paths; never its key', async () => {
    const units = await publicIds('unit');
    const listed = await t.ok('{ units(kind: DEPARTMENT) { edges { node { id code } } } }', {}, null);
    for (const { node } of listed.units.edges) {
      expect(node.id).toMatch(UUID);
      expect(node.id).toBe(units.get(node.code)!.publicId);
      expect(node.id).not.toBe(String(units.get(node.code)!.id));
    }
    const one = await t.ok('{ unit(code: "STP") { id result(year: 2022) { rank unit { id } } } }', {}, null);
    expect(one.unit).toEqual({ id: units.get('STP')!.publicId, result: { rank: 1, unit: { id: units.get('STP')!.publicId } } });

    // Rendered by PostgreSQL (only fields the page statement writes) and resolved in Node (a parent is asked for).
    const rendered = await t.ok('{ rankings(year: 2022, unitKind: DEPARTMENT) { edges { node { unit { id code } } } } }', {}, null);
    const resolved = await t.ok('{ rankings(year: 2022, unitKind: DEPARTMENT) { edges { node { unit { id code parent { code } } } } } }', {}, null);
    expect(rendered.rankings.edges).toHaveLength(5);
    for (const page of [rendered, resolved]) {
      for (const { node } of page.rankings.edges) expect(node.unit.id).toBe(units.get(node.unit.code)!.publicId);
    }
    const created = await t.ok('mutation { createUnit(input: {code: "SKHCN", name: "Sở Khoa học và Công nghệ", kind: DEPARTMENT}) { id } }');
    expect(created.createUnit.id).toBe((await publicIds('unit')).get('SKHCN')!.publicId);
  });

  test('Kiosk.id is a random public id; revokeKiosk takes it and refuses a sequential number', async () => {
    const reg = await t.ok('mutation { registerKiosk(input: {unitCode: "STP", label: "Quầy 1"}) { kiosk { id } } }');
    const id: string = reg.registerKiosk.kiosk.id;
    expect(id).toMatch(UUID);
    const [row] = await t.sql('SELECT id, active FROM kiosk WHERE public_id = $1', [id]);
    expect(row.active).toBe(true);
    const listed = await t.ok('{ kiosks(unitCode: "STP") { id } }');
    expect(listed.kiosks.map((k: { id: string }) => k.id)).toContain(id);
    for (const k of listed.kiosks) expect(k.id).toMatch(UUID);

    const byKey = await t.gql('mutation($id: ID!) { revokeKiosk(id: $id) { id } }', { id: String(row.id) });
    expect(byKey.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect((await t.sql('SELECT active FROM kiosk WHERE id = $1', [row.id]))[0].active).toBe(true);
    const revoked = await t.ok('mutation($id: ID!) { revokeKiosk(id: $id) { id active } }', { id: id.toUpperCase() });
    expect(revoked.revokeKiosk).toEqual({ id, active: false });
  });

  test('satisfaction(groupBy: KIOSK) keys are the kiosks\' public ids, in registration order', async () => {
    const stats = await t.ok('{ satisfaction(year: 2023, unitKind: DEPARTMENT, groupBy: KIOSK) { key responses } }');
    const expected = await t.sql(`SELECT k.public_id::text AS key, count(*)::int AS responses FROM kiosk k JOIN survey_response r ON r.kiosk_id = k.id
      WHERE r.year = 2023 AND NOT r.late GROUP BY k.id ORDER BY k.id`);
    expect(expected.length).toBe(4);
    expect(stats.satisfaction).toEqual(expected);
    for (const s of stats.satisfaction) expect(s.key).toMatch(UUID);
  });
});

describe('what a message echoes of a client\'s value', () => {
  const long = 'B'.repeat(10_000);
  test.each([
    ['rankings bandCode', 'query($c: String) { rankings(year: 2022, unitKind: DEPARTMENT, bandCode: $c) { totalCount } }', 'bandCode'],
    ['rankings domainCode', 'query($c: String) { rankings(year: 2022, unitKind: DEPARTMENT, domainCode: $c) { totalCount } }', 'domainCode'],
    ['rankings parentCode', 'query($c: String) { rankings(year: 2022, unitKind: DEPARTMENT, parentCode: $c) { totalCount } }', 'parentCode'],
    ['units parentCode', 'query($c: String) { units(parentCode: $c) { totalCount } }', 'parentCode'],
    ['satisfaction unitCode', 'query($c: String) { satisfaction(year: 2022, unitCode: $c) { key } }', 'unitCode'],
    ['createUnit code', 'mutation($c: String!) { createUnit(input: {code: $c, name: "X", kind: DEPARTMENT}) { id } }', 'input.code'],
    ['createUnit parentCode', 'mutation($c: String!) { createUnit(input: {code: "XA", name: "X", kind: COMMUNE, parentCode: $c}) { id } }', 'input.parentCode'],
    ['registerKiosk unitCode', 'mutation($c: String!) { registerKiosk(input: {unitCode: $c, label: "X"}) { token } }', 'input.unitCode'],
    ['revokeKiosk id', 'mutation($c: ID!) { revokeKiosk(id: $c) { id } }', 'id'],
  ])('%s: at most 64 characters of it', async (_name, query, field) => {
    const res = await t.gql(query, { c: long });
    const error = res.errors?.[0];
    expect(error?.extensions?.field).toBe(field);
    expect(error?.message).toContain(`"${'B'.repeat(64)}…"`);
    expect(error?.message).not.toContain('B'.repeat(65));
    expect(error!.message.length).toBeLessThan(300);
  });

  test.each([
    ['a variable that does not coerce', 'query($y: Int!) { rankings(year: $y, unitKind: DEPARTMENT) { totalCount } }', { y: long }],
    ['an enum variable', 'query($k: UnitKind!) { rankings(year: 2022, unitKind: $k) { totalCount } }', { k: long }],
    ['an unknown field', `{ unit(code: "STP") { ${long} } }`, {}],
  ])('graphql-js\'s own message on %s: at most 64 characters of the value', async (_name, query, variables) => {
    const res = await t.gql(query, variables);
    const error = res.errors?.[0];
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error?.message).toContain(`"${'B'.repeat(64)}…"`);
    expect(error!.message.length).toBeLessThan(300);
  });
});

describe('names that show nothing or display as another text', () => {
  const CREATE = 'mutation($input: CreateUnitInput!) { createUnit(input: $input) { code name } }';
  test.each([
    ['zero-width and format characters only', '\u200B\u200C\u200D\u2060\uFEFF\u00AD', 'no visible character'],
    ['a right-to-left override', 'Sở Tư \u202Ephap', 'bidirectional'],
    ['an isolate', 'Sở \u2066Tư pháp\u2069', 'bidirectional'],
    ['a right-to-left mark', 'Sở Tư pháp\u200F', 'bidirectional'],
    ['a Hangul filler', '\u3164', 'no visible character'],
  ])('a unit name of %s is BAD_USER_INPUT on input.name, saying what is allowed', async (_what, name, problem) => {
    const res = await t.gql(CREATE, { input: { code: 'U.INVISIBLE', name, kind: 'DEPARTMENT' } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect(res.errors?.[0].message).toContain(problem);
    expect(res.errors?.[0].message).toContain('at least one visible character');
    expect(await t.sql(`SELECT count(*)::int AS n FROM unit WHERE code = 'U.INVISIBLE'`)).toEqual([{ n: 0 }]);
  });

  test('a Vietnamese name with spaces, digits and punctuation is accepted', async () => {
    const ok = await t.ok(CREATE, { input: { code: 'U.VISIBLE', name: 'Phường 2 – Khu vực “Đông Ba”', kind: 'DISTRICT' } });
    expect(ok.createUnit).toEqual({ code: 'U.VISIBLE', name: 'Phường 2 – Khu vực “Đông Ba”' });
  });

  test('the same rule holds for kiosk labels, domain and criterion names, band labels', async () => {
    const kiosk = await t.gql('mutation($l: String!) { registerKiosk(input: {unitCode: "STP", label: $l}) { token } }', { l: '\u200B \u200B' });
    expect(kiosk.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.label' });

    const define = 'mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }';
    const framework = (domainName: string, criterionName: string, bandLabel: string) => ({
      year: 2025, unitKind: 'DEPARTMENT',
      domains: [{ code: 'D1', name: domainName, criteria: [{ code: 'C1', name: criterionName, maxPoints: 10, source: 'EXPERT' }] }],
      bands: [{ code: 'A', label: bandLabel, minScore: 0 }],
    });
    const cases: [Record<string, unknown>, string][] = [
      [framework('\u2060', 'Kế hoạch', 'Tốt'), 'input.domains[0].name'],
      [framework('Chỉ đạo', 'Kế \u202Ehoạch', 'Tốt'), 'input.domains[0].criteria[0].name'],
      [framework('Chỉ đạo', 'Kế hoạch', '\u2067Tốt\u2069'), 'input.bands[0].label'],
    ];
    for (const [input, field] of cases) {
      const res = await t.gql(define, { input });
      expect({ field, extensions: res.errors?.[0].extensions }).toMatchObject({ field, extensions: { code: 'BAD_USER_INPUT', field } });
    }
    expect(await t.ok(define, { input: framework('Chỉ đạo', 'Kế hoạch', 'Tốt') })).toEqual({ defineCycle: { year: 2025 } });
  });
});
