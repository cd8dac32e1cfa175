import { startTestService, type GqlResult, type TestService } from '../support/test-service';

/**
 * Units over HTTP: createUnit's validation (code format and uniqueness, a
 * commune under a district, NFC), diacritics-insensitive search, Vietnamese
 * order and cursor pagination of `units`.
 */

let t: TestService;
beforeAll(async () => { t = await startTestService(); });
afterAll(async () => { await t?.stop(); });

const CREATE = `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id code name kind parent { code } } }`;
const UNITS = `query($kind: UnitKind, $parentCode: String, $search: String, $first: Int, $after: String) {
  units(kind: $kind, parentCode: $parentCode, search: $search, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { code name kind } }
  }
}`;

function create(input: Record<string, unknown>) {
  return t.gql(CREATE, { input });
}

function expectRefused(r: GqlResult, code: string, field?: string) {
  expect(r.data?.createUnit ?? null).toBeNull();
  expect(r.errors).toHaveLength(1);
  expect(r.errors![0].extensions?.code).toBe(code);
  if (field !== undefined) expect(r.errors![0].extensions?.field).toBe(field);
}

async function unitCount(): Promise<number> {
  const [{ n }] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM unit');
  return n;
}

describe('createUnit validation', () => {
  beforeAll(async () => {
    await t.ok(CREATE, { input: { code: 'H.PHONGDIEN', name: 'UBND huyện Phong Điền', kind: 'DISTRICT' } });
    await t.ok(CREATE, { input: { code: 'S.TUPHAP', name: 'Sở Tư pháp', kind: 'DEPARTMENT' } });
  });

  test.each([
    ['lower case', 'stp'],
    ['empty', ''],
    ['a space', 'S TP'],
    ['a Vietnamese letter', 'SỞ_TP'],
    ['65 characters', 'A'.repeat(65)],
    ['a slash', 'S/TP'],
  ])('refuses a code with %s: BAD_USER_INPUT on input.code, nothing stored', async (_label, code) => {
    const before = await unitCount();
    expectRefused(await create({ code, name: 'Sở Thử', kind: 'DEPARTMENT' }), 'BAD_USER_INPUT', 'input.code');
    expect(await unitCount()).toBe(before);
  });

  test('accepts a code of 64 characters among A-Z 0-9 _ . -', async () => {
    const code = `A-1_B.${'Z'.repeat(58)}`;
    expect(code).toHaveLength(64);
    const d = await t.ok(CREATE, { input: { code, name: 'Đơn vị có mã dài', kind: 'DEPARTMENT' } });
    expect(d.createUnit.code).toBe(code);
  });

  test('refuses a code already used, whatever the kind: BAD_USER_INPUT on input.code, nothing stored', async () => {
    const before = await unitCount();
    const r = await create({ code: 'S.TUPHAP', name: 'Sở Tư pháp (bản sao)', kind: 'DISTRICT' });
    expectRefused(r, 'BAD_USER_INPUT', 'input.code');
    expect(r.errors![0].message).toMatch(/S\.TUPHAP/);
    expect(await unitCount()).toBe(before);
    const [{ name }] = await t.sql('SELECT name FROM unit WHERE code = $1', ['S.TUPHAP']);
    expect(name).toBe('Sở Tư pháp');
  });

  test('refuses an empty or blank name on input.name', async () => {
    const before = await unitCount();
    expectRefused(await create({ code: 'S.EMPTY', name: '   ', kind: 'DEPARTMENT' }), 'BAD_USER_INPUT', 'input.name');
    expect(await unitCount()).toBe(before);
  });

  test('refuses a name over 200 characters or with control characters on input.name', async () => {
    const before = await unitCount();
    expectRefused(await create({ code: 'S.LONG', name: 'Sở '.padEnd(201, 'x'), kind: 'DEPARTMENT' }), 'BAD_USER_INPUT', 'input.name');
    expectRefused(await create({ code: 'S.CTRL', name: 'Sở\u0007Chuông', kind: 'DEPARTMENT' }), 'BAD_USER_INPUT', 'input.name');
    expect(await unitCount()).toBe(before);
  });

  test('refuses a commune without a parent on input.parentCode', async () => {
    const before = await unitCount();
    expectRefused(await create({ code: 'X.PHONGAN', name: 'UBND xã Phong An', kind: 'COMMUNE' }), 'BAD_USER_INPUT', 'input.parentCode');
    expect(await unitCount()).toBe(before);
  });

  test("refuses a commune whose parent is a department: a commune's parent must be a district", async () => {
    const before = await unitCount();
    const r = await create({ code: 'X.PHONGAN', name: 'UBND xã Phong An', kind: 'COMMUNE', parentCode: 'S.TUPHAP' });
    expectRefused(r, 'BAD_USER_INPUT', 'input.parentCode');
    expect(r.errors![0].message).toMatch(/DISTRICT/);
    expect(await unitCount()).toBe(before);
  });

  test('refuses a commune whose parent is another commune', async () => {
    await t.ok(CREATE, { input: { code: 'X.PHONGHIEN', name: 'UBND xã Phong Hiền', kind: 'COMMUNE', parentCode: 'H.PHONGDIEN' } });
    const before = await unitCount();
    const r = await create({ code: 'X.CON', name: 'Xã con', kind: 'COMMUNE', parentCode: 'X.PHONGHIEN' });
    expectRefused(r, 'BAD_USER_INPUT', 'input.parentCode');
    expect(await unitCount()).toBe(before);
  });

  test('refuses a commune whose parent does not exist', async () => {
    const before = await unitCount();
    expectRefused(await create({ code: 'X.PHONGAN', name: 'UBND xã Phong An', kind: 'COMMUNE', parentCode: 'H.KHONGCO' }), 'BAD_USER_INPUT', 'input.parentCode');
    expect(await unitCount()).toBe(before);
  });

  test('refuses a parent on a department or a district', async () => {
    const before = await unitCount();
    expectRefused(await create({ code: 'S.NOIVU', name: 'Sở Nội vụ', kind: 'DEPARTMENT', parentCode: 'H.PHONGDIEN' }), 'BAD_USER_INPUT', 'input.parentCode');
    expectRefused(await create({ code: 'H.QUANGDIEN', name: 'UBND huyện Quảng Điền', kind: 'DISTRICT', parentCode: 'H.PHONGDIEN' }), 'BAD_USER_INPUT', 'input.parentCode');
    expect(await unitCount()).toBe(before);
  });

  test('refuses an unknown kind as BAD_USER_INPUT', async () => {
    const r = await create({ code: 'S.X', name: 'Sở X', kind: 'PROVINCE' });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('creates a commune under its district; parent and children read back', async () => {
    const d = await t.ok(CREATE, { input: { code: 'TT.PHONGDIEN', name: 'UBND thị trấn Phong Điền', kind: 'COMMUNE', parentCode: 'H.PHONGDIEN' } });
    expect(d.createUnit).toMatchObject({ code: 'TT.PHONGDIEN', kind: 'COMMUNE', parent: { code: 'H.PHONGDIEN' } });
    const r = await t.ok(`{ unit(code: "H.PHONGDIEN") { code kind parent { code } children { code name } } }`, {}, null);
    expect(r.unit.parent).toBeNull();
    // Vietnamese order: "UBND thị trấn …" before "UBND xã …".
    expect(r.unit.children.map((c: { code: string }) => c.code)).toEqual(['TT.PHONGDIEN', 'X.PHONGHIEN']);
    const communes = await t.ok(UNITS, { parentCode: 'H.PHONGDIEN' }, null);
    expect(communes.units.totalCount).toBe(2);
  });

  test('unit(code) answers null for an unknown code', async () => {
    const r = await t.ok(`{ unit(code: "KHONG.CO") { code } }`, {}, null);
    expect(r.unit).toBeNull();
  });

  test('stores a name sent in NFD form as NFC, and finds it by its NFC and NFD spellings', async () => {
    const nfd = 'Sở Khoa học và Công nghệ'.normalize('NFD');
    expect(nfd).not.toBe(nfd.normalize('NFC'));
    const d = await t.ok(CREATE, { input: { code: 'S.KHCN', name: `  ${nfd} `, kind: 'DEPARTMENT' } });
    expect(d.createUnit.name).toBe('Sở Khoa học và Công nghệ'.normalize('NFC'));
    const [{ name }] = await t.sql('SELECT name FROM unit WHERE code = $1', ['S.KHCN']);
    expect(name).toBe(name.normalize('NFC'));
    expect(name).toBe('Sở Khoa học và Công nghệ'.normalize('NFC'));
    for (const search of ['Khoa học'.normalize('NFD'), 'Khoa học'.normalize('NFC')]) {
      const r = await t.ok(UNITS, { search }, null);
      expect(r.units.edges.map((e: { node: { code: string } }) => e.node.code)).toEqual(['S.KHCN']);
    }
  });
});

describe('search without diacritics', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startTestService();
    const units: [string, string, string, string?][] = [
      ['H.PHONGDIEN', 'UBND huyện Phong Điền', 'DISTRICT'],
      ['H.QUANGDIEN', 'UBND huyện Quảng Điền', 'DISTRICT'],
      ['H.ALUOI', 'UBND huyện A Lưới', 'DISTRICT'],
      ['T.DAKLAK', 'UBND tỉnh Đắk Lắk', 'DEPARTMENT'],
      ['S.TUPHAP', 'Sở Tư pháp', 'DEPARTMENT'],
      ['S.DULICH', 'Sở Du lịch', 'DEPARTMENT'],
      ['X.PHONGAN', 'UBND xã Phong An', 'COMMUNE', 'H.PHONGDIEN'],
      ['X.PHONGHIEN', 'UBND xã Phong Hiền', 'COMMUNE', 'H.PHONGDIEN'],
      ['S.50PCT', 'Sở 50% thử_nghiệm', 'DEPARTMENT'],
    ];
    for (const [code, name, kind, parentCode] of units) {
      await s.ok(CREATE, { input: { code, name, kind, parentCode } });
    }
  });
  afterAll(async () => { await s?.stop(); });

  async function found(search: string, extra: Record<string, unknown> = {}): Promise<string[]> {
    const r = await s.ok(UNITS, { search, first: 100, ...extra }, null);
    expect(r.units.totalCount).toBe(r.units.edges.length);
    return r.units.edges.map((e: { node: { code: string } }) => e.node.code).sort();
  }

  test('"phong dien" finds "Phong Điền"', async () => {
    expect(await found('phong dien')).toEqual(['H.PHONGDIEN']);
  });

  test('case and diacritics of the query do not matter', async () => {
    expect(await found('PHONG ĐIỀN')).toEqual(['H.PHONGDIEN']);
    expect(await found('Phong Điền')).toEqual(['H.PHONGDIEN']);
    expect(await found('phOng   diEn')).toEqual(['H.PHONGDIEN']);
  });

  test('"Đ" is matched by "d" and by "D"', async () => {
    expect(await found('dien')).toEqual(['H.PHONGDIEN', 'H.QUANGDIEN']);
    expect(await found('DIEN')).toEqual(['H.PHONGDIEN', 'H.QUANGDIEN']);
    expect(await found('Điền')).toEqual(['H.PHONGDIEN', 'H.QUANGDIEN']);
  });

  test('"dak lak" finds "Đắk Lắk"', async () => {
    expect(await found('dak lak')).toEqual(['T.DAKLAK']);
    expect(await found('Dak Lak')).toEqual(['T.DAKLAK']);
  });

  test('words match in any order and as parts of words', async () => {
    expect(await found('dien phong')).toEqual(['H.PHONGDIEN']);
    expect(await found('luoi')).toEqual(['H.ALUOI']);
    expect(await found('phong')).toEqual(['H.PHONGDIEN', 'X.PHONGAN', 'X.PHONGHIEN']);
  });

  test('combines with the kind and parent filters', async () => {
    expect(await found('phong', { kind: 'COMMUNE' })).toEqual(['X.PHONGAN', 'X.PHONGHIEN']);
    expect(await found('hien', { parentCode: 'H.PHONGDIEN' })).toEqual(['X.PHONGHIEN']);
  });

  test('finds a unit by its code', async () => {
    expect(await found('s.tuphap')).toEqual(['S.TUPHAP']);
  });

  test('treats % and _ literally', async () => {
    expect(await found('50%')).toEqual(['S.50PCT']);
    expect(await found('%')).toEqual(['S.50PCT']);
    expect(await found('thu_nghiem')).toEqual(['S.50PCT']);
  });

  test('finds nothing for an unrelated word', async () => {
    expect(await found('hà nội')).toEqual([]);
  });
});

