import { startTestService, type GqlResult, type TestService } from '../support/test-service';

/**
 * Questionnaires and frameworks over HTTP: every validation rule refuses
 * with BAD_USER_INPUT naming its field and stores nothing; defineCycle
 * replaces an unpublished framework keeping the scores of leaves that still
 * exist; a published one is refused with CONFLICT; `cycle` reads the tree.
 */

let t: TestService;
beforeAll(async () => { t = await startTestService(); });
afterAll(async () => { await t?.stop(); });

const DEFINE_Q = `mutation($year: Int!, $questions: [QuestionInput!]!) {
  defineQuestionnaire(year: $year, questions: $questions) { code text element scaleMax satisfiedMin }
}`;
const CRITERION_FIELDS = 'code name maxPoints source questionCodes';
const CYCLE_FIELDS = `year unitKind status maxPoints expertMaxPoints surveyMaxPoints minResponses panelAggregation maxBonus maxPenalty
  bands { code label minScore }
  domains { code name maxPoints criteria { ${CRITERION_FIELDS} children { ${CRITERION_FIELDS} children { ${CRITERION_FIELDS} } } } }`;
const DEFINE_CYCLE = `mutation($input: DefineCycleInput!) { defineCycle(input: $input) { ${CYCLE_FIELDS} } }`;
const CYCLE = `query($year: Int!, $unitKind: UnitKind!) { cycle(year: $year, unitKind: $unitKind) { ${CYCLE_FIELDS} } }`;

const QUESTIONS_2024 = [
  { code: 'Q1', text: 'Thông tin về thủ tục được niêm yết công khai, đầy đủ', element: 'ACCESS', scaleMax: 5 },
  { code: 'Q2', text: 'Thành phần hồ sơ đúng quy định', element: 'PROCEDURE', scaleMax: 3 },
  { code: 'Q3', text: 'Công chức tiếp nhận hồ sơ lịch sự, tận tình', element: 'CIVIL_SERVANT', scaleMax: 5, satisfiedMin: 5 },
  { code: 'Q4', text: 'Kết quả đúng hạn', element: 'RESULT', scaleMax: 3, satisfiedMin: 3 },
];

/** A valid framework: 2 domains, 60 expert + 40 survey points, a sub-criterion level. */
function framework(overrides: Record<string, unknown> = {}) {
  return {
    year: 2024,
    unitKind: 'DEPARTMENT',
    domains: [
      {
        code: 'LV1', name: 'Công tác chỉ đạo, điều hành CCHC',
        criteria: [
          { code: 'LV1.1', name: 'Kế hoạch CCHC năm', maxPoints: 20, children: [
            { code: 'LV1.1.1', name: 'Ban hành kịp thời', maxPoints: 12.5, source: 'EXPERT' },
            { code: 'LV1.1.2', name: 'Thực hiện đầy đủ', maxPoints: 7.5, source: 'EXPERT' },
          ] },
          { code: 'LV1.2', name: 'Tuyên truyền CCHC', maxPoints: 10, source: 'EXPERT' },
        ],
      },
      {
        code: 'LV2', name: 'Cải cách thủ tục hành chính',
        criteria: [
          { code: 'LV2.1', name: 'Công khai thủ tục', maxPoints: 30, source: 'EXPERT' },
          { code: 'LV2.2', name: 'Mức độ hài lòng', children: [
            { code: 'LV2.2.1', name: 'Tiếp cận dịch vụ', maxPoints: 15, source: 'SURVEY', questionCodes: ['Q1', 'Q2'] },
            { code: 'LV2.2.2', name: 'Công chức và kết quả', maxPoints: 25, source: 'SURVEY', questionCodes: ['Q3', 'Q4'] },
          ] },
        ],
      },
    ],
    ...overrides,
  };
}
type Fw = ReturnType<typeof framework>;
type Node = { code: string; children?: Node[]; [k: string]: unknown };

