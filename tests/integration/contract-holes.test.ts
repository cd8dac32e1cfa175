import { encodeCursor } from '../../src/util/cursor';
import { issue, score } from './results-fixture';
import { startTestService, type TestService } from '../support/test-service';

/**
 * The conventions of API.md's "Rules behind the shapes" that the service
 * once answered differently (issue 10), over HTTP as portals and analysts
 * call it.
 *
 * Departments A "Sở An", B "Sở Bình", C "Sở Cần", Z "Sở Zê". Two domains of
 * one EXPERT leaf each: D1/C1 (max 10), D2/C2 (max 10).
 *
 *   2023: A 10, 10 → 100;  B 8, 8 → 80;  C 6, C2 n/a → 60;  Z both n/a → no index
 *   2024: A 5, 5 → 50;     B 9, 9 → 90;  C 7, C2 n/a → 70;  Z both n/a → no index
 *
 * 2024 overall: B 90 (1), C 70 (2), A 50 (3). By D2: B 90, A 50, then C (D2
 * does not apply). 2023 ranks: A 1, B 2, C 3, so once 2023 is published the
 * 2024 rank changes are A 1 − 3 = −2, B 2 − 1 = +1, C 3 − 2 = +1.
 */
let t: TestService;
let p1: string;
let analyst: string;

const RANKING = `query($year: Int!, $domain: String, $after: String, $first: Int) {
  rankings(year: $year, unitKind: DEPARTMENT, domainCode: $domain, after: $after, first: $first) {
    totalCount
    edges { cursor rank score node { score rank previousRank rankChange band { code } unit { code } } }
    pageInfo { hasNextPage endCursor }
    summary { count average highest { unit { code } } lowest { unit { code } } bands { band { code } count } }
  }
}`;
const ranking = async (variables: Record<string, unknown>, token: string | null = analyst) => (await t.ok(RANKING, variables, token)).rankings;
const codes = (r: any) => r.edges.map((e: any) => e.node.unit.code);

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 100, cacheMaxAgeSeconds: 0 });
  for (const [code, name] of [['A', 'Sở An'], ['B', 'Sở Bình'], ['C', 'Sở Cần'], ['Z', 'Sở Zê']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { code } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  p1 = await issue(t, 'APPRAISER', 'P1');
  analyst = await issue(t, 'ANALYST', 'Phân tích');
  const scores: Record<number, [string, number | 'NA', number | 'NA'][]> = {
    2023: [['A', 10, 10], ['B', 8, 8], ['C', 6, 'NA'], ['Z', 'NA', 'NA']],
    2024: [['A', 5, 5], ['B', 9, 9], ['C', 7, 'NA'], ['Z', 'NA', 'NA']],
  };
  for (const year of [2023, 2024]) {
    await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, {
      input: { year, unitKind: 'DEPARTMENT', domains: [
        { code: 'D1', name: 'Công tác chỉ đạo, điều hành', criteria: [{ code: 'C1', name: 'Kế hoạch', maxPoints: 10, source: 'EXPERT' }] },
        { code: 'D2', name: 'Cải cách thủ tục hành chính', criteria: [{ code: 'C2', name: 'Một cửa', maxPoints: 10, source: 'EXPERT' }] },
      ] },
    });
    await t.ok(`mutation($year: Int!) { openCycle(year: $year, unitKind: DEPARTMENT) { status } }`, { year });
    for (const [unit, c1, c2] of scores[year]) {
      if (unit !== 'Z') {
        await score(t, p1, year, unit, 'APPRAISAL', { C1: c1, C2: c2 });
        continue;
      }
      // Z has no index to answer with: the answer says so, and the scores are stored all the same.
      const answer = await t.gql(`mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score } }`, {
        input: { year, unitCode: 'Z', round: 'APPRAISAL', scores: [{ criterionCode: 'C1', notApplicable: true }, { criterionCode: 'C2', notApplicable: true }] },
      }, p1);
      expect(answer.errors?.[0].message).toMatch(/stored/);
    }
  }
  expect(await t.sql(`SELECT count(*)::int AS n FROM expert_score s JOIN unit u ON u.id = s.unit_id WHERE u.code = 'Z'`)).toEqual([{ n: 4 }]);
}, 60000);
afterAll(async () => { await t?.stop(); });

