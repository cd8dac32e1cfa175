import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, startTestService, type GqlResult, type TestService } from '../support/test-service';

/**
 * Who may do what (API.md, Roles and People): one row per operation with
 * role rules, one column per kind of caller, each cell the outcome the
 * contract promises. A new operation is one row; `allowed`, `readable` and
 * `everyone` say the common shapes, `.with({...})` the exceptions.
 *
 * Outcomes: `ok` (answered, and a read shows the thing asked for), `absent`
 * (answered as if the thing did not exist: what a caller may not see reads
 * as absent), or the error code of the refusal (UNAUTHENTICATED,
 * FORBIDDEN; NOT_FOUND and the like once the caller is let through).
 *
 * Columns: anonymous; a KIOSK of STP; a UNIT token of STP asking about its
 * own unit (UNIT_OWN) and about SYT (UNIT_OTHER); APPRAISER "P1"; ANALYST;
 * ADMIN. Every other column asks about STP. Cells run in that order, ADMIN
 * last, each with variables of its own, so that a write one cell makes
 * does not decide another's outcome.
 *
 * The province: departments STP, SYT and REN; 2023 DEPARTMENT published,
 * 2024 open (scored by P1, never published), 2025 defined (DRAFT, with an
 * APPRAISAL window), 2022 open and unscored; the current year's
 * questionnaire, with responses from the STP kiosk.
 */
const COLUMNS = ['anonymous', 'KIOSK', 'UNIT_OWN', 'UNIT_OTHER', 'APPRAISER', 'ANALYST', 'ADMIN'] as const;
type Column = typeof COLUMNS[number];
type Outcome = 'ok' | 'absent' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT';
type Expected = Record<Column, Outcome>;
/** A caller as a row sees it: its token, the unit it asks about, a number of its own for unique inputs. */
interface Cell { column: Column; token: string | null; unitCode: string; n: number }
interface Row { op: string; expected: Expected; run: (cell: Cell) => Promise<Outcome> }