/** A deep copy with the node of that code changed by `edit`. */
function withNode(fw: Fw, code: string, edit: (node: Node) => void): Fw {
  const copy = JSON.parse(JSON.stringify(fw)) as Fw;
  const walk = (nodes: Node[]): boolean => nodes.some((n) => (n.code === code ? (edit(n), true) : walk(n.children ?? [])));
  const found = copy.domains.some((d) => (d.code === code ? (edit(d as unknown as Node), true) : walk(d.criteria as Node[])));
  if (!found) throw new Error(`no node ${code}`);
  return copy;
}

async function counts() {
  const [row] = await t.sql(`SELECT (SELECT count(*) FROM cycle)::int AS cycles, (SELECT count(*) FROM criterion)::int AS criteria,
    (SELECT count(*) FROM band)::int AS bands, (SELECT count(*) FROM criterion_question)::int AS links,
    (SELECT count(*) FROM question)::int AS questions,
    (SELECT md5(string_agg(concat_ws('|', id, code, name, max_points, source, parent_id, position), ',' ORDER BY id)) FROM criterion) AS tree`);
  return row;
}

function expectInvalid(r: GqlResult, field: string, message?: RegExp | null) {
  expect(r.errors).toHaveLength(1);
  expect(r.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
  expect(r.errors![0].extensions?.field).toBe(field);
  if (message) expect(r.errors![0].message).toMatch(message);
}

describe('defineQuestionnaire validation', () => {
  const q = (overrides: Record<string, unknown>) => [{ ...QUESTIONS_2024[0] }, { ...QUESTIONS_2024[1], ...overrides }];

  test.each<[string, number, Record<string, unknown>[], string]>([
    ['year 1999', 1999, QUESTIONS_2024, 'year'],
    ['year 2101', 2101, QUESTIONS_2024, 'year'],
    ['a scale of 4', 2024, q({ scaleMax: 4 }), 'questions[1].scaleMax'],
    ['a scale of 10', 2024, q({ scaleMax: 10 }), 'questions[1].scaleMax'],
    ['a threshold of 0', 2024, q({ scaleMax: 5, satisfiedMin: 0 }), 'questions[1].satisfiedMin'],
    ['a threshold of 6 on a 5-level scale', 2024, q({ scaleMax: 5, satisfiedMin: 6 }), 'questions[1].satisfiedMin'],
    ['a threshold of 4 on a 3-level scale', 2024, q({ scaleMax: 3, satisfiedMin: 4 }), 'questions[1].satisfiedMin'],
    ['a repeated code', 2024, q({ code: 'Q1' }), 'questions[1].code'],
    ['a lower-case code', 2024, q({ code: 'q2' }), 'questions[1].code'],
    ['an empty text', 2024, q({ text: ' ' }), 'questions[1].text'],
    ['no question at all', 2024, [], 'questions'],
  ])('refuses %s, naming the field, storing nothing', async (_label, year, questions, field) => {
    const before = await counts();
    const r = await t.gql(DEFINE_Q, { year, questions });
    expectInvalid(r, field);
    expect(r.data?.defineQuestionnaire ?? null).toBeNull();
    expect(await counts()).toEqual(before);
  });

  test('refuses an unknown service element as BAD_USER_INPUT', async () => {
    const r = await t.gql(DEFINE_Q, { year: 2024, questions: q({ element: 'SPEED' }) });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('accepts 3- and 5-level questions; thresholds default to 4 of 5 and 2 of 3; texts in NFC', async () => {
    const questions = QUESTIONS_2024.map((x) => ({ ...x, text: x.text.normalize('NFD') }));
    const d = await t.ok(DEFINE_Q, { year: 2024, questions });
    expect(d.defineQuestionnaire).toEqual([
      { code: 'Q1', text: QUESTIONS_2024[0].text.normalize('NFC'), element: 'ACCESS', scaleMax: 5, satisfiedMin: 4 },
      { code: 'Q2', text: QUESTIONS_2024[1].text.normalize('NFC'), element: 'PROCEDURE', scaleMax: 3, satisfiedMin: 2 },
      { code: 'Q3', text: QUESTIONS_2024[2].text.normalize('NFC'), element: 'CIVIL_SERVANT', scaleMax: 5, satisfiedMin: 5 },
      { code: 'Q4', text: QUESTIONS_2024[3].text.normalize('NFC'), element: 'RESULT', scaleMax: 3, satisfiedMin: 3 },
    ]);
    const read = await t.ok(`{ questionnaire(year: 2024) { code satisfiedMin } }`, {}, null);
    expect(read.questionnaire.map((x: { code: string }) => x.code)).toEqual(['Q1', 'Q2', 'Q3', 'Q4']);
    await t.ok(DEFINE_Q, { year: 2023, questions: [{ code: 'Q9', text: 'Câu hỏi năm 2023', element: 'FEEDBACK', scaleMax: 5, satisfiedMin: 1 }] });
    const other = await t.ok(`{ questionnaire(year: 2023) { code satisfiedMin } }`, {}, null);
    expect(other.questionnaire).toEqual([{ code: 'Q9', satisfiedMin: 1 }]);
  });
});

describe('defineCycle validation', () => {
  const leaf = (edit: (n: Node) => void, code = 'LV1.2') => withNode(framework(), code, edit);

  const cases: [string, () => Fw, string, RegExp?][] = [
    ['year 1999', () => framework({ year: 1999 }), 'input.year'],
    ['year 2101', () => framework({ year: 2101 }), 'input.year'],
    ['no domain', () => framework({ domains: [] }), 'input.domains'],
    ['a domain without criteria', () => withNode(framework(), 'LV1', (n) => { n.criteria = []; }), 'input.domains[0].criteria'],
    ['a lower-case domain code', () => withNode(framework(), 'LV1', (n) => { n.code = 'lv1'; }), 'input.domains[0].code'],
    ['a criterion code with a space', () => leaf((n) => { n.code = 'LV 1.2'; }), 'input.domains[0].criteria[1].code'],
    ['a criterion code repeated in another domain', () => leaf((n) => { n.code = 'LV2.1'; }), 'input.domains[1].criteria[0].code', /LV2\.1/],
    ['a criterion code equal to a domain code', () => withNode(framework(), 'LV2.1', (n) => { n.code = 'LV1'; }), 'input.domains[1].criteria[0].code'],
    ['a repeated code deep in the tree', () => withNode(framework(), 'LV2.2.2', (n) => { n.code = 'LV1.1.1'; }), 'input.domains[1].criteria[1].children[1].code'],
    ['a leaf without maxPoints', () => leaf((n) => { delete n.maxPoints; }), 'input.domains[0].criteria[1].maxPoints'],
    ['a leaf with maxPoints 0', () => leaf((n) => { n.maxPoints = 0; }), 'input.domains[0].criteria[1].maxPoints'],
    ['a leaf with negative maxPoints', () => leaf((n) => { n.maxPoints = -2; }), 'input.domains[0].criteria[1].maxPoints'],
    ['a leaf with three decimals', () => leaf((n) => { n.maxPoints = 2.125; }), 'input.domains[0].criteria[1].maxPoints', /two decimals/],
    ['a leaf above 99999.99 points', () => leaf((n) => { n.maxPoints = 100000; }), 'input.domains[0].criteria[1].maxPoints'],
    ['a SURVEY leaf naming a lower-case question code', () => withNode(framework(), 'LV2.2.1', (n) => { n.questionCodes = ['q1']; }), 'input.domains[1].criteria[1].children[0].questionCodes[0]'],
    ['a leaf without a source', () => leaf((n) => { delete n.source; }), 'input.domains[0].criteria[1].source'],
    ['an inner criterion with a source', () => withNode(framework(), 'LV1.1', (n) => { n.source = 'EXPERT'; }), 'input.domains[0].criteria[0].source'],
    ['an inner maximum that is not the sum of its children', () => withNode(framework(), 'LV1.1', (n) => { n.maxPoints = 21; }), 'input.domains[0].criteria[0].maxPoints', /20/],
    ['an inner maximum with three decimals', () => withNode(framework(), 'LV1.1', (n) => { n.maxPoints = 20.001; }), 'input.domains[0].criteria[0].maxPoints'],
    ['a SURVEY leaf naming no question', () => withNode(framework(), 'LV2.2.1', (n) => { n.questionCodes = []; }), 'input.domains[1].criteria[1].children[0].questionCodes'],
    ['a SURVEY leaf without questionCodes', () => withNode(framework(), 'LV2.2.1', (n) => { delete n.questionCodes; }), 'input.domains[1].criteria[1].children[0].questionCodes'],
    ['a SURVEY leaf naming an unknown question', () => withNode(framework(), 'LV2.2.2', (n) => { n.questionCodes = ['Q3', 'Q77']; }), 'input.domains[1].criteria[1].children[1].questionCodes[1]', /Q77/],
    ["a SURVEY leaf naming another year's question", () => withNode(framework(), 'LV2.2.1', (n) => { n.questionCodes = ['Q9']; }), 'input.domains[1].criteria[1].children[0].questionCodes[0]', /2024/],
    ['an EXPERT leaf naming questions', () => leaf((n) => { n.questionCodes = ['Q1']; }), 'input.domains[0].criteria[1].questionCodes'],
    ['bands of equal minima', () => framework({ bands: [{ code: 'A', label: 'A', minScore: 80 }, { code: 'B', label: 'B', minScore: 80 }] }), 'input.bands[1].minScore', /strictly/],
    ['ascending bands', () => framework({ bands: [{ code: 'A', label: 'A', minScore: 50 }, { code: 'B', label: 'B', minScore: 0 }, { code: 'C', label: 'C', minScore: 90 }] }), 'input.bands[2].minScore'],
    ['a last band below 0', () => framework({ bands: [{ code: 'A', label: 'A', minScore: 80 }, { code: 'B', label: 'B', minScore: -1 }] }), 'input.bands[1].minScore'],
    ['a band above 100', () => framework({ bands: [{ code: 'A', label: 'A', minScore: 100.5 }, { code: 'B', label: 'B', minScore: 0 }] }), 'input.bands[0].minScore'],
    ['a band minimum with three decimals', () => framework({ bands: [{ code: 'A', label: 'A', minScore: 80.125 }, { code: 'B', label: 'B', minScore: 0 }] }), 'input.bands[0].minScore'],
    ['a band with an empty label', () => framework({ bands: [{ code: 'A', label: ' ', minScore: 0 }] }), 'input.bands[0].label'],
    ['a repeated band code', () => framework({ bands: [{ code: 'A', label: 'A', minScore: 80 }, { code: 'A', label: 'B', minScore: 0 }] }), 'input.bands[1].code'],
    ['an empty band list', () => framework({ bands: [] }), 'input.bands'],
    ['minResponses 0', () => framework({ minResponses: 0 }), 'input.minResponses'],
    ['a negative bonus cap', () => framework({ maxBonus: -1 }), 'input.maxBonus'],
  ];

  // Every row has four entries: jest would pass its `done` callback in place of a missing one.
  const rows = cases.map(([label, make, field, message]) => [label, make, field, message ?? null] as const);
  test.each(rows)('refuses %s, naming the field, storing nothing', async (_label, make, field, message) => {
    const before = await counts();
    const r = await t.gql(DEFINE_CYCLE, { input: make() });
    expectInvalid(r, field, message);
    expect(r.data?.defineCycle ?? null).toBeNull();
    expect(await counts()).toEqual(before);
  });

  test('a refused redefinition leaves the stored framework as it was', async () => {
    await t.ok(DEFINE_CYCLE, { input: framework({ unitKind: 'DISTRICT' }) });
    const before = await counts();
    const cycleBefore = await t.ok(CYCLE, { year: 2024, unitKind: 'DISTRICT' });
    const bad = withNode(framework({ unitKind: 'DISTRICT', minResponses: 5 }), 'LV2.2.2', (n) => { n.questionCodes = ['NOPE']; });
    expectInvalid(await t.gql(DEFINE_CYCLE, { input: bad }), 'input.domains[1].criteria[1].children[1].questionCodes[0]');
    expect(await counts()).toEqual(before);
    expect(await t.ok(CYCLE, { year: 2024, unitKind: 'DISTRICT' })).toEqual(cycleBefore);
    expect(cycleBefore.cycle.minResponses).toBe(30);
  });
});

describe('defineCycle and cycle', () => {
  test('returns the tree with summed maxima, the source split and the default bands; cycle reads the same', async () => {
    const d = await t.ok(DEFINE_CYCLE, { input: framework() });
    const c = d.defineCycle;
    expect(c).toMatchObject({
      year: 2024, unitKind: 'DEPARTMENT', status: 'DRAFT',
      maxPoints: 100, expertMaxPoints: 60, surveyMaxPoints: 40,
      minResponses: 30, panelAggregation: 'MEAN', maxBonus: 0, maxPenalty: 0,
    });
    expect(c.bands).toEqual([
      { code: 'EXCELLENT', label: 'Xuất sắc', minScore: 90 },
      { code: 'GOOD', label: 'Tốt', minScore: 80 },
      { code: 'FAIR', label: 'Khá', minScore: 70 },
      { code: 'AVERAGE', label: 'Trung bình', minScore: 50 },
      { code: 'WEAK', label: 'Yếu', minScore: 0 },
    ]);
    expect(c.domains.map((x: { code: string; maxPoints: number }) => [x.code, x.maxPoints])).toEqual([['LV1', 30], ['LV2', 70]]);
    const [lv1, lv2] = c.domains;
    expect(lv1.criteria[0]).toMatchObject({ code: 'LV1.1', maxPoints: 20, source: null, questionCodes: [] });
    expect(lv1.criteria[0].children).toEqual([
      { code: 'LV1.1.1', name: 'Ban hành kịp thời', maxPoints: 12.5, source: 'EXPERT', questionCodes: [], children: [] },
      { code: 'LV1.1.2', name: 'Thực hiện đầy đủ', maxPoints: 7.5, source: 'EXPERT', questionCodes: [], children: [] },
    ]);
    // An inner criterion without maxPoints gets the sum of its children.
    expect(lv2.criteria[1]).toMatchObject({ code: 'LV2.2', maxPoints: 40, source: null });
    expect(lv2.criteria[1].children.map((x: { questionCodes: string[] }) => x.questionCodes)).toEqual([['Q1', 'Q2'], ['Q3', 'Q4']]);
    const read = await t.ok(CYCLE, { year: 2024, unitKind: 'DEPARTMENT' });
    expect(read.cycle).toEqual(c);
  });

  test('anonymous readers see a framework two levels deep', async () => {
    const r = await t.ok(`{ cycle(year: 2024, unitKind: DEPARTMENT) { maxPoints expertMaxPoints surveyMaxPoints
      bands { code } domains { code maxPoints criteria { code maxPoints source } } } }`, {}, null);
    expect(r.cycle).toMatchObject({ maxPoints: 100, expertMaxPoints: 60, surveyMaxPoints: 40 });
    expect(r.cycle.domains[1].criteria).toEqual([
      { code: 'LV2.1', maxPoints: 30, source: 'EXPERT' }, { code: 'LV2.2', maxPoints: 40, source: null },
    ]);
  });

  test('cycle is null for a year and kind with no framework', async () => {
    const r = await t.ok(CYCLE, { year: 2030, unitKind: 'COMMUNE' });
    expect(r.cycle).toBeNull();
  });

  test('keeps given bands, settings and NFC names', async () => {
    await t.ok(DEFINE_Q, { year: 2023, questions: [{ code: 'Q9', text: 'Câu hỏi năm 2023', element: 'FEEDBACK', scaleMax: 5 }] });
    const input = {
      year: 2023, unitKind: 'COMMUNE', minResponses: 10, panelAggregation: 'MEDIAN', maxBonus: 2.5, maxPenalty: 3,
      bands: [{ code: 'I', label: 'Nhóm I', minScore: 80 }, { code: 'II', label: 'Nhóm II', minScore: 65.5 }, { code: 'III', label: 'Nhóm III', minScore: 0 }],
      domains: [{ code: 'D1', name: 'Cải cách tài chính công'.normalize('NFD'), criteria: [
        { code: 'C1', name: 'Tự chủ tài chính'.normalize('NFD'), maxPoints: 0.01, source: 'EXPERT' },
        { code: 'C2', name: 'Hài lòng', maxPoints: 99.99, source: 'SURVEY', questionCodes: ['Q9', 'Q9'] },
      ] }],
    };
    const c = (await t.ok(DEFINE_CYCLE, { input })).defineCycle;
    expect(c).toMatchObject({ minResponses: 10, panelAggregation: 'MEDIAN', maxBonus: 2.5, maxPenalty: 3, maxPoints: 100, expertMaxPoints: 0.01, surveyMaxPoints: 99.99 });
    expect(c.bands).toEqual(input.bands);
    expect(c.domains[0].name).toBe('Cải cách tài chính công'.normalize('NFC'));
    expect(c.domains[0].criteria[0].name).toBe('Tự chủ tài chính'.normalize('NFC'));
    expect(c.domains[0].criteria[1].questionCodes).toEqual(['Q9']);
  });

  test('openCycle moves DRAFT to OPEN; a second open keeps it OPEN', async () => {
    const r = await t.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status maxPoints } }`);
    expect(r.openCycle).toEqual({ status: 'OPEN', maxPoints: 100 });
    const again = await t.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
    expect(again.openCycle.status).toBe('OPEN');
  });

  test('openCycle of a year without framework is NOT_FOUND; of year 1999 BAD_USER_INPUT', async () => {
    const r = await t.gql(`mutation { openCycle(year: 2031, unitKind: DISTRICT) { status } }`);
    expect(r.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const y = await t.gql(`mutation { openCycle(year: 1999, unitKind: DISTRICT) { status } }`);
    expect(y.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(y.errors?.[0].extensions?.field).toBe('year');
  });
});

describe('replacing a framework', () => {
  let s: TestService;
  let unitId: number;
  beforeAll(async () => {
    s = await startTestService();
    await s.ok(DEFINE_Q, { year: 2024, questions: QUESTIONS_2024 });
    await s.ok(`mutation { createUnit(input: {code: "S.TUPHAP", name: "Sở Tư pháp", kind: DEPARTMENT}) { id } }`);
    // Unit.id is opaque: the tests' SQL takes the internal key by code.
    [{ id: unitId }] = await s.sql(`SELECT id FROM unit WHERE code = 'S.TUPHAP'`);
  });
  afterAll(async () => { await s?.stop(); });

  async function score(code: string, round: string, points: number | null, panelist = 'hội đồng') {
    await s.sql(
      `INSERT INTO expert_score (unit_id, criterion_id, round, panelist, points, not_applicable, entered_by)
       SELECT $1, c.id, $3, $4, $5, $5::numeric IS NULL, $4 FROM criterion c JOIN cycle y ON y.id = c.cycle_id
        WHERE y.year = 2024 AND y.unit_kind = 'DEPARTMENT' AND c.code = $2`,
      [unitId, code, round, panelist, points],
    );
  }
  async function scores() {
    return s.sql(`SELECT c.code, e.round, e.panelist, e.points::text AS points, e.not_applicable
      FROM expert_score e JOIN criterion c ON c.id = e.criterion_id ORDER BY c.code, e.round::text, e.panelist`);
  }

  test('keeps expert scores of leaves that still exist, even moved or renamed; drops those of removed leaves', async () => {
    await s.ok(DEFINE_CYCLE, { input: framework() });
    await s.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
    await score('LV1.1.1', 'SELF_ASSESSMENT', 12);
    await score('LV1.1.1', 'APPRAISAL', 11.5, 'chuyên gia A');
    await score('LV1.1.2', 'APPRAISAL', 7);
    await score('LV1.2', 'APPRAISAL', null);
    await score('LV2.1', 'APPRAISAL', 28.25);
    const idsBefore = new Map((await s.sql(`SELECT code, id FROM criterion`)).map((r) => [r.code, r.id]));

    // LV1.1.2 is removed; LV1.2 moves under LV1.1 and is renamed; LV2.1 moves to a new domain LV3.
    const next = {
      year: 2024, unitKind: 'DEPARTMENT',
      domains: [
        { code: 'LV1', name: 'Công tác chỉ đạo, điều hành CCHC', criteria: [
          { code: 'LV1.1', name: 'Kế hoạch CCHC năm', children: [
            { code: 'LV1.1.1', name: 'Ban hành kịp thời', maxPoints: 12.5, source: 'EXPERT' },
            { code: 'LV1.2', name: 'Tuyên truyền, phổ biến CCHC', maxPoints: 10, source: 'EXPERT' },
          ] },
        ] },
        { code: 'LV2', name: 'Cải cách thủ tục hành chính', criteria: [
          { code: 'LV2.2', name: 'Mức độ hài lòng', children: [
            { code: 'LV2.2.1', name: 'Tiếp cận dịch vụ', maxPoints: 15, source: 'SURVEY', questionCodes: ['Q1'] },
            { code: 'LV2.2.2', name: 'Công chức và kết quả', maxPoints: 25, source: 'SURVEY', questionCodes: ['Q3', 'Q4'] },
          ] },
        ] },
        { code: 'LV3', name: 'Cải cách tổ chức bộ máy', criteria: [
          { code: 'LV2.1', name: 'Công khai thủ tục', maxPoints: 30, source: 'EXPERT' },
          { code: 'LV3.1', name: 'Sắp xếp tổ chức', maxPoints: 7.5, source: 'EXPERT' },
        ] },
      ],
    };
    const c = (await s.ok(DEFINE_CYCLE, { input: next })).defineCycle;
    expect(c).toMatchObject({ status: 'OPEN', maxPoints: 100, expertMaxPoints: 60, surveyMaxPoints: 40 });
    expect(c.domains.map((d: { code: string; maxPoints: number }) => [d.code, d.maxPoints])).toEqual([['LV1', 22.5], ['LV2', 40], ['LV3', 37.5]]);
    expect(c.domains[0].criteria[0].children[1]).toMatchObject({ code: 'LV1.2', name: 'Tuyên truyền, phổ biến CCHC' });
    expect(c.domains[1].criteria[0].children[0].questionCodes).toEqual(['Q1']);

    expect(await scores()).toEqual([
      { code: 'LV1.1.1', round: 'APPRAISAL', panelist: 'chuyên gia A', points: '11.50', not_applicable: false },
      { code: 'LV1.1.1', round: 'SELF_ASSESSMENT', panelist: 'hội đồng', points: '12.00', not_applicable: false },
      { code: 'LV1.2', round: 'APPRAISAL', panelist: 'hội đồng', points: null, not_applicable: true },
      { code: 'LV2.1', round: 'APPRAISAL', panelist: 'hội đồng', points: '28.25', not_applicable: false },
    ]);
    // Kept leaves keep their identity; the removed one is gone.
    const idsAfter = new Map((await s.sql(`SELECT code, id FROM criterion`)).map((r) => [r.code, r.id]));
    for (const code of ['LV1', 'LV1.1', 'LV1.1.1', 'LV1.2', 'LV2.1', 'LV2.2.1']) expect(idsAfter.get(code)).toBe(idsBefore.get(code));
    expect(idsAfter.has('LV1.1.2')).toBe(false);
    const [{ n }] = await s.sql(`SELECT count(*)::int AS n FROM criterion_question cq JOIN criterion c ON c.id = cq.criterion_id WHERE c.code = 'LV2.2.1'`);
    expect(n).toBe(1);
    const read = await s.ok(CYCLE, { year: 2024, unitKind: 'DEPARTMENT' });
    expect(read.cycle).toEqual(c);
  });

  test('drops the scores of a leaf that becomes a SURVEY leaf or an inner criterion', async () => {
    await score('LV3.1', 'APPRAISAL', 5);
    const next = {
      year: 2024, unitKind: 'DEPARTMENT',
      domains: [
        { code: 'LV1', name: 'Công tác chỉ đạo, điều hành CCHC', criteria: [
          { code: 'LV1.1', name: 'Kế hoạch CCHC năm', children: [
            { code: 'LV1.1.1', name: 'Ban hành kịp thời', maxPoints: 12.5, source: 'SURVEY', questionCodes: ['Q2'] },
            { code: 'LV1.2', name: 'Tuyên truyền CCHC', maxPoints: 10, source: 'EXPERT' },
          ] },
        ] },
        { code: 'LV3', name: 'Cải cách tổ chức bộ máy', criteria: [
          { code: 'LV2.1', name: 'Công khai thủ tục', maxPoints: 30, source: 'EXPERT' },
          { code: 'LV3.1', name: 'Sắp xếp tổ chức', children: [{ code: 'LV3.1.1', name: 'Giảm đầu mối', maxPoints: 7.5, source: 'EXPERT' }] },
        ] },
      ],
    };
    const c = (await s.ok(DEFINE_CYCLE, { input: next })).defineCycle;
    expect(c).toMatchObject({ maxPoints: 60, expertMaxPoints: 47.5, surveyMaxPoints: 12.5 });
    expect((await scores()).map((r) => r.code)).toEqual(['LV1.2', 'LV2.1']);
  });

  test('a published framework is refused with CONFLICT and left untouched; openCycle too', async () => {
    await s.sql(`UPDATE cycle SET status = 'PUBLISHED' WHERE year = 2024 AND unit_kind = 'DEPARTMENT'`);
    const tree = await s.sql(`SELECT id, code, name, max_points FROM criterion ORDER BY id`);
    const before = await scores();
    const r = await s.gql(DEFINE_CYCLE, { input: framework() });
    expect(r.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(r.errors?.[0].message).toMatch(/2024/);
    expect(r.data?.defineCycle ?? null).toBeNull();
    expect(await s.sql(`SELECT id, code, name, max_points FROM criterion ORDER BY id`)).toEqual(tree);
    expect(await scores()).toEqual(before);
    const o = await s.gql(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
    expect(o.errors?.[0].extensions?.code).toBe('CONFLICT');
    const read = await s.ok(CYCLE, { year: 2024, unitKind: 'DEPARTMENT' });
    expect(read.cycle.status).toBe('PUBLISHED');
    // Another kind of the same year is still free.
    const other = await s.ok(DEFINE_CYCLE, { input: framework({ unitKind: 'DISTRICT' }) });
    expect(other.defineCycle.status).toBe('DRAFT');
  });

  test('a question drawn on by a framework cannot be dropped from the questionnaire (CONFLICT)', async () => {
    const r = await s.gql(DEFINE_Q, { year: 2024, questions: QUESTIONS_2024.filter((q) => q.code !== 'Q2') });
    expect(r.errors?.[0].extensions?.code).toBe('CONFLICT');
    const [{ n }] = await s.sql(`SELECT count(*)::int AS n FROM question WHERE year = 2024`);
    expect(n).toBe(4);
  });
});