describe('Vietnamese order', () => {
  let s: TestService;
  // In the order Vietnamese readers expect: A < Ă < Â < B < D < Đ < E; tones only break ties (Ma < Mà < Mả < Má < Mb).
  const expected = ['A Lưới', 'Az', 'Ăa', 'Ăn Khê', 'Âu Cơ', 'Bình Điền', 'Dương Hòa', 'Đông Hà', 'Ea Kar', 'Ma', 'Mà', 'Mả', 'Má', 'Mb'];
  beforeAll(async () => {
    s = await startTestService();
    // Created in a scrambled order so that no insertion order can pass for a sort.
    const scrambled = [...expected].map((name, i) => ({ name, i })).sort((a, b) => ((a.i * 7) % 13) - ((b.i * 7) % 13));
    for (const { name, i } of scrambled) {
      await s.ok(CREATE, { input: { code: `U${String(100 - i).padStart(3, '0')}`, name, kind: 'DEPARTMENT' } });
    }
  });
  afterAll(async () => { await s?.stop(); });

  test('lists units A, Ă, Â, B, D, Đ, E with tones secondary', async () => {
    const r = await s.ok(UNITS, { first: 100 }, null);
    expect(r.units.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(expected);
  });

  test('keeps that order across pages', async () => {
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await s.ok(UNITS, { first: 3, after }, null);
      names.push(...r.units.edges.map((e: { node: { name: string } }) => e.node.name));
      if (!r.units.pageInfo.hasNextPage) break;
      after = r.units.pageInfo.endCursor;
    }
    expect(names).toEqual(expected);
  });

  test('orders units of the same name by code', async () => {
    // A name is unique among the units of a kind under one parent each year (units over time): the namesakes are of other kinds.
    await s.ok(CREATE, { input: { code: 'Z.SAME', name: 'Đông Hà', kind: 'DISTRICT' } });
    await s.ok(CREATE, { input: { code: 'A.SAME', name: 'Đông Hà', kind: 'COMMUNE', parentCode: 'Z.SAME' } });
    const r = await s.ok(UNITS, { search: 'dong ha', first: 100 }, null);
    expect(r.units.edges.map((e: { node: { code: string } }) => e.node.code)).toEqual(['A.SAME', expect.stringMatching(/^U/), 'Z.SAME']);
    // The same order, one per page.
    const codes: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const p: any = await s.ok(UNITS, { search: 'dong ha', first: 1, after }, null);
      codes.push(...p.units.edges.map((e: { node: { code: string } }) => e.node.code));
      if (!p.units.pageInfo.hasNextPage) break;
      after = p.units.pageInfo.endCursor;
    }
    expect(codes).toEqual(r.units.edges.map((e: { node: { code: string } }) => e.node.code));
  });
});