/** Polls until `check` passes (the background recomputation), up to 5 s. */
async function eventually(check: () => Promise<void>): Promise<void> {
  const until = Date.now() + 5000;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('a unit whose applicable maximum is 0 has no index that year', () => {
  test('Z is not ranked, banded or averaged, and has no result', async () => {
    const r = await ranking({ year: 2024 });
    expect(codes(r)).toEqual(['B', 'C', 'A']);
    expect(r.edges.map((e: any) => [e.rank, e.score, e.node.band?.code])).toEqual([[1, 90, 'EXCELLENT'], [2, 70, 'FAIR'], [3, 50, 'AVERAGE']]);
    expect(r.totalCount).toBe(3);
    // (90 + 70 + 50) / 3 = 70, not (90 + 70 + 50 + 0) / 4 = 52.5; no WEAK.
    expect(r.summary).toMatchObject({ count: 3, average: 70, lowest: { unit: { code: 'A' } } });
    expect(r.summary.bands.map((b: any) => [b.band.code, b.count])).toEqual([['EXCELLENT', 1], ['GOOD', 0], ['FAIR', 1], ['AVERAGE', 1], ['WEAK', 0]]);
    const z = await t.ok(`{ unit(code: "Z") { result(year: 2024) { score } results { year } } }`, {}, analyst);
    expect(z.unit).toEqual({ result: null, results: [] });
  });
});

describe('a ranking by domain lists units the domain does not apply to last, outside the summary', () => {
  test('by D2: B, A, then C; the summary counts B and A only', async () => {
    const r = await ranking({ year: 2024, domain: 'D2' });
    expect(codes(r)).toEqual(['B', 'A', 'C']);
    expect(r.edges.map((e: any) => e.rank)).toEqual([1, 2, 3]);
    expect(r.totalCount).toBe(3);
    // (90 + 50) / 2 = 70; counting C as 0 would give 46.67 and lowest C.
    expect(r.summary).toMatchObject({ count: 2, average: 70, highest: { unit: { code: 'B' } }, lowest: { unit: { code: 'A' } } });
    expect(r.summary.bands.reduce((n: number, b: any) => n + b.count, 0)).toBe(2);
    // By D1 every unit has a domain index: C 70 counts.
    expect((await ranking({ year: 2024, domain: 'D1' })).summary).toMatchObject({ count: 3, average: 70 });
  });
});

describe('rank change compares with the previous year\'s published ranking only', () => {
  test('none while 2023 is open; once it is published, 2024 compares with it', async () => {
    // 2023 is open and has results (A 1, B 2, C 3), which an analyst sees, but it is not published.
    expect((await ranking({ year: 2023 })).edges.map((e: any) => e.rank)).toEqual([1, 2, 3]);
    const before = await ranking({ year: 2024 });
    expect(before.edges.map((e: any) => [e.node.unit.code, e.node.previousRank, e.node.rankChange])).toEqual([['B', null, null], ['C', null, null], ['A', null, null]]);

    await t.ok(`mutation { publishCycle(year: 2023, unitKind: DEPARTMENT) { status } }`);
    await eventually(async () => {
      const after = await ranking({ year: 2024 });
      expect(after.edges.map((e: any) => [e.node.unit.code, e.node.previousRank, e.node.rankChange])).toEqual([['B', 2, 1], ['C', 3, 1], ['A', 1, -2]]);
    });
  });
});

describe('a cursor the service did not make is BAD_USER_INPUT on after', () => {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

  test('crafted cursors are refused, on the rendered and the resolved paths, for every caller', async () => {
    const own = (await ranking({ year: 2024, first: 1 })).pageInfo.endCursor;
    const otherYear = (await ranking({ year: 2023, first: 1 })).pageInfo.endCursor;
    const byDomain = (await ranking({ year: 2024, first: 1, domain: 'D2' })).pageInfo.endCursor;
    const unitsCursor = (await t.ok(`{ units(first: 1) { pageInfo { endCursor } } }`, {}, null)).units.pageInfo.endCursor;
    // The ranking's own cursor pages on.
    expect(codes(await ranking({ year: 2024, first: 2, after: own }))).toEqual(['C', 'A']);
    const crafted = [
      b64('[1e300]'), b64('[99999999999]'), b64('[-1]'), b64('[0]'), b64('[1.5]'), b64('["1"]'), b64('[null]'),
      b64(`[1e300,${JSON.stringify(JSON.parse(Buffer.from(own, 'base64url').toString())[1])}]`),
      b64('{}'), '%%%', 'AAAA', 'x'.repeat(2000), encodeCursor([1]),
      otherYear, byDomain, unitsCursor,
    ];
    for (const after of crafted) {
      for (const token of [analyst, null]) {
        // 2023 is published: anonymous readers take the same path as analysts there.
        for (const year of [2024, 2023]) {
          if (after === otherYear && year === 2023) continue;
          const answer = await t.gql(RANKING, { year, after }, token);
          expect({ after, code: answer.errors?.[0]?.extensions?.code, field: answer.errors?.[0]?.extensions?.field })
            .toEqual({ after, code: 'BAD_USER_INPUT', field: 'after' });
        }
      }
      // Rendered by PostgreSQL (only rendered fields selected) as well.
      const rendered = await t.gql(`query($after: String) { rankings(year: 2023, unitKind: DEPARTMENT, after: $after) { edges { rank } } }`, { after }, null);
      if (after !== otherYear) expect(rendered.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
    for (const after of [b64('[1e300,"x"]'), b64('["\\u0000","A"]'), b64('[1,2]'), own]) {
      const answer = await t.gql(`query($after: String) { units(after: $after) { totalCount } }`, { after }, null);
      expect({ after, ext: answer.errors?.[0]?.extensions }).toMatchObject({ after, ext: { code: 'BAD_USER_INPUT', field: 'after' } });
    }
  });
});

describe('arguments typed nullable with a default take an explicit null as the default', () => {
  test('first: null pages 20, groupBy: null groups by question', async () => {
    const literal = await t.gql(`{ rankings(year: 2024, unitKind: DEPARTMENT, first: null) { edges { rank } } units(first: null) { edges { node { code } } } }`, {}, analyst);
    expect(literal.errors).toBeUndefined();
    expect(literal.data.rankings.edges).toHaveLength(3);
    expect(literal.data.units.edges).toHaveLength(4);
    const variables = await t.gql(`query($first: Int, $groupBy: SatisfactionGrouping) {
      rankings(year: 2024, unitKind: DEPARTMENT, first: $first) { edges { rank } }
      satisfaction(year: 2024, groupBy: $groupBy) { key } }`, { first: null, groupBy: null }, analyst);
    expect(variables.errors).toBeUndefined();
    expect(variables.data).toEqual({ rankings: { edges: [{ rank: 1 }, { rank: 2 }, { rank: 3 }] }, satisfaction: [] });
    // Out of range is still refused, naming the field.
    expect((await t.gql(`{ units(first: 0) { totalCount } }`, {}, null)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});

describe('one collation everywhere: numbers by value', () => {
  test('"Phường 2" before "Phường 10" in unit lists, children and tied rankings', async () => {
    await t.ok(`mutation { createUnit(input: {code: "HX", name: "Thị xã Hương Xuân", kind: DISTRICT}) { code } }`);
    const names = ['Phường 10', 'Phường 2', 'Phường 1', 'phường 3', 'Phường 2A'];
    for (const [i, name] of names.entries()) {
      await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { code } }`, { input: { code: `PX${i}`, name, kind: 'COMMUNE', parentCode: 'HX' } });
    }
    const expected = ['Phường 1', 'Phường 2', 'Phường 2A', 'phường 3', 'Phường 10'];
    const listed = await t.ok(`{ units(kind: COMMUNE) { edges { node { name } } } unit(code: "HX") { children { name } } }`, {}, null);
    expect(listed.units.edges.map((e: any) => e.node.name)).toEqual(expected);
    expect(listed.unit.children.map((c: any) => c.name)).toEqual(expected);
    // Paged two at a time, the keyset follows the same order.
    const paged: string[] = [];
    let after: string | null = null;
    do {
      const page: any = (await t.ok(`query($after: String) { units(kind: COMMUNE, first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }`, { after }, null)).units;
      paged.push(...page.edges.map((e: any) => e.node.name));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual(expected);
    // All tied in a ranking: ties are listed in the same order.
    await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, {
      input: { year: 2024, unitKind: 'COMMUNE', domains: [{ code: 'D1', name: 'Chỉ đạo', criteria: [{ code: 'C1', name: 'Kế hoạch', maxPoints: 10, source: 'EXPERT' }] }] },
    });
    await t.ok(`mutation { openCycle(year: 2024, unitKind: COMMUNE) { status } }`);
    for (const i of names.keys()) await score(t, p1, 2024, `PX${i}`, 'APPRAISAL', { C1: 8 });
    const tied = (await t.ok(`{ rankings(year: 2024, unitKind: COMMUNE) { edges { rank node { unit { name } } } } }`, {}, analyst)).rankings.edges;
    expect(tied.map((e: any) => e.node.unit.name)).toEqual(expected);
    expect(tied.every((e: any) => e.rank === 1)).toBe(true);
  });
});
