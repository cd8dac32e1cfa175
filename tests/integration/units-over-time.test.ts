import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../support/test-service';

/*
 * Units over time (issue 13; API.md "Units over time", DOMAIN.md "The map
 * changes"), over HTTP. One province on both maps:
 *
 *   2024, three tiers                      2025, two tiers
 *   D1 UBND huyện An                       (no districts)
 *     C1 UBND xã An Hòa     9 points  ┐
 *     C2 UBND xã An Lạc     8 points  ├──► M  UBND xã An Cường   9.5 points, no parent
 *   D2 UBND huyện Bình                │
 *     C3 UBND xã Cường      7 points  ┘
 *     C4 UBND xã Bình       7 points  ────► C4 renamed "UBND xã Sơn" from 2025, 6 points, no parent
 *
 * One EXPERT leaf of 10 points: the index is 10 × points. 2024 ranks C1 1st
 * (90), C2 2nd (80), C3 and C4 tied 3rd (70); the tie is listed by the 2024
 * names, "Bình" before "Cường", although C4's current name "Sơn" sorts
 * after. 2024 is published before the merger; 2025 ranks M 1st (95), C4 2nd
 * (60, up one place from 3rd); M, new, has no rank change.
 */

let t: TestService;

const CREATE = `mutation($input: CreateUnitInput!) { createUnit(input: $input) { code firstYear lastYear } }`;
const DEFINE = `mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year unitKind } }`;
const SCORE = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score rank } }`;
const MERGE = `mutation($input: MergeUnitsInput!) { mergeUnits(input: $input) { code firstYear lastYear } }`;
const RENAME = `mutation($code: String!, $name: String!, $fromYear: Int!) { renameUnit(code: $code, name: $name, fromYear: $fromYear) { code name } }`;
const MOVE = `mutation($code: String!, $parentCode: String, $fromYear: Int!) { moveUnit(code: $code, parentCode: $parentCode, fromYear: $fromYear) { code } }`;
const RETIRE = `mutation($code: String!, $lastYear: Int!) { retireUnit(code: $code, lastYear: $lastYear) { code lastYear } }`;
const RANKINGS = `query($year: Int!, $parentCode: String) {
  rankings(year: $year, unitKind: COMMUNE, parentCode: $parentCode) {
    totalCount summary { count average highest { unitName } lowest { unitName } }
    edges { rank score node { unitName rank previousRank rankChange unit { code name } } } } }`;
const UNITS = `query($year: Int, $kind: UnitKind, $search: String, $parentCode: String) {
  units(year: $year, kind: $kind, search: $search, parentCode: $parentCode, first: 100) {
    totalCount edges { node { code name parent { code name } } } } }`;

const framework = (year: number, unitKind = 'COMMUNE') => ({
  year, unitKind,
  domains: [{ code: 'D1', name: 'Cải cách thủ tục hành chính', criteria: [{ code: 'L1', name: 'Tỷ lệ hồ sơ đúng hạn', maxPoints: 10, source: 'EXPERT' }] }],
});
const score = (year: number, unitCode: string, points: number) =>
  t.gql(SCORE, { input: { year, unitCode, round: 'APPRAISAL', panelist: 'Hội đồng', scores: [{ criterionCode: 'L1', points }] } });

let kioskToken = '';
const submit = (submittedAt: string) => ({ clientId: randomUUID(), submittedAt, answers: [{ questionCode: 'Q1', value: 3 }] });
const unitOfResponse = async (clientId: string) =>
  (await t.sql(`SELECT u.code FROM survey_response r JOIN unit u ON u.id = r.unit_id WHERE r.client_id = $1`, [clientId]))[0]?.code;
const beforeMerge = submit('2024-06-03T02:00:00Z');

/** Every row of the map: a refusal must leave them all as they were. */
async function mapRows(): Promise<unknown> {
  return {
    units: await t.sql('SELECT id, code, name, kind, parent_id, first_year, last_year, search_text FROM unit ORDER BY id'),
    names: await t.sql('SELECT unit_id, from_year, to_year, name FROM unit_name ORDER BY unit_id, from_year'),
    parents: await t.sql('SELECT unit_id, from_year, to_year, parent_id FROM unit_parent ORDER BY unit_id, from_year'),
    lineage: await t.sql('SELECT * FROM unit_lineage ORDER BY predecessor_id, successor_id'),
    kiosks: await t.sql('SELECT kiosk_id, unit_id, from_date::text FROM kiosk_assignment ORDER BY kiosk_id, from_date'),
  };
}

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60_000 });
  for (const input of [
    { code: 'DEP', name: 'Sở Tư pháp', kind: 'DEPARTMENT' },
    { code: 'D1', name: 'UBND huyện An', kind: 'DISTRICT' },
    { code: 'D2', name: 'UBND huyện Bình', kind: 'DISTRICT' },
    { code: 'C1', name: 'UBND xã An Hòa', kind: 'COMMUNE', parentCode: 'D1' },
    { code: 'C2', name: 'UBND xã An Lạc', kind: 'COMMUNE', parentCode: 'D1' },
    { code: 'C3', name: 'UBND xã Cường', kind: 'COMMUNE', parentCode: 'D2' },
    { code: 'C4', name: 'UBND xã Bình', kind: 'COMMUNE', parentCode: 'D2' },
  ]) await t.ok(CREATE, { input });
  for (const year of [2024, 2025]) {
    await t.ok(`mutation($year: Int!) { defineQuestionnaire(year: $year, questions: [{code: "Q1", text: "Hài lòng", element: ACCESS, scaleMax: 3}]) { code } }`, { year });
  }
  await t.ok(DEFINE, { input: framework(2024) });
  await t.ok(`mutation { openCycle(year: 2024, unitKind: COMMUNE) { status } }`);
  for (const [code, points] of [['C1', 9], ['C2', 8], ['C3', 7], ['C4', 7]] as const) expect((await score(2024, code, points)).errors).toBeUndefined();

  // C4 is renamed from 2025 while 2024 is still open: 2024 is recomputed, with its own names.
  await t.ok(RENAME, { code: 'C4', name: 'UBND xã Sơn', fromYear: 2025 });
  await t.service.services.recompute.tick();

  kioskToken = (await t.ok(`mutation { registerKiosk(input: {unitCode: "C1", label: "Kiosk xã An Hòa"}) { token } }`)).registerKiosk.token;
  await t.ok(`mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { status } }`, { input: beforeMerge }, kioskToken);

  await t.ok(`mutation { publishCycle(year: 2024, unitKind: COMMUNE) { status } }`);
  await t.ok(MERGE, { input: { codes: ['C1', 'C2', 'C3'], into: { code: 'M', name: 'UBND xã An Cường', kind: 'COMMUNE' }, fromYear: 2025 } });

  await t.ok(DEFINE, { input: framework(2025) });
  await t.ok(`mutation { openCycle(year: 2025, unitKind: COMMUNE) { status } }`);
  for (const [code, points] of [['M', 9.5], ['C4', 6]] as const) expect((await score(2025, code, points)).errors).toBeUndefined();
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('a three-tier year and a two-tier year of the same province', () => {
  test('2024 ranks the four communes of two districts; 2025 the merged commune and C4, directly under the province', async () => {
    const y2024 = (await t.ok(RANKINGS, { year: 2024 }, null)).rankings;
    expect(y2024.edges.map((e: any) => [e.rank, e.node.unit.code, e.node.unitName])).toEqual([
      [1, 'C1', 'UBND xã An Hòa'], [2, 'C2', 'UBND xã An Lạc'], [3, 'C4', 'UBND xã Bình'], [3, 'C3', 'UBND xã Cường'],
    ]);
    const y2025 = (await t.ok(RANKINGS, { year: 2025 }, null)).rankings;
    // 2025 is open: an analyst's view (the admin's token).
    const open = (await t.ok(RANKINGS, { year: 2025 })).rankings;
    expect(y2025.totalCount).toBe(0);
    expect(open.edges.map((e: any) => [e.rank, e.node.unit.code, e.node.unitName, e.score])).toEqual([
      [1, 'M', 'UBND xã An Cường', 95], [2, 'C4', 'UBND xã Sơn', 60],
    ]);
    expect(open.summary).toEqual({ count: 2, average: 77.5, highest: { unitName: 'UBND xã An Cường' }, lowest: { unitName: 'UBND xã Sơn' } });
  });

  test('units(year:) lists each year\'s units under that year\'s parents, with that year\'s names', async () => {
    const list = async (year: number, kind: string) => (await t.ok(UNITS, { year, kind }, null)).units.edges.map((e: any) =>
      [e.node.code, e.node.name, e.node.parent?.code ?? null]);
    expect(await list(2024, 'COMMUNE')).toEqual([
      ['C1', 'UBND xã An Hòa', 'D1'], ['C2', 'UBND xã An Lạc', 'D1'], ['C4', 'UBND xã Bình', 'D2'], ['C3', 'UBND xã Cường', 'D2'],
    ]);
    expect(await list(2025, 'COMMUNE')).toEqual([['M', 'UBND xã An Cường', null], ['C4', 'UBND xã Sơn', null]]);
    expect(await list(2024, 'DISTRICT')).toEqual([['D1', 'UBND huyện An', null], ['D2', 'UBND huyện Bình', null]]);
    expect(await list(2025, 'DISTRICT')).toEqual([]);
    const d2 = (await t.ok(`{ units(year: 2024, kind: DISTRICT, search: "binh") { edges { node { code children { code name } } } } }`, {}, null)).units.edges;
    expect(d2).toEqual([{ node: { code: 'D2', children: [{ code: 'C4', name: 'UBND xã Bình' }, { code: 'C3', name: 'UBND xã Cường' }] } }]);
  });

  test('parentCode filters by the parent of that year, with the ranks within it; a district in 2025 is refused saying why', async () => {
    const d2 = (await t.ok(RANKINGS, { year: 2024, parentCode: 'D2' }, null)).rankings;
    expect(d2.edges.map((e: any) => [e.rank, e.node.unit.code])).toEqual([[1, 'C4'], [1, 'C3']]);
    const refused = await t.gql(RANKINGS, { year: 2025, parentCode: 'D2' });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'parentCode' });
    expect(refused.errors?.[0].message).toMatch(/does not exist in 2025.*directly under the province/);
  });

  test('a DISTRICT cycle or unit for 2025 is refused, saying districts end in 2024', async () => {
    const cycle = await t.gql(DEFINE, { input: framework(2025, 'DISTRICT') });
    expect(cycle.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.unitKind' });
    expect(cycle.errors?.[0].message).toMatch(/up to 2024.*abolished on 1 July 2025/);
    const unit = await t.gql(CREATE, { input: { code: 'D9', name: 'UBND huyện Mới', kind: 'DISTRICT', firstYear: 2025 } });
    expect(unit.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.firstYear' });
    expect(await t.sql(`SELECT count(*)::int AS n FROM cycle WHERE unit_kind = 'DISTRICT'`)).toEqual([{ n: 0 }]);
    // Every district reads as ending in 2024.
    expect((await t.ok(`{ unit(code: "D1") { firstYear lastYear } }`, {}, null)).unit).toEqual({ firstYear: 2000, lastYear: 2024 });
  });
});

describe('a merger of three communes', () => {
  test('the new unit\'s history shows the three with their own names, its own result first', async () => {
    const m = (await t.ok(`{ unit(code: "M") { firstYear lastYear predecessors { code lastYear successors { code } }
      history { year unitName score rank unit { code } } } }`)).unit;
    expect(m.firstYear).toBe(2025);
    expect(m.lastYear).toBeNull();
    expect(m.predecessors).toEqual([
      { code: 'C1', lastYear: 2024, successors: [{ code: 'M' }] },
      { code: 'C2', lastYear: 2024, successors: [{ code: 'M' }] },
      { code: 'C3', lastYear: 2024, successors: [{ code: 'M' }] },
    ]);
    expect(m.history).toEqual([
      { year: 2025, unitName: 'UBND xã An Cường', score: 95, rank: 1, unit: { code: 'M' } },
      { year: 2024, unitName: 'UBND xã An Hòa', score: 90, rank: 1, unit: { code: 'C1' } },
      { year: 2024, unitName: 'UBND xã An Lạc', score: 80, rank: 2, unit: { code: 'C2' } },
      { year: 2024, unitName: 'UBND xã Cường', score: 70, rank: 3, unit: { code: 'C3' } },
    ]);
    // An anonymous reader sees the published years only.
    const anonymous = (await t.ok(`{ unit(code: "M") { history { year unit { code } } } }`, {}, null)).unit.history;
    expect(anonymous.map((r: any) => `${r.year} ${r.unit.code}`)).toEqual(['2024 C1', '2024 C2', '2024 C3']);
  });

  test('no rank change in its first year; a unit that was ranked the year before has one', async () => {
    const open = (await t.ok(RANKINGS, { year: 2025 })).rankings.edges.map((e: any) => [e.node.unit.code, e.node.previousRank, e.node.rankChange]);
    expect(open).toEqual([['M', null, null], ['C4', 3, 1]]);
  });

  test('scores for a merged unit after its last year, or a new unit before its first, are CONFLICT and store nothing', async () => {
    const before = await t.sql('SELECT count(*)::int AS n FROM expert_score');
    for (const [year, code] of [[2025, 'C1'], [2024, 'M']] as const) {
      const r = await score(year, code, 5);
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.unitCode' });
      expect(r.errors?.[0].message).toMatch(new RegExp(`${code} does not exist in ${year}`));
    }
    expect(await t.sql('SELECT count(*)::int AS n FROM expert_score')).toEqual(before);
  });
});

describe('a rename', () => {
  test('the old year keeps the old name in rankings, ties and export; the new year shows the new one', async () => {
    const c4 = (await t.ok(`{ unit(code: "C4") { name names { name fromYear } y2024: nameIn(year: 2024) y2025: nameIn(year: 2025) y1999: nameIn(year: 2000) } }`, {}, null)).unit;
    expect(c4).toEqual({
      name: 'UBND xã Sơn', names: [{ name: 'UBND xã Bình', fromYear: 2000 }, { name: 'UBND xã Sơn', fromYear: 2025 }],
      y2024: 'UBND xã Bình', y2025: 'UBND xã Sơn', y1999: 'UBND xã Bình',
    });
    // The tie at 3rd place in 2024 is listed by the 2024 names: Bình before Cường (the current name Sơn would come after).
    const ranked = (await t.ok(RANKINGS, { year: 2024 }, null)).rankings.edges.slice(2).map((e: any) => e.node.unitName);
    expect(ranked).toEqual(['UBND xã Bình', 'UBND xã Cường']);
    const res = await fetch(`${t.url.replace(/\/graphql$/, '')}/export/rankings.csv?year=2024&unitKind=COMMUNE`);
    expect(res.status).toBe(200);
    const csv = await res.text();
    expect(csv).toContain('UBND xã Bình');
    expect(csv).not.toContain('UBND xã Sơn');
    expect(csv.indexOf('UBND xã Bình')).toBeLessThan(csv.indexOf('UBND xã Cường'));
  });

  test('search finds a unit by a former name', async () => {
    const found = (await t.ok(UNITS, { search: 'xa binh' }, null)).units.edges.map((e: any) => [e.node.code, e.node.name]);
    expect(found).toEqual([['C4', 'UBND xã Sơn']]);
  });
});

describe('a kiosk moved by a merger', () => {
  test('its responses land on the unit it served on their Vietnam date', async () => {
    expect(await unitOfResponse(beforeMerge.clientId)).toBe('C1');
    // Sent after the merger by a kiosk that was offline: the last evening of 2024 in Huế, the first minutes of 2025, March 2025.
    const lastOf2024 = submit('2024-12-31T16:59:59Z');
    const firstOf2025 = submit('2024-12-31T17:00:00Z');
    const march = submit('2025-03-03T02:00:00Z');
    const r = await t.ok(`mutation($inputs: [SubmitSurveyResponseInput!]!) { submitSurveyResponses(inputs: $inputs) { status } }`,
      { inputs: [lastOf2024, firstOf2025, march] }, kioskToken);
    expect(r.submitSurveyResponses.map((s: any) => s.status)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    expect(await unitOfResponse(lastOf2024.clientId)).toBe('C1');
    expect(await unitOfResponse(firstOf2025.clientId)).toBe('M');
    expect(await unitOfResponse(march.clientId)).toBe('M');
    expect((await t.ok(`{ kiosks { unit { code } } }`)).kiosks).toEqual([{ unit: { code: 'M' } }]);
    // Satisfaction of each year reads its own units: M has the two 2025 responses, C1 its 2024 one (the late one left out).
    const stats = async (year: number, unitCode: string) =>
      (await t.ok(`query($year: Int!, $unitCode: String) { satisfaction(year: $year, unitCode: $unitCode) { key responses } }`, { year, unitCode })).satisfaction;
    expect(await stats(2025, 'M')).toEqual([{ key: 'Q1', responses: 2 }]);
    expect(await stats(2024, 'C1')).toEqual([{ key: 'Q1', responses: 1 }]);
    expect(await stats(2025, 'C1')).toEqual([]);
  });
});

describe('refusals: BAD_USER_INPUT naming the field, nothing changed', () => {
  test.each([
    ['a merged unit that does not exist the year before', MERGE,
      { input: { codes: ['C4', 'C1'], into: { code: 'N1', name: 'UBND xã Mới', kind: 'COMMUNE' }, fromYear: 2026 } }, 'input.codes[1]', /C1.*does not exist in 2025/],
    ['a unit code that names no unit', MERGE,
      { input: { codes: ['NOPE'], into: { code: 'N1', name: 'UBND xã Mới', kind: 'COMMUNE' }, fromYear: 2026 } }, 'input.codes[0]', /names no unit/],
    ['units of different kinds', MERGE,
      { input: { codes: ['C4', 'DEP'], into: { code: 'N1', name: 'UBND xã Mới', kind: 'COMMUNE' }, fromYear: 2026 } }, 'input.codes[1]', /one kind/],
    ['the new unit of another kind', MERGE,
      { input: { codes: ['C4'], into: { code: 'N1', name: 'Sở Mới', kind: 'DEPARTMENT' }, fromYear: 2026 } }, 'input.into.kind', /keeps the kind/],
    ['into an existing code', MERGE,
      { input: { codes: ['C4'], into: { code: 'DEP', name: 'UBND xã Mới', kind: 'COMMUNE' }, fromYear: 2026 } }, 'input.into.code', /already used/],
    ['into a name another unit has that year', MERGE,
      { input: { codes: ['C4'], into: { code: 'N1', name: 'UBND xã An Cường', kind: 'COMMUNE' }, fromYear: 2026 } }, 'input.into.name', /already the name of M in 2026/],
    ['a rename to an empty name', RENAME, { code: 'M', name: '   ', fromYear: 2026 }, 'name', /must not be empty/],
    ['a rename to a name another unit has that year', RENAME, { code: 'C4', name: 'UBND xã An Cường', fromYear: 2026 }, 'name', /already the name of M in 2026/],
    ['a rename before the unit exists', RENAME, { code: 'M', name: 'UBND xã Khác', fromYear: 2024 }, 'fromYear', /outside the years of M/],
    ['a move under a unit of the wrong kind', MOVE, { code: 'C4', parentCode: 'DEP', fromYear: 2024 }, 'parentCode', /must be a DISTRICT/],
    ['a move under a parent that does not exist that year', MOVE, { code: 'C4', parentCode: 'D1', fromYear: 2025 }, 'parentCode', /does not exist in 2025/],
    ['a move under a parent that does not exist', MOVE, { code: 'C4', parentCode: 'NOPE', fromYear: 2024 }, 'parentCode', /names no unit/],
    ['a retirement of a district with a commune under it', RETIRE, { code: 'D1', lastYear: 2023 }, 'lastYear', /commune C1 is under D1 in 2024/],
    ['a DISTRICT retired after 2024', RETIRE, { code: 'D2', lastYear: 2025 }, 'lastYear', /up to 2024/],
  ])('%s', async (_name, mutation, variables, field, message) => {
    const before = await mapRows();
    const r = await t.gql(mutation, variables);
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(r.errors?.[0].message).toMatch(message);
    expect(await mapRows()).toEqual(before);
  });

  test('a change that would alter a published year is CONFLICT, nothing changed', async () => {
    const before = await mapRows();
    for (const [mutation, variables] of [
      [RENAME, { code: 'C4', name: 'UBND xã Khác', fromYear: 2024 }],
      [RETIRE, { code: 'C4', lastYear: 2023 }],
      [MOVE, { code: 'C4', parentCode: null, fromYear: 2024 }],
    ] as const) {
      const r = await t.gql(mutation, variables);
      expect(r.errors?.[0].extensions?.code).toBe('CONFLICT');
      expect(r.errors?.[0].message).toMatch(/2024 COMMUNE results are published/);
    }
    expect(await mapRows()).toEqual(before);
  });

  test('only an ADMIN changes the map', async () => {
    const analyst = (await t.ok(`mutation { issueToken(input: {role: ANALYST, name: "Phân tích"}) }`)).issueToken;
    const r = await t.gql(RETIRE, { code: 'C4', lastYear: 2026 }, analyst);
    expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('a retirement', () => {
  test('the unit leaves the lists and rankings of the years after its last', async () => {
    await t.ok(CREATE, { input: { code: 'N2', name: 'UBND phường Tạm', kind: 'COMMUNE', firstYear: 2025 } });
    expect((await score(2025, 'N2', 5)).errors).toBeUndefined();
    expect((await t.ok(RANKINGS, { year: 2025 })).rankings.totalCount).toBe(3);
    expect((await t.ok(RETIRE, { code: 'N2', lastYear: 2025 })).retireUnit).toEqual({ code: 'N2', lastYear: 2025 });
    const listed = async (year: number) => (await t.ok(UNITS, { year, kind: 'COMMUNE' }, null)).units.edges.map((e: any) => e.node.code);
    expect(await listed(2025)).toContain('N2');
    expect(await listed(2026)).toEqual(['M', 'C4']);
  });
});
