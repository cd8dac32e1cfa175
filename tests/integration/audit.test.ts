import { Client } from 'pg';
import { startTestService, type TestService } from '../support/test-service';

/**
 * The audit history (API.md, "Audit history"; issue 14): every accepted
 * mutation writes one entry in its own transaction, with who typed it and
 * what it changed; a refused one writes none; the database refuses to
 * change or remove an entry; auditLog pages through them, newest first.
 *
 * Departments STP and SYT; framework 2024 DEPARTMENT with EXPERT leaves C1
 * and C2 (max 10 each), opened; an APPRAISER "P1" and an ANALYST "A1".
 */
let t: TestService;
let appraiser: string;
let analyst: string;

const LOG = `query($year: Int, $unitCode: String, $actor: String, $operation: String, $first: Int, $after: String) {
  auditLog(year: $year, unitCode: $unitCode, actor: $actor, operation: $operation, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id at actor role operation unitCode year target before after } } } }`;
const SUBMIT = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score } }`;
const framework = (year: number) => ({
  year, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
    { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
    { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' },
  ] }],
});
const scores = (year: number, unitCode: string, points: Record<string, number>) => ({
  input: { year, unitCode, round: 'APPRAISAL', scores: Object.entries(points).map(([criterionCode, p]) => ({ criterionCode, points: p })) },
});
/** Entries as stored, oldest first, without their id and time. */
const entries = async (operation: string) => t.sql(
  `SELECT actor, role::text AS role, operation, unit_code AS "unitCode", year, target, before, after
     FROM audit_entry WHERE operation = $1 ORDER BY id`, [operation]);
const count = async () => Number((await t.sql(`SELECT count(*) AS n FROM audit_entry`))[0].n);

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000 });
  for (const [code, name] of [['STP', 'Sở Tư pháp'], ['SYT', 'Sở Y tế']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  appraiser = (await t.ok(`mutation { issueToken(input: {role: APPRAISER, name: "P1"}) }`)).issueToken;
  analyst = (await t.ok(`mutation { issueToken(input: {role: ANALYST, name: "A1"}) }`)).issueToken;
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(2024) });
  await t.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
}, 60000);
afterAll(async () => { await t?.stop(); });

describe('the database refuses to change or remove an entry', () => {
  let db: Client;
  beforeAll(async () => {
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    await db.query(`INSERT INTO audit_entry (actor, role, operation, year, after) VALUES ('someone', 'ADMIN', 'directInsert', 2024, '{"x": 1}')`);
  });
  afterAll(async () => { await db.end(); });

  test.each([
    ['UPDATE', `UPDATE audit_entry SET actor = 'forger' WHERE operation = 'directInsert'`],
    ['DELETE', `DELETE FROM audit_entry WHERE operation = 'directInsert'`],
    ['TRUNCATE', `TRUNCATE audit_entry`],
  ])('%s is refused', async (op, statement) => {
    const before = await count();
    await expect(db.query(statement)).rejects.toThrow(`audit entries are append-only: ${op} refused`);
    expect(await count()).toBe(before);
    expect(await entries('directInsert')).toEqual([
      { actor: 'someone', role: 'ADMIN', operation: 'directInsert', unitCode: null, year: 2024, target: null, before: null, after: { x: 1 } },
    ]);
  });
});

describe('auditLog', () => {
  beforeAll(async () => {
    // 7 entries of an operation no mutation has: 2023 STP ×3, 2024 STP ×2, 2024 SYT ×2, by two actors.
    const rows: [string, string, number, string][] = [
      ['x1', 'STP', 2023, 'e1'], ['x1', 'STP', 2023, 'e2'], ['x2', 'STP', 2023, 'e3'],
      ['x1', 'STP', 2024, 'e4'], ['x2', 'STP', 2024, 'e5'], ['x2', 'SYT', 2024, 'e6'], ['x1', 'SYT', 2024, 'e7'],
    ];
    for (const [actor, unit, year, target] of rows) {
      await t.sql(`INSERT INTO audit_entry (actor, role, operation, unit_code, year, target, before, after)
                   VALUES ($1, 'ADMIN', 'paging', $2, $3, $4, NULL, $5)`, [actor, unit, year, target, JSON.stringify({ target })]);
    }
  });

  test('newest first, filters combine, totalCount counts the filtered entries', async () => {
    const all = (await t.ok(LOG, { operation: 'paging' })).auditLog;
    expect(all.totalCount).toBe(7);
    expect(all.edges.map((e: any) => e.node.target)).toEqual(['e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1']);
    expect(all.edges[0].node).toMatchObject({ actor: 'x1', role: 'ADMIN', operation: 'paging', unitCode: 'SYT', year: 2024, before: null, after: { target: 'e7' } });
    expect(new Date(all.edges[0].node.at).getTime()).toBeGreaterThan(Date.now() - 60000);
    const some = (await t.ok(LOG, { operation: 'paging', year: 2024, unitCode: 'STP' })).auditLog;
    expect(some.edges.map((e: any) => e.node.target)).toEqual(['e5', 'e4']);
    expect(some.totalCount).toBe(2);
    const byActor = (await t.ok(LOG, { operation: 'paging', actor: 'x2' })).auditLog;
    expect(byActor.edges.map((e: any) => e.node.target)).toEqual(['e6', 'e5', 'e3']);
  });

  test('pages follow each other through endCursor, to the end', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: any = (await t.ok(LOG, { operation: 'paging', first: 3, after })).auditLog;
      pages++;
      seen.push(...page.edges.map((e: any) => e.node.target));
      expect(page.totalCount).toBe(7);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1].cursor);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1']);
  });

  test.each([
    ['garbage', 'not-a-cursor'],
    ['another list\'s cursor', Buffer.from(JSON.stringify(['Sở Tư pháp', 'STP'])).toString('base64url')],
    ['a forged id', Buffer.from(JSON.stringify(['audit', '1; DROP TABLE x'])).toString('base64url')],
  ])('a cursor the service did not make (%s) is BAD_USER_INPUT naming after', async (_, after) => {
    const r = await t.gql(LOG, { after });
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect(r.errors?.[0].message).toMatch(/after is not a cursor/);
  });

  test.each([[0], [101]])('first %p is BAD_USER_INPUT naming first', async (first) => {
    const r = await t.gql(LOG, { first });
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(r.errors?.[0].message).toMatch(/1 to 100/);
  });

  test('year out of range is BAD_USER_INPUT naming year', async () => {
    const r = await t.gql(LOG, { year: 1999 });
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'year' });
  });

  test('an ANALYST may read it; an APPRAISER and anonymous readers may not', async () => {
    expect((await t.ok(LOG, { operation: 'paging', first: 1 }, analyst)).auditLog.totalCount).toBe(7);
    const refused = await t.gql(LOG, {}, appraiser);
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await t.gql(LOG, {}, null);
    expect(anonymous.data).toBeNull();
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(anonymous.errors?.[0].extensions?.code);
  });
});