/** Roles by name as the helpers take them: UNIT is both unit columns. */
type Who = Column | 'UNIT';
const expand = (who: Who[]) => new Set<Column>(who.flatMap((w) => (w === 'UNIT' ? ['UNIT_OWN', 'UNIT_OTHER'] as Column[] : [w])));
class Expect {
  constructor(readonly cells: Expected) {}
  with(overrides: Partial<Expected>): Expect {
    return new Expect({ ...this.cells, ...overrides });
  }
}
/** A guarded operation: these callers may, anonymous is UNAUTHENTICATED, everyone else FORBIDDEN. */
function allowed(...who: Who[]): Expect {
  const yes = expand(who);
  return new Expect(Object.fromEntries(COLUMNS.map((c) => [c, yes.has(c) ? 'ok' : c === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN'])) as Expected);
}
/** A read open to everyone where only these callers see the thing; the others read it as absent. A kiosk reads nothing. */
function readable(...who: Who[]): Expect {
  const yes = expand(who);
  return new Expect(Object.fromEntries(COLUMNS.map((c) => [c, c === 'KIOSK' ? 'FORBIDDEN' : yes.has(c) ? 'ok' : 'absent'])) as Expected);
}
const everyone = () => readable(...COLUMNS);
const PROVISIONAL_READERS: Who[] = ['APPRAISER', 'ANALYST', 'ADMIN'];

let t: TestService;
const tokens = {} as Record<Column, string | null>;
const YEAR_NOW = new Date().getFullYear();
let counter = 0;

/** The outcome of a GraphQL answer: the refusal's code, else whether `present` finds the thing in the data. */
function outcomeOf(r: GqlResult, present: (data: any) => boolean): Outcome {
  if (r.errors?.length) return (r.errors[0].extensions?.code ?? 'INTERNAL_SERVER_ERROR') as Outcome;
  return present(r.data) ? 'ok' : 'absent';
}
/** A row of one GraphQL operation; `present` decides ok from absent for reads (a write's answer is ok). */
function gql(
  op: string, expected: Expect, query: string,
  vars: (cell: Cell) => Record<string, unknown> | Promise<Record<string, unknown>> = () => ({}),
  present: (data: any) => boolean = () => true,
): Row {
  return { op, expected: expected.cells, run: async (cell) => outcomeOf(await t.gql(query, await vars(cell), cell.token), present) };
}

const SCORE = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score } }`;
const scores = (cell: Cell, round: string, panelist?: string) => ({
  input: { year: 2024, unitCode: cell.unitCode, round, ...(panelist ? { panelist } : {}), scores: [{ criterionCode: 'C1', points: 5 + (cell.n % 5) }] },
});
const WITHDRAW = `mutation($u: String!, $r: ScoreRound!, $p: String) {
  withdrawExpertScore(year: 2024, unitCode: $u, criterionCode: "C2", round: $r, panelist: $p) { score } }`;
const REQUEST = `mutation($input: RequestExplanationInput!) { requestExplanation(input: $input) { id } }`;
const requestVars = (unitCode: string, n: number) => ({
  input: { year: 2024, unitCode, criterionCode: 'C1', question: `Giải trình điểm C1 (${n})?`, dueAt: new Date(Date.now() + 7 * 86400_000).toISOString() },
});
/** An explanation request ADMIN makes of the cell's unit, for the cell to act on. */
const requestAsAdmin = async (c: Cell): Promise<string> => (await admin(REQUEST, requestVars(c.unitCode, c.n))).requestExplanation.id;
const origin = () => new URL(t.url).origin;
const bearer = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
/** POST /evidence of a small PDF (its bytes differ by n) for the unit's leaf C1 of 2024. */
function upload(token: string | null, unitCode: string, n: number): Promise<Response> {
  const form = new FormData();
  form.set('year', '2024');
  form.set('unitCode', unitCode);
  form.set('criterionCode', 'C1');
  const pdf = `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${n}\ntrailer << /Root 1 0 R >>\n%%EOF\n`;
  form.set('file', new Blob([pdf], { type: 'application/pdf' }), `Kế hoạch ${n}.pdf`);
  return fetch(`${origin()}/evidence`, { method: 'POST', headers: bearer(token), body: form });
}
/** A row of one HTTP request outside GraphQL: 2xx ok (absent when `present` finds nothing), 404 absent, else the refusal's code. */
function http(op: string, expected: Expect, send: (cell: Cell) => Promise<Response>, present: (res: Response) => boolean = () => true): Row {
  return {
    op, expected: expected.cells, run: async (cell) => {
      const res = await send(cell);
      if (res.ok) return present(res) ? 'ok' : 'absent';
      if (res.status === 404) return 'absent';
      const body = await res.json().catch(() => ({})) as { errors?: { extensions?: { code?: Outcome } }[] };
      return body.errors?.[0]?.extensions?.code ?? (String(res.status) as Outcome);
    },
  };
}
const framework = (year: number) => ({
  year, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
    { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
    { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' },
  ] }],
});
/** An ADMIN step of a cell's setup. */
const admin = (query: string, variables: Record<string, unknown> = {}) => t.ok(query, variables, ADMIN_TOKEN);
const issue = async (role: string, name: string, unitCode?: string): Promise<string> =>
  (await admin(`mutation($input: IssueTokenInput!) { issueToken(input: $input) }`, { input: { role, name, unitCode } })).issueToken;
const tokenId = async (name: string): Promise<string> =>
  (await admin(`{ tokens { id name } }`)).tokens.find((x: { name: string }) => x.name === name).id;

const ROWS: Row[] = [
  // Public reference data.
  gql('units', everyone(), `{ units { totalCount } }`, () => ({}), (d) => d.units.totalCount >= 3),
  gql('cycle', everyone(), `{ cycle(year: 2024, unitKind: DEPARTMENT) { status } }`, () => ({}), (d) => d.cycle?.status === 'OPEN'),

  // Results: published to everyone; unpublished to the provisional readers and to the unit's own UNIT token.
  gql('Unit.result (published year)', everyone(), `query($c: String!) { unit(code: $c) { result(year: 2023) { score } } }`,
    (c) => ({ c: c.unitCode }), (d) => d.unit.result !== null),
  gql('Unit.result (unpublished year)', readable('UNIT_OWN', ...PROVISIONAL_READERS), `query($c: String!) { unit(code: $c) { result(year: 2024) { score } } }`,
    (c) => ({ c: c.unitCode }), (d) => d.unit.result !== null),
  gql('Unit.results (unpublished year)', readable('UNIT_OWN', ...PROVISIONAL_READERS), `query($c: String!) { unit(code: $c) { results { year } } }`,
    (c) => ({ c: c.unitCode }), (d) => d.unit.results.some((r: { year: number }) => r.year === 2024)),
  gql('Unit.history (unpublished year)', readable('UNIT_OWN', ...PROVISIONAL_READERS), `query($c: String!) { unit(code: $c) { history { year } } }`,
    (c) => ({ c: c.unitCode }), (d) => d.unit.history.some((r: { year: number }) => r.year === 2024)),
  gql('rankings (published year)', everyone(), `{ rankings(year: 2023, unitKind: DEPARTMENT) { totalCount } }`, () => ({}), (d) => d.rankings.totalCount > 0),
  // Rankings show every unit: a UNIT token reads them as anonymous readers do, its own unit included.
  gql('rankings (unpublished year)', readable(...PROVISIONAL_READERS), `{ rankings(year: 2024, unitKind: DEPARTMENT) { totalCount } }`,
    () => ({}), (d) => d.rankings.totalCount > 0),
  gql('yearSummaries (unpublished year)', readable(...PROVISIONAL_READERS), `{ yearSummaries(unitKind: DEPARTMENT) { year } }`,
    () => ({}), (d) => d.yearSummaries.some((s: { year: number }) => s.year === 2024)),
  gql('satisfaction (unpublished year)', readable(...PROVISIONAL_READERS), `query($c: String!, $y: Int!) { satisfaction(year: $y, unitCode: $c) { responses } }`,
    (c) => ({ c: c.unitCode, y: YEAR_NOW }), (d) => d.satisfaction.length > 0),

  // Analysis.
  gql('whatIf', allowed('UNIT_OWN', 'ANALYST', 'ADMIN'),
    `query($c: String!) { whatIf(year: 2024, unitCode: $c, scores: [{criterionCode: "C2", points: 10}]) { score } }`, (c) => ({ c: c.unitCode })),
  gql('sensitivity', allowed('ANALYST', 'ADMIN'), `{ sensitivity(input: {year: 2024, unitKind: DEPARTMENT, draws: 10}) { rank } }`),

  // People.
  gql('tokens', allowed('ADMIN'), `{ tokens { id } }`),
  gql('issueToken', allowed('ADMIN'), `mutation($input: IssueTokenInput!) { issueToken(input: $input) }`,
    (c) => ({ input: { role: 'ANALYST', name: `Matrix ${c.n}` } })),
  gql('revokeToken', allowed('ADMIN'), `mutation($id: ID!) { revokeToken(id: $id) { revokedAt } }`, async (c) => {
    await issue('ANALYST', `To revoke ${c.n}`);
    return { id: await tokenId(`To revoke ${c.n}`) };
  }),

  // Scores: an APPRAISER signs as itself in the council's rounds, a UNIT token its own self-assessment, ADMIN anything.
  gql('submitExpertScores APPRAISAL', allowed('APPRAISER', 'ADMIN'), SCORE, (c) => scores(c, 'APPRAISAL')),
  gql('submitExpertScores APPRAISAL as another panelist', allowed('ADMIN'), SCORE, (c) => scores(c, 'APPRAISAL', 'P2')),
  gql('submitExpertScores SELF_ASSESSMENT', allowed('UNIT_OWN', 'ADMIN'), SCORE, (c) => scores(c, 'SELF_ASSESSMENT')),

  // Withdrawing a score: who may, as for submitting it. Each cell first has ADMIN store the score it withdraws.
  gql('withdrawExpertScore APPRAISAL', allowed('APPRAISER', 'ADMIN'), WITHDRAW, async (c) => {
    await admin(SCORE, { input: { year: 2024, unitCode: c.unitCode, round: 'APPRAISAL', panelist: 'P1', scores: [{ criterionCode: 'C2', points: 7 }] } });
    return { u: c.unitCode, r: 'APPRAISAL', p: 'P1' };
  }),
  gql('withdrawExpertScore SELF_ASSESSMENT', allowed('UNIT_OWN', 'ADMIN'), WITHDRAW, async (c) => {
    await admin(SCORE, { input: { year: 2024, unitCode: c.unitCode, round: 'SELF_ASSESSMENT', panelist: c.unitCode, scores: [{ criterionCode: 'C2', points: 7 }] } });
    return { u: c.unitCode, r: 'SELF_ASSESSMENT', p: c.unitCode };
  }),
  // Every stored score with who typed it: the unit itself and the council's readers; empty for anyone else.
  gql('Unit.assessment', readable('UNIT_OWN', ...PROVISIONAL_READERS), `query($c: String!) { unit(code: $c) { assessment(year: 2024) { criterionCode } } }`,
    (c) => ({ c: c.unitCode }), (d) => d.unit.assessment.length > 0),

  // Round windows (on 2025, whose scores no other row sends).
  gql('setRoundWindow', allowed('ADMIN'), `mutation($input: RoundWindowInput!) { setRoundWindow(input: $input) { year } }`,
    () => ({ input: { year: 2025, unitKind: 'DEPARTMENT', round: 'REAPPRAISAL', opensAt: '2000-01-01T00:00:00+07:00', closesAt: '2090-01-01T00:00:00+07:00' } })),
  gql('extendRoundWindow', allowed('ADMIN'),
    `mutation($c: String!) { extendRoundWindow(year: 2025, unitKind: DEPARTMENT, round: APPRAISAL, unitCode: $c, closesAt: "2095-01-01T00:00:00+07:00") { year } }`,
    (c) => ({ c: c.unitCode })),

  // Kiosks and surveys.
  gql('submitSurveyResponse', allowed('KIOSK'),
    `mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { status } }`,
    () => ({ input: { clientId: randomUUID(), submittedAt: new Date().toISOString(), answers: [{ questionCode: 'Q1', value: 4 }] } })),
  gql('kiosks', allowed('ADMIN'), `{ kiosks { id } }`),
  gql('registerKiosk', allowed('ADMIN'), `mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { token } }`,
    (c) => ({ input: { unitCode: 'STP', label: `Quầy ${c.n}` } })),
  gql('revokeKiosk', allowed('ADMIN'), `mutation($id: ID!) { revokeKiosk(id: $id) { active } }`, async (c) => ({
    id: (await admin(`mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { kiosk { id } } }`,
      { input: { unitCode: 'STP', label: `Thu hồi ${c.n}` } })).registerKiosk.kiosk.id,
  })),
  gql('kioskAlerts', allowed('ANALYST', 'ADMIN'), `{ kioskAlerts { id } }`),
  // No such alert: ADMIN is let through and told so.
  gql('resolveKioskAlert', allowed().with({ ADMIN: 'NOT_FOUND' }),
    `mutation { resolveKioskAlert(id: "00000000-0000-4000-8000-000000000000", action: DISMISS) { id } }`),

  // Setting up the year.
  gql('createUnit', allowed('ADMIN'), `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`,
    (c) => ({ input: { code: `M${c.n}`, name: `Sở thử ${c.n}`, kind: 'DEPARTMENT' } })),
  gql('renameUnit', allowed('ADMIN'), `mutation($n: String!) { renameUnit(code: "REN", name: $n, fromYear: 2024) { name } }`,
    (c) => ({ n: `Sở đổi tên ${c.n}` })),
  gql('defineCycle', allowed('ADMIN'), `mutation($input: DefineCycleInput!) { defineCycle(input: $input) { status } }`,
    (c) => ({ input: framework(2030 + (c.n % 30)) })),
  gql('openCycle', allowed('ADMIN'), `mutation { openCycle(year: 2025, unitKind: DEPARTMENT) { status } }`),
  gql('publishCycle', allowed('ADMIN'), `mutation { publishCycle(year: 2022, unitKind: DEPARTMENT) { status } }`),
  gql('defineQuestionnaire', allowed('ADMIN'), `mutation($y: Int!) { defineQuestionnaire(year: $y, questions: [{code: "Q1", text: "Hài lòng?", element: ACCESS, scaleMax: 5}]) { code } }`,
    (c) => ({ y: 2060 + (c.n % 40) })),

  // Documents: exports read what the caller may read over GraphQL.
  http('GET /export/scorecard.xlsx (unpublished year)', readable('UNIT_OWN', ...PROVISIONAL_READERS),
    (c) => fetch(`${origin()}/export/scorecard.xlsx?year=2024&unitCode=${c.unitCode}`, { headers: bearer(c.token) })),
  http('GET /export/rankings.csv (unpublished year)', readable(...PROVISIONAL_READERS),
    (c) => fetch(`${origin()}/export/rankings.csv?year=2024&unitKind=DEPARTMENT`, { headers: bearer(c.token) }),
    (res) => Number(res.headers.get('x-row-count')) > 0),

  // Audit history.
  gql('auditLog', allowed('ANALYST', 'ADMIN'), `{ auditLog { totalCount } }`),

  // Explanation requests: the council asks, the unit answers its own (another unit's reads as absent), the council closes.
  gql('requestExplanation', allowed('APPRAISER', 'ADMIN'), REQUEST, (c) => requestVars(c.unitCode, c.n)),
  gql('answerExplanation', allowed('UNIT_OWN').with({ UNIT_OTHER: 'NOT_FOUND' }),
    `mutation($id: ID!) { answerExplanation(id: $id, answer: "Đã bổ sung kế hoạch.") { status } }`, async (c) => ({ id: await requestAsAdmin(c) })),
  gql('closeExplanation', allowed('APPRAISER', 'ADMIN'),
    `mutation($id: ID!) { closeExplanation(id: $id, resolution: "Chấp nhận.") { status } }`, async (c) => ({ id: await requestAsAdmin(c) })),
  gql('explanationRequests', readable('UNIT_OWN', ...PROVISIONAL_READERS), `query($c: String!) { explanationRequests(year: 2024, unitCode: $c) { id } }`,
    async (c) => { await requestAsAdmin(c); return { c: c.unitCode }; }, (d) => d.explanationRequests.length > 0),

  // Evidence files: the unit uploads its own (ADMIN any); the unit itself and the council's readers read them, anyone else gets 404.
  http('POST /evidence', allowed('UNIT_OWN', 'ADMIN'), (c) => upload(c.token, c.unitCode, c.n)),
  http('GET /evidence/{id}', readable('UNIT_OWN', ...PROVISIONAL_READERS).with({ KIOSK: 'absent' }), async (c) => {
    const { id } = await (await upload(ADMIN_TOKEN, c.unitCode, c.n)).json() as { id: string };
    return fetch(`${origin()}/evidence/${id}`, { headers: bearer(c.token) });
  }),
  gql('Unit.evidence', readable('UNIT_OWN', ...PROVISIONAL_READERS), `query($c: String!) { unit(code: $c) { evidence(year: 2024, criterionCode: "C1") { id } } }`,
    async (c) => { await upload(ADMIN_TOKEN, c.unitCode, c.n); return { c: c.unitCode }; }, (d) => d.unit.evidence.length > 0),
  gql('removeEvidence', allowed('UNIT_OWN', 'ADMIN').with({ UNIT_OTHER: 'NOT_FOUND' }), `mutation($id: ID!) { removeEvidence(id: $id) }`, async (c) => ({
    id: ((await (await upload(ADMIN_TOKEN, c.unitCode, c.n)).json()) as { id: string }).id,
  })),

  // Amending a published year (last: it reopens 2023).
  gql('amendPublication', allowed('ADMIN'), `mutation { amendPublication(input: {year: 2023, unitKind: DEPARTMENT, reason: "Điều chỉnh"}) { year } }`),
];

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000 });
  for (const [code, name] of [['STP', 'Sở Tư pháp'], ['SYT', 'Sở Y tế'], ['REN', 'Sở sẽ đổi tên']]) {
    await admin(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  for (const year of [2022, 2023, 2024, 2025]) await admin(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(year) });
  for (const year of [2022, 2023, 2024]) await admin(`mutation($y: Int!) { openCycle(year: $y, unitKind: DEPARTMENT) { status } }`, { y: year });
  tokens.anonymous = null;
  tokens.ADMIN = ADMIN_TOKEN;
  tokens.APPRAISER = await issue('APPRAISER', 'P1');
  tokens.ANALYST = await issue('ANALYST', 'Nhà phân tích');
  tokens.UNIT_OWN = tokens.UNIT_OTHER = await issue('UNIT', 'Cán bộ Sở Tư pháp', 'STP');
  for (const year of [2023, 2024]) {
    for (const [unitCode, points] of [['STP', 8], ['SYT', 9]] as const) {
      await t.ok(SCORE, { input: { year, unitCode, round: 'APPRAISAL', scores: [{ criterionCode: 'C1', points }, { criterionCode: 'C2', points }] } }, tokens.APPRAISER);
    }
  }
  await admin(`mutation { publishCycle(year: 2023, unitKind: DEPARTMENT) { status } }`);
  await admin(`mutation($input: RoundWindowInput!) { setRoundWindow(input: $input) { year } }`,
    { input: { year: 2025, unitKind: 'DEPARTMENT', round: 'APPRAISAL', opensAt: '2000-01-01T00:00:00+07:00', closesAt: '2090-01-01T00:00:00+07:00' } });
  await admin(`mutation($y: Int!) { defineQuestionnaire(year: $y, questions: [{code: "Q1", text: "Anh/chị hài lòng?", element: ACCESS, scaleMax: 5}]) { code } }`, { y: YEAR_NOW });
  tokens.KIOSK = (await admin(`mutation { registerKiosk(input: {unitCode: "STP", label: "Quầy 1"}) { token } }`)).registerKiosk.token;
  for (let i = 0; i < 3; i++) {
    const r = await t.ok(`mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { status } }`,
      { input: { clientId: randomUUID(), submittedAt: new Date().toISOString(), answers: [{ questionCode: 'Q1', value: 5 }] } }, tokens.KIOSK);
    expect(r.submitSurveyResponse.status).toBe('ACCEPTED');
  }
}, 120000);
afterAll(async () => { await t?.stop(); });

test.each(ROWS.map((row) => [row.op, row] as const))('%s', async (_op, row) => {
  const actual = {} as Expected;
  for (const column of COLUMNS) {
    const cell: Cell = { column, token: tokens[column], unitCode: column === 'UNIT_OTHER' ? 'SYT' : 'STP', n: ++counter };
    actual[column] = await row.run(cell);
  }
  expect(actual).toEqual(row.expected);
});
