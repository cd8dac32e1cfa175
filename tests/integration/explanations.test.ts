import { tinyPdf } from '../../src/evidence/pdf';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';

/**
 * Explanation requests over GraphQL (API.md, "Assessment, notes and
 * explanation requests"; issue 14): asked by an appraiser, answered by the
 * unit before the due date with its evidence of that leaf, closed with a
 * resolution; OVERDUE read at the moment; each role seeing only what it may;
 * every refusal naming its field and leaving no row and no audit entry.
 *
 * Departments STP and SYT; 2024 DEPARTMENT framework: domain D1 with the
 * leaves C1 and C2 (EXPERT, 10 each), OPEN with no window.
 */
let t: TestService;
let base: string;
const tokens: Record<string, string> = {};

const FIELDS = 'id unit { code } year criterionCode question dueAt status answer answeredAt evidence { id fileName } resolution requestedBy';
const REQUEST = `mutation($input: RequestExplanationInput!) { requestExplanation(input: $input) { ${FIELDS} } }`;
const ANSWER = `mutation($id: ID!, $answer: String!, $e: [ID!]) { answerExplanation(id: $id, answer: $answer, evidenceIds: $e) { ${FIELDS} } }`;
const CLOSE = `mutation($id: ID!, $r: String!) { closeExplanation(id: $id, resolution: $r) { ${FIELDS} } }`;
const LIST = `query($status: ExplanationStatus, $unitCode: String, $kind: UnitKind) {
  explanationRequests(year: 2024, status: $status, unitCode: $unitCode, unitKind: $kind) { id unit { code } status } }`;

const inDays = (days: number) => new Date(Date.now() + days * 86400_000).toISOString();
const ask = (unitCode: string, criterionCode = 'C1', question = 'Đề nghị giải trình điểm tự chấm') => ({ input: { year: 2024, unitCode, criterionCode, question, dueAt: inDays(7) } });
/** Rows and audit entries: what a refusal must leave as it found them. */
const snapshot = async () => t.sql(
  `SELECT (SELECT count(*)::int FROM explanation_request) AS requests,
          (SELECT count(*)::int FROM explanation_request_evidence) AS links,
          (SELECT string_agg(coalesce(answer, '-') || '/' || coalesce(resolution, '-'), ',' ORDER BY id) FROM explanation_request) AS texts,
          (SELECT count(*)::int FROM audit_entry WHERE operation LIKE '%Explanation') AS audits`);

async function upload(unitCode: string, criterionCode: string, token: string): Promise<string> {
  const form = new FormData();
  form.append('year', '2024'); form.append('unitCode', unitCode); form.append('criterionCode', criterionCode);
  form.append('file', new Blob([tinyPdf([unitCode, criterionCode, String(Math.random())])]), `${unitCode}-${criterionCode}.pdf`);
  const res = await fetch(`${base}/evidence`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000 });
  base = t.url.replace(/\/graphql$/, '');
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
  const issue = async (role: string, name: string, unitCode?: string) => (await t.ok(
    `mutation($input: IssueTokenInput!) { issueToken(input: $input) }`, { input: { role, name, ...(unitCode ? { unitCode } : {}) } })).issueToken as string;
  tokens.STP = await issue('UNIT', 'Cán bộ STP', 'STP');
  tokens.SYT = await issue('UNIT', 'Cán bộ SYT', 'SYT');
  tokens.APPRAISER = await issue('APPRAISER', 'Nguyễn Văn A');
  tokens.ANALYST = await issue('ANALYST', 'A1');
  tokens.ADMIN = ADMIN_TOKEN;
}, 60000);
afterAll(async () => { await t?.stop(); });

