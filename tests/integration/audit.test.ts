import { Client } from 'pg';
import { startTestService, type TestService } from '../support/test-service';
import { download, readXlsx, upload, writeXlsx } from './documents-fixture';

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

describe('each accepted mutation writes one entry in its transaction', () => {
  test('setup: createUnit, defineCycle and openCycle as the admin, with what they changed', async () => {
    expect(await entries('createUnit')).toEqual([
      { actor: 'admin', role: 'ADMIN', operation: 'createUnit', unitCode: 'STP', year: 2000, target: 'STP', before: null,
        after: { code: 'STP', name: 'Sở Tư pháp', kind: 'DEPARTMENT', firstYear: 2000, parentCode: null } },
      { actor: 'admin', role: 'ADMIN', operation: 'createUnit', unitCode: 'SYT', year: 2000, target: 'SYT', before: null,
        after: { code: 'SYT', name: 'Sở Y tế', kind: 'DEPARTMENT', firstYear: 2000, parentCode: null } },
    ]);
    const [define] = await entries('defineCycle');
    expect(define).toMatchObject({ actor: 'admin', role: 'ADMIN', year: 2024, target: 'DEPARTMENT', before: null });
    expect(define.after).toMatchObject({ status: 'DRAFT', minResponses: 30, maxBonus: 0, maxPenalty: 0 });
    expect(define.after.criteria).toEqual([
      { code: 'D1', name: 'Chỉ đạo, điều hành', parent: null, maxPoints: 20 },
      { code: 'C1', name: 'Kế hoạch CCHC', parent: 'D1', maxPoints: 10, source: 'EXPERT' },
      { code: 'C2', name: 'Kiểm tra CCHC', parent: 'D1', maxPoints: 10, source: 'EXPERT' },
    ]);
    expect(await entries('openCycle')).toEqual([
      { actor: 'admin', role: 'ADMIN', operation: 'openCycle', unitCode: null, year: 2024, target: 'DEPARTMENT', before: { status: 'DRAFT' }, after: { status: 'OPEN' } },
    ]);
  });

  test('issueToken: who holds it and as what, never the secret', async () => {
    const issued = await entries('issueToken');
    expect(issued).toEqual([
      expect.objectContaining({ actor: 'admin', role: 'ADMIN', unitCode: null, before: null, after: { role: 'APPRAISER', name: 'P1', unitCode: null, revokedAt: null } }),
      expect.objectContaining({ actor: 'admin', role: 'ADMIN', unitCode: null, before: null, after: { role: 'ANALYST', name: 'A1', unitCode: null, revokedAt: null } }),
    ]);
    expect(issued[0].target).toMatch(/^token [0-9a-f-]{36}$/);
    const all = JSON.stringify(await t.sql('SELECT * FROM audit_entry'));
    expect(all).not.toContain(appraiser);
    expect(all).not.toContain(appraiser.slice(-20));
  });

  test('submitExpertScores: who typed it, and each leaf given as stored before and after', async () => {
    await t.ok(SUBMIT, scores(2024, 'STP', { C1: 7 }), appraiser);
    await t.ok(SUBMIT, { input: { ...scores(2024, 'STP', { C1: 8.5 }).input, scores: [{ criterionCode: 'C1', points: 8.5 }, { criterionCode: 'C2', notApplicable: true }] } }, appraiser);
    expect(await entries('submitExpertScores')).toEqual([
      { actor: 'P1', role: 'APPRAISER', operation: 'submitExpertScores', unitCode: 'STP', year: 2024, target: 'APPRAISAL/P1',
        before: { C1: null }, after: { C1: '7' } },
      { actor: 'P1', role: 'APPRAISER', operation: 'submitExpertScores', unitCode: 'STP', year: 2024, target: 'APPRAISAL/P1',
        before: { C1: '7', C2: null }, after: { C1: '8.5', C2: 'N/A' } },
    ]);
  });

  test('renameUnit and retireUnit: the value in effect before and the new one', async () => {
    await t.ok(`mutation { renameUnit(code: "SYT", name: "Sở Y tế tỉnh", fromYear: 2025) { code } }`);
    expect(await entries('renameUnit')).toEqual([
      { actor: 'admin', role: 'ADMIN', operation: 'renameUnit', unitCode: 'SYT', year: 2025, target: 'SYT',
        before: { name: 'Sở Y tế', fromYear: 2025 }, after: { name: 'Sở Y tế tỉnh', fromYear: 2025 } },
    ]);
    await t.ok(`mutation { retireUnit(code: "SYT", lastYear: 2030) { code } }`);
    expect(await entries('retireUnit')).toEqual([
      { actor: 'admin', role: 'ADMIN', operation: 'retireUnit', unitCode: 'SYT', year: 2030, target: 'SYT', before: { lastYear: null }, after: { lastYear: 2030 } },
    ]);
  });

  test('registerKiosk and revokeKiosk: the kiosk by its id, with its state before and after', async () => {
    const { registerKiosk } = await t.ok(`mutation { registerKiosk(input: {unitCode: "STP", label: "Quầy 1"}) { kiosk { id } token } }`);
    const id = registerKiosk.kiosk.id;
    await t.ok(`mutation($id: ID!) { revokeKiosk(id: $id) { id } }`, { id });
    expect(await entries('registerKiosk')).toEqual([
      { actor: 'admin', role: 'ADMIN', operation: 'registerKiosk', unitCode: 'STP', year: null, target: id, before: null, after: { id, label: 'Quầy 1', unitCode: 'STP' } },
    ]);
    const [revoked] = await entries('revokeKiosk');
    expect(revoked).toMatchObject({ actor: 'admin', role: 'ADMIN', unitCode: 'STP', target: id, before: { label: 'Quầy 1', active: true, revokedAt: null } });
    expect(revoked.after).toMatchObject({ label: 'Quầy 1', active: false });
    expect(Date.parse(revoked.after.revokedAt)).toBeGreaterThan(Date.now() - 60000);
  });

  test('resolveKioskAlert: the alert by its id, its status before and after', async () => {
    // An alert as the detector raises them (the detector itself is tested in live-alerts.test.ts).
    const [alert] = await t.sql(
      `INSERT INTO kiosk_alert (kiosk_id, unit_id, year, rule, from_at, to_at, responses)
       SELECT k.id, k.unit_id, 2024, 'BURST', now(), now(), 1 FROM kiosk k WHERE k.label = 'Quầy 1' RETURNING public_id::text AS id`);
    await t.ok(`mutation($id: ID!) { resolveKioskAlert(id: $id, action: DISMISS) { status } }`, { id: alert.id });
    expect(await entries('resolveKioskAlert')).toEqual([
      { actor: 'admin', role: 'ADMIN', operation: 'resolveKioskAlert', unitCode: 'STP', year: 2024, target: alert.id,
        before: { status: 'OPEN' }, after: { status: 'DISMISSED', action: 'DISMISS', responsesMoved: 0 } },
    ]);
  });

  test('an appraisal sheet upload writes the entries its submitExpertScores calls would, as the uploader', async () => {
    const tpl = await download(t, '/templates/appraisal.xlsx?year=2024&unitKind=DEPARTMENT', appraiser);
    expect(tpl.status).toBe(200);
    const wb = await readXlsx(tpl.body);
    const sheet = wb.getWorksheet('Thẩm định')!;
    expect([sheet.getCell('B6').value, sheet.getCell('B7').value, sheet.getCell('D3').value]).toEqual(['STP', 'SYT', 'C1']);
    sheet.getCell('D7').value = 4; // SYT C1
    const before = (await entries('submitExpertScores')).length;
    const r = await upload(t, '/import/appraisal?round=APPRAISAL', await writeXlsx(wb), {}, appraiser);
    expect(r.status).toBe(200);
    const after = await entries('submitExpertScores');
    expect(after.slice(before)).toEqual([
      { actor: 'P1', role: 'APPRAISER', operation: 'submitExpertScores', unitCode: 'SYT', year: 2024, target: 'APPRAISAL/P1', before: { C1: null }, after: { C1: '4' } },
    ]);
  });

  test('a refused mutation writes no entry', async () => {
    const n = await count();
    const over = await t.gql(SUBMIT, scores(2024, 'STP', { C1: 11 }), appraiser);
    expect(over.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.scores[0].points' });
    const unknown = await t.gql(`mutation { renameUnit(code: "NOPE", name: "X", fromYear: 2024) { code } }`);
    expect(unknown.errors?.[0].extensions?.field).toBe('code');
    const forbidden = await t.gql(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`, {}, appraiser);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await count()).toBe(n);
  });

  test('a change that fails after its entry is written leaves neither; an entry that cannot be written stops its change', async () => {
    const admin = new Client({ connectionString: t.databaseUrl });
    await admin.connect();
    try {
      // Fails at commit, after renameUnit wrote its entry: the rename and its entry go together.
      await admin.query(`CREATE FUNCTION fail_rename() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.name = 'Tên hỏng' THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NULL; END $$`);
      await admin.query(`CREATE CONSTRAINT TRIGGER tr_fail_rename AFTER INSERT OR UPDATE ON unit_name DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION fail_rename()`);
      const renames = (await entries('renameUnit')).length;
      const failed = await t.gql(`mutation { renameUnit(code: "STP", name: "Tên hỏng", fromYear: 2024) { code } }`);
      expect(failed.errors?.length).toBe(1);
      expect(await entries('renameUnit')).toHaveLength(renames);
      expect(await t.sql(`SELECT n.name FROM unit_name n JOIN unit u ON u.id = n.unit_id WHERE u.code = 'STP'`)).toEqual([{ name: 'Sở Tư pháp' }]);

      // The entry itself refused: the retirement does not happen.
      await admin.query(`CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.operation = 'retireUnit' THEN RAISE EXCEPTION 'no entry'; END IF; RETURN NEW; END $$`);
      await admin.query(`CREATE TRIGGER tr_fail_audit BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION fail_audit()`);
      const retired = await t.gql(`mutation { retireUnit(code: "STP", lastYear: 2029) { code } }`);
      expect(retired.errors?.length).toBe(1);
      expect(await t.sql(`SELECT last_year FROM unit WHERE code = 'STP'`)).toEqual([{ last_year: null }]);
    } finally {
      await admin.query('DROP TRIGGER IF EXISTS tr_fail_rename ON unit_name');
      await admin.query('DROP TRIGGER IF EXISTS tr_fail_audit ON audit_entry');
      await admin.end();
    }
  });

  test('defineQuestionnaire and publishCycle', async () => {
    const questions = [{ code: 'Q1', text: 'Thái độ của công chức', element: 'CIVIL_SERVANT', scaleMax: 5 }];
    await t.ok(`mutation($q: [QuestionInput!]!) { defineQuestionnaire(year: 2025, questions: $q) { code } }`, { q: questions });
    expect(await entries('defineQuestionnaire')).toEqual([
      { actor: 'admin', role: 'ADMIN', operation: 'defineQuestionnaire', unitCode: null, year: 2025, target: null, before: null,
        after: [{ code: 'Q1', text: 'Thái độ của công chức', element: 'CIVIL_SERVANT', scaleMax: 5, satisfiedMin: 4 }] },
    ]);
    // STP (C1 8.5, C2 N/A) and SYT (C1 4, by the sheet) have results.
    await t.ok(`mutation { publishCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
    const published = await entries('publishCycle');
    expect(published).toEqual([
      expect.objectContaining({ actor: 'admin', role: 'ADMIN', operation: 'publishCycle', unitCode: null, year: 2024, target: 'DEPARTMENT', before: { status: 'OPEN' } }),
    ]);
    expect(published[0].after).toMatchObject({ status: 'PUBLISHED', results: 2 });
  });

  test('mergeUnits: the merged units\' last years before and after, and the unit formed', async () => {
    await t.ok(`mutation { mergeUnits(input: {codes: ["STP", "SYT"], fromYear: 2026, into: {code: "STYT", name: "Sở Tư pháp và Y tế", kind: DEPARTMENT}}) { code } }`);
    expect(await entries('mergeUnits')).toEqual([
      { actor: 'admin', role: 'ADMIN', operation: 'mergeUnits', unitCode: 'STYT', year: 2026, target: 'STYT',
        before: { units: [{ code: 'STP', lastYear: null }, { code: 'SYT', lastYear: 2030 }] },
        after: { units: [{ code: 'STP', lastYear: 2025 }, { code: 'SYT', lastYear: 2025 }],
          into: { code: 'STYT', name: 'Sở Tư pháp và Y tế', kind: 'DEPARTMENT', firstYear: 2026, parentCode: null } } },
    ]);
  });

  test('auditLog shows them to an ANALYST, newest first, by unit', async () => {
    const log = (await t.ok(LOG, { unitCode: 'STP', operation: 'submitExpertScores' }, analyst)).auditLog;
    expect(log.totalCount).toBe(2);
    expect(log.edges.map((e: any) => e.node.after)).toEqual([{ C1: '8.5', C2: 'N/A' }, { C1: '7' }]);
    expect(log.edges[0].node).toMatchObject({ actor: 'P1', role: 'APPRAISER', year: 2024, target: 'APPRAISAL/P1' });
  });
});

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

  test('newest first by the entry\'s number, not its text: entry 10,000,000 before 9,999,999', async () => {
    for (const id of [9_999_999, 10_000_000]) {
      await t.sql(`INSERT INTO audit_entry (id, actor, operation) OVERRIDING SYSTEM VALUE VALUES ($1, 'x', 'numbering')`, [id]);
    }
    const page = (await t.ok(LOG, { operation: 'numbering' })).auditLog;
    expect(page.edges.map((e: any) => e.node.id)).toEqual(['10000000', '9999999']);
    const next = (await t.ok(LOG, { operation: 'numbering', first: 1, after: page.edges[0].cursor })).auditLog;
    expect(next.edges.map((e: any) => e.node.id)).toEqual(['9999999']);
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
    const unitToken = (await t.ok(`mutation { issueToken(input: {role: UNIT, name: "Cán bộ STP", unitCode: "STP"}) }`)).issueToken;
    const unit = await t.gql(LOG, {}, unitToken);
    expect(unit.data).toBeNull();
    expect(unit.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await t.gql(LOG, {}, null);
    expect(anonymous.data).toBeNull();
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(anonymous.errors?.[0].extensions?.code);
  });
});
