import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';

/**
 * People (issue 14, API.md "People"): UNIT tokens bound to a unit,
 * APPRAISER tokens that are one panelist, the token list without secrets,
 * revocation on the next request of every instance, lastUsedAt.
 *
 * Departments STP "Sở Tư pháp" and SYT "Sở Y tế"; framework 2024
 * DEPARTMENT (open, never published): D1 with EXPERT leaves C1 and C2, max
 * 10 each (index = 5 × earned points). P1 appraises STP C1 8, C2 6 → 70;
 * SYT C1 9, C2 9 → 90. Both results are provisional (the year is open).
 */
let t: TestService;
let stpOfficer: string;
let sytOfficer: string;
let p1: string;

const ISSUE = `mutation($input: IssueTokenInput!) { issueToken(input: $input) }`;
const TOKENS = `query($role: Role) { tokens(role: $role) { id role name unit { code } createdAt lastUsedAt revokedAt } }`;
const SUBMIT = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score published } }`;
const RESULT = `query($code: String!) { unit(code: $code) { code result(year: 2024) { score published } results { year score } history { year score } } }`;
const RANKING = `{ rankings(year: 2024, unitKind: DEPARTMENT) { totalCount edges { node { unit { code } score } } } }`;

const issue = async (role: string, name: string, unitCode?: string) =>
  (await t.ok(ISSUE, { input: { role, name, ...(unitCode ? { unitCode } : {}) } })).issueToken as string;
const scores = (unitCode: string, round: string, points: Record<string, number>, panelist?: string) => ({
  input: { year: 2024, unitCode, round, ...(panelist ? { panelist } : {}), scores: Object.entries(points).map(([criterionCode, p]) => ({ criterionCode, points: p })) },
});
const stored = () => t.sql<{ unit: string; criterion: string; round: string; panelist: string; points: string }>(
  `SELECT u.code AS unit, c.code AS criterion, s.round::text AS round, s.panelist, s.points::text AS points
     FROM expert_score s JOIN criterion c ON c.id = s.criterion_id JOIN unit u ON u.id = s.unit_id ORDER BY 1, 2, 3, 4`);
const tokenCount = async () => (await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM api_token'))[0].n;
/** Reads until `check` holds (background writes land a moment after the request that caused them). */
async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000 });
  for (const [code, name] of [['STP', 'Sở Tư pháp'], ['SYT', 'Sở Y tế']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: {
    year: 2024, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
      { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
      { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' },
    ] }],
  } });
  await t.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
  stpOfficer = await issue('UNIT', 'Cán bộ Sở Tư pháp', 'STP');
  sytOfficer = await issue('UNIT', 'Cán bộ Sở Y tế', 'SYT');
  p1 = await issue('APPRAISER', 'P1');
  await t.ok(SUBMIT, scores('STP', 'APPRAISAL', { C1: 8, C2: 6 }), p1);
  await t.ok(SUBMIT, scores('SYT', 'APPRAISAL', { C1: 9, C2: 9 }), p1);
}, 60000);
afterAll(async () => { await t?.stop(); });

describe('issuing', () => {
  test('a UNIT token needs unitCode, other roles refuse one, an unknown unit is NOT_FOUND; nothing is stored', async () => {
    const before = await tokenCount();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ role: 'UNIT', name: 'Cán bộ' }, 'BAD_USER_INPUT', /unitCode is required for a UNIT token/],
      [{ role: 'UNIT', name: 'Cán bộ', unitCode: '  ' }, 'BAD_USER_INPUT', /unitCode is required/],
      [{ role: 'APPRAISER', name: 'P9', unitCode: 'STP' }, 'BAD_USER_INPUT', /only for UNIT tokens/],
      [{ role: 'ADMIN', name: 'A2', unitCode: 'STP' }, 'BAD_USER_INPUT', /only for UNIT tokens/],
      [{ role: 'UNIT', name: 'Cán bộ', unitCode: 'NOPE' }, 'NOT_FOUND', /no unit has the code "NOPE"/],
    ];
    for (const [input, code, message] of cases) {
      const r = await t.gql(ISSUE, { input });
      expect(r.errors?.[0].extensions).toMatchObject({ code, field: 'input.unitCode' });
      expect(r.errors?.[0].message).toMatch(message);
    }
    expect(await tokenCount()).toBe(before);
  });

  test('only ADMIN issues tokens', async () => {
    for (const token of [stpOfficer, p1]) {
      const r = await t.gql(ISSUE, { input: { role: 'UNIT', name: 'x', unitCode: 'STP' } }, token);
      expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    expect((await t.gql(ISSUE, { input: { role: 'ADMIN', name: 'x' } }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('tokens', () => {
  test('lists every token with its role, name and unit, never a secret or its hash', async () => {
    const res = await fetch(t.url, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query: TOKENS }),
    });
    const text = await res.text();
    const hashes = (await t.sql<{ h: string }>('SELECT token_hash AS h FROM api_token')).map((r) => r.h);
    for (const secret of [stpOfficer, sytOfficer, p1, ADMIN_TOKEN, ...hashes]) expect(text).not.toContain(secret);
    const list = JSON.parse(text).data.tokens as { id: string; role: string; name: string; unit: { code: string } | null; createdAt: string }[];
    expect(list.map((x) => [x.role, x.name, x.unit?.code ?? null])).toEqual([
      ['ADMIN', 'admin', null], ['UNIT', 'Cán bộ Sở Tư pháp', 'STP'], ['UNIT', 'Cán bộ Sở Y tế', 'SYT'], ['APPRAISER', 'P1', null],
    ]);
    // Opaque ids: UUIDs, not the table's sequence.
    for (const x of list) expect(x.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Number.isNaN(Date.parse(list[0].createdAt))).toBe(false);
  });

  test('by role', async () => {
    const { tokens } = await t.ok(TOKENS, { role: 'UNIT' });
    expect(tokens.map((x: { unit: { code: string } }) => x.unit.code)).toEqual(['STP', 'SYT']);
    expect((await t.ok(TOKENS, { role: 'KIOSK' })).tokens).toEqual([]);
  });

  test('ADMIN only', async () => {
    for (const token of [stpOfficer, p1]) expect((await t.gql(TOKENS, {}, token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(TOKENS, {}, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('lastUsedAt is set by a request, then written at most about once a minute', async () => {
    const officer = await issue('UNIT', 'Cán bộ mới', 'STP');
    const lastUsed = async () => ((await t.ok(TOKENS, { role: 'UNIT' })).tokens as { name: string; lastUsedAt: string | null }[])
      .find((x) => x.name === 'Cán bộ mới')!.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    const before = Date.now();
    await t.ok('{ __typename }', {}, officer);
    const first = await eventually(lastUsed, (v) => v !== null);
    expect(first).not.toBeNull();
    expect(Math.abs(Date.parse(first!) - before)).toBeLessThan(60_000);
    // Within the minute: further requests write nothing.
    for (let i = 0; i < 3; i++) await t.ok('{ __typename }', {}, officer);
    await new Promise((r) => setTimeout(r, 300));
    expect(await lastUsed()).toBe(first);
    // A minute later (the stored time moved back), the next request writes it again.
    await t.sql(`UPDATE api_token SET last_used_at = now() - interval '2 minutes' WHERE name = 'Cán bộ mới'`);
    const aged = await lastUsed();
    await t.ok('{ __typename }', {}, officer);
    const again = await eventually(lastUsed, (v) => v !== aged);
    expect(Date.parse(again!)).toBeGreaterThan(Date.parse(aged!));
  });
});

describe('revokeToken', () => {
  const REVOKE = `mutation($id: ID!) { revokeToken(id: $id) { id role name unit { code } revokedAt } }`;
  const idOf = async (name: string) => ((await t.ok(TOKENS, {})).tokens as { id: string; name: string }[]).find((x) => x.name === name)!.id;

  test('the next request with the token is refused, on this instance and on another sharing the database; audited', async () => {
    const other = await startTestService({ databaseUrl: t.databaseUrl, recomputeIntervalMs: 60000 });
    try {
      const officer = await issue('UNIT', 'Cán bộ sẽ nghỉ', 'SYT');
      expect((await t.ok('{ unit(code: "SYT") { code } }', {}, officer)).unit.code).toBe('SYT');
      expect((await other.ok('{ unit(code: "SYT") { code } }', {}, officer)).unit.code).toBe('SYT');
      const id = await idOf('Cán bộ sẽ nghỉ');
      const { revokeToken } = await t.ok(REVOKE, { id });
      expect(revokeToken).toMatchObject({ id, role: 'UNIT', name: 'Cán bộ sẽ nghỉ', unit: { code: 'SYT' } });
      expect(Number.isNaN(Date.parse(revokeToken.revokedAt))).toBe(false);
      for (const service of [t, other]) {
        const r = await service.gql('{ unit(code: "SYT") { code } }', {}, officer);
        expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
        expect(r.data ?? null).toBeNull();
      }
      // Listed as revoked; revoking again keeps the first time.
      const again = (await t.ok(REVOKE, { id })).revokeToken;
      expect(again.revokedAt).toBe(revokeToken.revokedAt);
      const audit = await t.sql(`SELECT operation, unit_code, target, before->>'revokedAt' AS before, after->>'revokedAt' AS after
                                   FROM audit_entry WHERE operation = 'revokeToken' ORDER BY id`);
      expect(audit).toHaveLength(2);
      expect(audit[0]).toMatchObject({ operation: 'revokeToken', unit_code: 'SYT', target: `token ${id}`, before: null });
      expect(audit[0].after).not.toBeNull();
    } finally {
      await other.stop();
    }
  });

  test('a malformed id is BAD_USER_INPUT, an unknown one NOT_FOUND, both naming id; only ADMIN may revoke', async () => {
    const bad = await t.gql(REVOKE, { id: '42' });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const unknown = await t.gql(REVOKE, { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    const id = await idOf('Cán bộ Sở Y tế');
    expect((await t.gql(REVOKE, { id }, stpOfficer)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(REVOKE, { id }, p1)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(REVOKE, { id }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    // The officer's token still works.
    expect((await t.ok('{ unit(code: "SYT") { code } }', {}, sytOfficer)).unit.code).toBe('SYT');
  });
});

describe('a UNIT token reads', () => {
  test("its own unit's provisional result, results and history", async () => {
    const { unit } = await t.ok(RESULT, { code: 'STP' }, stpOfficer);
    expect(unit).toEqual({ code: 'STP', result: { score: 70, published: false }, results: [{ year: 2024, score: 70 }], history: [{ year: 2024, score: 70 }] });
  });

  test("another unit's unpublished result as absent, exactly as an anonymous reader does", async () => {
    const asUnit = await t.ok(RESULT, { code: 'SYT' }, stpOfficer);
    expect(asUnit.unit).toEqual({ code: 'SYT', result: null, results: [], history: [] });
    expect(asUnit).toEqual(await t.ok(RESULT, { code: 'SYT' }, null));
    // The provisional readers see it.
    expect((await t.ok(RESULT, { code: 'SYT' }, p1)).unit.result).toEqual({ score: 90, published: false });
  });

  test('rankings of an unpublished year as an anonymous reader does: empty, its own unit included', async () => {
    const asUnit = await t.ok(RANKING, {}, stpOfficer);
    expect(asUnit.rankings).toEqual({ totalCount: 0, edges: [] });
    expect(asUnit).toEqual(await t.ok(RANKING, {}, null));
    expect((await t.ok(RANKING, {}, p1)).rankings.totalCount).toBe(2);
  });

  test('yearSummaries of an unpublished year as anonymous readers do', async () => {
    const SUMMARIES = `{ yearSummaries(unitKind: DEPARTMENT) { year count } }`;
    expect((await t.ok(SUMMARIES, {}, stpOfficer)).yearSummaries).toEqual([]);
    expect((await t.ok(SUMMARIES, {}, p1)).yearSummaries).toEqual([{ year: 2024, count: 2 }]);
  });

  test('whatIf of its own unit, not of another (FORBIDDEN naming unitCode)', async () => {
    const WHAT_IF = `query($code: String!) { whatIf(year: 2024, unitCode: $code, scores: [{criterionCode: "C2", points: 10}]) { score } }`;
    // STP with C2 10: 8 + 10 = 18 of 20 → 90.
    expect((await t.ok(WHAT_IF, { code: 'STP' }, stpOfficer)).whatIf.score).toBe(90);
    const r = await t.gql(WHAT_IF, { code: 'SYT' }, stpOfficer);
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'unitCode' });
  });

  test('no other UNIT token is served its answers from the response cache', async () => {
    // The same request text from two officers: each gets its own unit's view.
    const MINE = `{ unit(code: "STP") { result(year: 2024) { score } } }`;
    expect((await t.ok(MINE, {}, stpOfficer)).unit.result).toEqual({ score: 70 });
    expect((await t.ok(MINE, {}, sytOfficer)).unit.result).toBeNull();
    expect((await t.ok(MINE, {}, stpOfficer)).unit.result).toEqual({ score: 70 });
  });
});

describe('submitExpertScores signs as the caller may', () => {
  test('an APPRAISER naming another panelist is FORBIDDEN on input.panelist and stores nothing', async () => {
    const before = await stored();
    const r = await t.gql(SUBMIT, scores('STP', 'APPRAISAL', { C1: 1 }, 'P2'), p1);
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'input.panelist' });
    expect(r.errors?.[0].message).toMatch(/"P1"/);
    expect(await stored()).toEqual(before);
  });

  test('an APPRAISER scores APPRAISAL and REAPPRAISAL only: SELF_ASSESSMENT is FORBIDDEN on input.round, nothing stored', async () => {
    const before = await stored();
    const r = await t.gql(SUBMIT, scores('STP', 'SELF_ASSESSMENT', { C1: 1 }), p1);
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'input.round' });
    expect(await stored()).toEqual(before);
    // Its own name, given or not, and REAPPRAISAL are accepted: STP C2 re-appraised 10 → (8 + 10) × 5 = 90.
    expect((await t.ok(SUBMIT, scores('STP', 'REAPPRAISAL', { C2: 10 }, 'P1'), p1)).submitExpertScores.score).toBe(90);
    expect((await stored()).filter((s) => s.round === 'REAPPRAISAL')).toEqual([{ unit: 'STP', criterion: 'C2', round: 'REAPPRAISAL', panelist: 'P1', points: '10.00' }]);
  });

  test("a UNIT token enters its own unit's SELF_ASSESSMENT, signed by the unit's code", async () => {
    const r = await t.ok(SUBMIT, scores('SYT', 'SELF_ASSESSMENT', { C1: 10, C2: 10 }), sytOfficer);
    // The appraisal (9, 9) outranks the self-assessment: SYT stays 90, and the officer reads it.
    expect(r.submitExpertScores).toEqual({ score: 90, published: false });
    expect((await stored()).filter((s) => s.round === 'SELF_ASSESSMENT')).toEqual([
      { unit: 'SYT', criterion: 'C1', round: 'SELF_ASSESSMENT', panelist: 'SYT', points: '10.00' },
      { unit: 'SYT', criterion: 'C2', round: 'SELF_ASSESSMENT', panelist: 'SYT', points: '10.00' },
    ]);
  });

  test("a UNIT token may not enter another unit's scores, another round, or another panelist: FORBIDDEN, nothing stored", async () => {
    const before = await stored();
    const cases: [ReturnType<typeof scores>, string][] = [
      [scores('STP', 'SELF_ASSESSMENT', { C1: 1 }), 'input.unitCode'],
      [scores('SYT', 'APPRAISAL', { C1: 1 }), 'input.round'],
      [scores('SYT', 'REAPPRAISAL', { C1: 1 }), 'input.round'],
      [scores('SYT', 'SELF_ASSESSMENT', { C1: 1 }, 'Giám đốc'), 'input.panelist'],
    ];
    for (const [vars, field] of cases) {
      const r = await t.gql(SUBMIT, vars, sytOfficer);
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field });
      expect(r.data ?? null).toBeNull();
    }
    expect(await stored()).toEqual(before);
  });

  test('ADMIN enters for any panelist and round', async () => {
    await t.ok(SUBMIT, scores('STP', 'SELF_ASSESSMENT', { C1: 7 }, 'Sở Tư pháp (tự đánh giá)'));
    await t.ok(SUBMIT, scores('STP', 'APPRAISAL', { C1: 8 }, 'P2'));
    const rows = (await stored()).filter((s) => s.unit === 'STP' && s.criterion === 'C1');
    expect(rows.map((s) => [s.round, s.panelist, s.points])).toEqual([
      ['APPRAISAL', 'P1', '8.00'], ['APPRAISAL', 'P2', '8.00'], ['SELF_ASSESSMENT', 'Sở Tư pháp (tự đánh giá)', '7.00'],
    ]);
  });
});