test('OPEN → ANSWERED (text and the unit\'s evidence of the leaf) → CLOSED, each step one audit entry', async () => {
  const { requestExplanation: asked } = await t.ok(REQUEST, ask('STP'), tokens.APPRAISER);
  expect(asked).toMatchObject({
    unit: { code: 'STP' }, year: 2024, criterionCode: 'C1', question: 'Đề nghị giải trình điểm tự chấm', status: 'OPEN',
    answer: null, answeredAt: null, evidence: [], resolution: null, requestedBy: 'Nguyễn Văn A',
  });
  const file = await upload('STP', 'C1', tokens.STP);
  const { answerExplanation: answered } = await t.ok(ANSWER, { id: asked.id, answer: 'Đã ban hành Kế hoạch 12/KH-STP', e: [file, file] }, tokens.STP);
  expect(answered).toMatchObject({ status: 'ANSWERED', answer: 'Đã ban hành Kế hoạch 12/KH-STP', evidence: [{ id: file, fileName: 'STP-C1.pdf' }] });
  expect(Date.parse(answered.answeredAt)).toBeGreaterThan(Date.now() - 60_000);
  const { closeExplanation: closed } = await t.ok(CLOSE, { id: asked.id, r: 'Chấp nhận giải trình' }, tokens.APPRAISER);
  expect(closed).toMatchObject({ status: 'CLOSED', resolution: 'Chấp nhận giải trình', answer: 'Đã ban hành Kế hoạch 12/KH-STP' });
  const audits = await t.sql(`SELECT operation, actor, before->>'status' AS before, after->>'status' AS after FROM audit_entry
    WHERE target = $1 ORDER BY id`, [`explanationRequest ${asked.id}`]);
  expect(audits).toEqual([
    { operation: 'requestExplanation', actor: 'Nguyễn Văn A', before: null, after: 'OPEN' },
    { operation: 'answerExplanation', actor: 'Cán bộ STP', before: 'OPEN', after: 'ANSWERED' },
    { operation: 'closeExplanation', actor: 'Nguyễn Văn A', before: 'ANSWERED', after: 'CLOSED' },
  ]);
  // Closed: no answer, no second close, and its evidence stays.
  const late = await t.gql(ANSWER, { id: asked.id, answer: 'bổ sung' }, tokens.STP);
  expect(late.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
  expect((await t.gql(CLOSE, { id: asked.id, r: 'again' }, tokens.ADMIN)).errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
  const remove = await t.gql(`mutation($id: ID!) { removeEvidence(id: $id) }`, { id: file }, tokens.ADMIN);
  expect(remove.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
});

test('OVERDUE once the due date passed unanswered, read at the moment; an answer after it is CONFLICT and stores nothing', async () => {
  const { requestExplanation: asked } = await t.ok(REQUEST, ask('STP', 'C2'), tokens.ADMIN);
  expect((await t.ok(LIST, { status: 'OPEN', unitCode: 'STP' }, tokens.ANALYST)).explanationRequests.map((r: any) => r.id)).toContain(asked.id);
  await t.sql(`UPDATE explanation_request SET due_at = now() - interval '1 minute' WHERE public_id = $1`, [asked.id]);
  const overdue = (await t.ok(LIST, { status: 'OVERDUE' }, tokens.STP)).explanationRequests;
  expect(overdue).toEqual([{ id: asked.id, unit: { code: 'STP' }, status: 'OVERDUE' }]);
  expect((await t.ok(LIST, { status: 'OPEN', unitCode: 'STP' }, tokens.ANALYST)).explanationRequests.map((r: any) => r.id)).not.toContain(asked.id);

  const before = await snapshot();
  const late = await t.gql(ANSWER, { id: asked.id, answer: 'Muộn' }, tokens.STP);
  expect(late.data).toBeNull();
  expect(late.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
  expect(late.errors?.[0].message).toMatch(/was due at \d{4}-\d\d-\d\d \d\d:\d\d \(giờ Việt Nam\); answers after the due date are refused/);
  expect(await snapshot()).toEqual(before);
  // The appraiser may still close it.
  expect((await t.ok(CLOSE, { id: asked.id, r: 'Không giải trình đúng hạn: giữ điểm thẩm định' }, tokens.APPRAISER)).closeExplanation.status).toBe('CLOSED');
});

test('a UNIT token sees only its own unit\'s requests; APPRAISER, ANALYST and ADMIN see all; anonymous none', async () => {
  await t.ok(REQUEST, ask('SYT'), tokens.APPRAISER);
  const all = async (token: string | null, vars: Record<string, unknown> = {}) =>
    [...new Set((await t.ok(LIST, vars, token)).explanationRequests.map((r: any) => r.unit.code))].sort();
  expect(await all(tokens.STP)).toEqual(['STP']);
  expect(await all(tokens.SYT)).toEqual(['SYT']);
  expect(await all(tokens.STP, { unitCode: 'SYT' })).toEqual([]);
  for (const who of ['APPRAISER', 'ANALYST', 'ADMIN']) expect(await all(tokens[who])).toEqual(['STP', 'SYT']);
  expect(await all(tokens.ANALYST, { unitCode: 'SYT' })).toEqual(['SYT']);
  expect(await all(tokens.ANALYST, { kind: 'COMMUNE' })).toEqual([]);
  expect(await all(null)).toEqual([]);
  const [{ n }] = await t.sql(`SELECT count(*)::int AS n FROM explanation_request WHERE year = 2024`);
  expect((await t.ok(LIST, {}, tokens.ADMIN)).explanationRequests).toHaveLength(n);
});

test('answers: another unit\'s token and other roles are refused, evidence must be the unit\'s own of that leaf; nothing is half-written', async () => {
  const { requestExplanation: asked } = await t.ok(REQUEST, ask('STP'), tokens.APPRAISER);
  const mine = await upload('STP', 'C1', tokens.STP);
  const otherLeaf = await upload('STP', 'C2', tokens.STP);
  const otherUnit = await upload('SYT', 'C1', tokens.SYT);
  const before = await snapshot();
  const cases: [string | null, Record<string, unknown>, string, string][] = [
    [tokens.SYT, { id: asked.id, answer: 'x' }, 'NOT_FOUND', 'id'],
    [tokens.APPRAISER, { id: asked.id, answer: 'x' }, 'FORBIDDEN', ''],
    [tokens.ADMIN, { id: asked.id, answer: 'x' }, 'FORBIDDEN', ''],
    [null, { id: asked.id, answer: 'x' }, 'UNAUTHENTICATED', ''],
    [tokens.STP, { id: asked.id, answer: '   ' }, 'BAD_USER_INPUT', 'answer'],
    [tokens.STP, { id: asked.id, answer: 'x', e: [mine, otherLeaf] }, 'BAD_USER_INPUT', 'evidenceIds[1]'],
    [tokens.STP, { id: asked.id, answer: 'x', e: [otherUnit] }, 'BAD_USER_INPUT', 'evidenceIds[0]'],
    [tokens.STP, { id: asked.id, answer: 'x', e: ['not-an-id'] }, 'BAD_USER_INPUT', 'evidenceIds[0]'],
    [tokens.STP, { id: '00000000-0000-4000-8000-000000000000', answer: 'x' }, 'NOT_FOUND', 'id'],
  ];
  for (const [token, vars, code, field] of cases) {
    const r = await t.gql(ANSWER, vars, token);
    expect([vars, r.errors?.[0].extensions?.code, r.errors?.[0].extensions?.field ?? '']).toEqual([vars, code, field]);
  }
  expect(await snapshot()).toEqual(before);
  const ok = (await t.ok(ANSWER, { id: asked.id, answer: 'Giải trình', e: [mine] }, tokens.STP)).answerExplanation;
  expect(ok).toMatchObject({ status: 'ANSWERED', evidence: [{ id: mine }] });
  // Replaced before the due date: the new text and files, not both.
  const again = (await t.ok(ANSWER, { id: asked.id, answer: 'Giải trình bổ sung', e: [] }, tokens.STP)).answerExplanation;
  expect(again).toMatchObject({ status: 'ANSWERED', answer: 'Giải trình bổ sung', evidence: [] });
});

test('requestExplanation: APPRAISER and ADMIN only, a leaf of that year\'s framework, a due date in the future; each refusal names its field and stores nothing', async () => {
  const before = await snapshot();
  const cases: [string | null, Record<string, unknown>, string, string][] = [
    [tokens.STP, {}, 'FORBIDDEN', ''],
    [tokens.ANALYST, {}, 'FORBIDDEN', ''],
    [null, {}, 'UNAUTHENTICATED', ''],
    [tokens.APPRAISER, { dueAt: inDays(-1) }, 'BAD_USER_INPUT', 'input.dueAt'],
    [tokens.APPRAISER, { criterionCode: 'D1' }, 'BAD_USER_INPUT', 'input.criterionCode'],
    [tokens.APPRAISER, { criterionCode: 'C9' }, 'NOT_FOUND', 'input.criterionCode'],
    [tokens.APPRAISER, { unitCode: 'NOPE' }, 'NOT_FOUND', 'input.unitCode'],
    [tokens.APPRAISER, { year: 2023 }, 'NOT_FOUND', 'input.year'],
    [tokens.APPRAISER, { question: '' }, 'BAD_USER_INPUT', 'input.question'],
  ];
  for (const [token, change, code, field] of cases) {
    const vars = { input: { ...ask('STP').input, ...change } };
    const r = await t.gql(REQUEST, vars, token);
    expect([change, r.errors?.[0].extensions?.code, r.errors?.[0].extensions?.field ?? '']).toEqual([change, code, field]);
  }
  expect(await snapshot()).toEqual(before);
  // closeExplanation: APPRAISER and ADMIN only.
  const { requestExplanation: asked } = await t.ok(REQUEST, ask('SYT', 'C2'), tokens.ADMIN);
  for (const who of ['SYT', 'ANALYST']) {
    expect((await t.gql(CLOSE, { id: asked.id, r: 'x' }, tokens[who])).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  }
  expect((await t.gql(CLOSE, { id: asked.id, r: ' ' }, tokens.APPRAISER)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'resolution' });
  expect((await t.ok(LIST, { unitCode: 'SYT', status: 'OPEN' }, tokens.SYT)).explanationRequests.map((r: any) => r.id)).toContain(asked.id);
});

describe('the demo', () => {
  let demo: TestService;
  beforeAll(async () => { demo = await startTestService({ seedDemo: true, recomputeIntervalMs: 60000, statementTimeoutMs: 120000 }); }, 240000);
  afterAll(async () => { await demo?.stop(); });

  test('holds explanation requests in each state and evidence files (valid PDFs) in the open year at first start', async () => {
    const year = Number(new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 4));
    const list = (await demo.ok(`query($y: Int!) { explanationRequests(year: $y) { status unit { code } evidence { id contentType } } }`, { y: year })).explanationRequests;
    const byStatus = (s: string) => list.filter((r: any) => r.status === s);
    expect([byStatus('OPEN').length, byStatus('ANSWERED').length, byStatus('CLOSED').length, byStatus('OVERDUE').length]).toEqual([2, 2, 2, 2]);
    expect(byStatus('ANSWERED').every((r: any) => r.evidence.length === 1 && r.evidence[0].contentType === 'application/pdf')).toBe(true);
    const file = byStatus('ANSWERED')[0].evidence[0].id;
    const res = await fetch(`${demo.url.replace(/\/graphql$/, '')}/evidence/${file}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(bytes.subarray(-6).toString('latin1')).toBe('%%EOF\n');
    const [{ n }] = await demo.sql(`SELECT count(*)::int AS n FROM evidence WHERE year = $1`, [year]);
    expect(n).toBe(8 + 3);
  });
});