describe('cursor pagination', () => {
  let s: TestService;
  const departments = 23;
  beforeAll(async () => {
    s = await startTestService();
    for (let i = 0; i < departments; i++) {
      await s.ok(CREATE, { input: { code: `S${String(i).padStart(2, '0')}`, name: `Sở số ${(i * 11) % departments}`, kind: 'DEPARTMENT' } });
    }
    for (let i = 0; i < 4; i++) {
      await s.ok(CREATE, { input: { code: `H${i}`, name: `UBND huyện ${i}`, kind: 'DISTRICT' } });
    }
  });
  afterAll(async () => { await s?.stop(); });

  test('first/after walks every department once, in order, with no gaps', async () => {
    const all = (await s.ok(UNITS, { kind: 'DEPARTMENT', first: 100 }, null)).units;
    expect(all.totalCount).toBe(departments);
    expect(all.edges).toHaveLength(departments);
    expect(all.pageInfo.hasNextPage).toBe(false);
    const reference = all.edges.map((e: { node: { code: string } }) => e.node.code);

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r: any = await s.ok(UNITS, { kind: 'DEPARTMENT', first: 5, after }, null);
      const page = r.units;
      pages++;
      expect(page.totalCount).toBe(departments);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(page.edges.length).toBe(page.pageInfo.hasNextPage ? 5 : departments % 5);
      expect(page.pageInfo.startCursor).toBe(page.edges[0].cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1].cursor);
      seen.push(...page.edges.map((e: { node: { code: string; kind: string } }) => {
        expect(e.node.kind).toBe('DEPARTMENT');
        return e.node.code;
      }));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(Math.ceil(departments / 5));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(reference);
  });

  test('an edge cursor resumes right after that edge', async () => {
    const all = (await s.ok(UNITS, { first: 100 }, null)).units.edges;
    const r = await s.ok(UNITS, { first: 3, after: all[9].cursor }, null);
    expect(r.units.edges.map((e: { node: { code: string } }) => e.node.code)).toEqual(all.slice(10, 13).map((e: { node: { code: string } }) => e.node.code));
  });

  test('an exact last page has hasNextPage false, and after the last edge the page is empty', async () => {
    const r = await s.ok(UNITS, { kind: 'DISTRICT', first: 4 }, null);
    expect(r.units.edges).toHaveLength(4);
    expect(r.units.pageInfo.hasNextPage).toBe(false);
    const rest = await s.ok(UNITS, { kind: 'DISTRICT', first: 4, after: r.units.pageInfo.endCursor }, null);
    expect(rest.units.edges).toEqual([]);
    expect(rest.units.totalCount).toBe(4);
    expect(rest.units.pageInfo).toMatchObject({ hasNextPage: false, startCursor: null, endCursor: null });
  });

  test('first defaults to 20 and may be 100', async () => {
    const r = await s.ok(UNITS, {}, null);
    expect(r.units.edges).toHaveLength(20);
    expect(r.units.totalCount).toBe(departments + 4);
    expect(r.units.pageInfo.hasNextPage).toBe(true);
    const max = await s.ok(UNITS, { first: 100 }, null);
    expect(max.units.edges).toHaveLength(departments + 4);
  });

  test.each([0, 101, -1])('refuses first = %d: BAD_USER_INPUT on "first"', async (first) => {
    const r = await s.gql(UNITS, { first }, null);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].extensions?.field).toBe('first');
  });

  test.each([
    ['garbage', 'not-a-cursor!!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['a JSON object', Buffer.from('{"a":1}').toString('base64url')],
    ['a key of the wrong length', Buffer.from('["a"]').toString('base64url')],
    ['an empty string', ''],
  ])('refuses an after cursor that is %s: BAD_USER_INPUT on "after"', async (_label, after) => {
    const r = await s.gql(UNITS, { first: 5, after }, null);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].extensions?.field).toBe('after');
  });

  test('refuses an unknown parentCode with NOT_FOUND naming parentCode', async () => {
    const r = await s.gql(UNITS, { parentCode: 'KHONG.CO' }, null);
    expect(r.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(r.errors?.[0].extensions?.field).toBe('parentCode');
  });
});
