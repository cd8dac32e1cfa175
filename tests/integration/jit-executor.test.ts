import { executionStats } from '../../src/http/jit-executor';
import { startTestService, type TestService } from '../support/test-service';
import { buildProvince, type Tokens } from './results-fixture';

/**
 * Queries run by graphql-js the first time and by graphql-jit from the
 * second (src/http/jit-executor.ts): the answers, errors included, must be
 * the same either way.
 */
let t: TestService;
let tokens: Tokens;

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000, cacheMaxAgeSeconds: 0, responseCacheMaxEntries: 0 });
  tokens = await buildProvince(t);
}, 120000);
afterAll(async () => { await t?.stop(); });

const thrice = async (query: string, variables: Record<string, unknown>, token: string | null) => {
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await t.gql(query, variables, token));
  return answers;
};

test('a ranking page with units, bands, domains and parents: same answer interpreted and compiled', async () => {
  const before = { ...executionStats };
  const [first, second, third] = await thrice(`query($year: Int!, $first: Int!) { rankings(year: $year, unitKind: DEPARTMENT, first: $first) {
    totalCount summary { count average bands { band { code } count } highest { unit { code } } }
    edges { cursor rank score node { score rank previousRank rankChange provisional band { code label } unit { code name parent { code } }
      domains { code score rank } } } pageInfo { hasNextPage endCursor } } }`, { year: 2023, first: 3 }, tokens.analyst);
  expect(first.errors).toBeUndefined();
  expect(first.data.rankings.edges).toHaveLength(3);
  expect(second).toEqual(first);
  expect(third).toEqual(first);
  // Interpreted first, compiled once on the second run, reused on the third.
  expect(executionStats.compiles - before.compiles).toBe(1);
  expect(executionStats.compiledRuns - before.compiledRuns).toBe(2);
  expect(executionStats.interpretedRuns - before.interpretedRuns).toBe(1);
});

test("a unit's history through lazily loaded fields: same answer interpreted and compiled", async () => {
  // `parent` and `names` are not rendered in SQL (src/query-plan/unit-page.ts): the resolvers run, interpreted then compiled.
  const before = { ...executionStats };
  const [first, second] = await thrice(`query($code: String!) { unit(code: $code) { code parent { code } names { name fromYear }
    results { year score band { code } domains { code score } unit { code parent { code } } } } }`,
    { code: 'STP' }, tokens.analyst);
  expect(executionStats.renderedRuns - before.renderedRuns).toBe(0);
  expect(executionStats.compiledRuns - before.compiledRuns).toBe(2);
  expect(first.errors).toBeUndefined();
  expect(first.data.unit.results.length).toBeGreaterThan(0);
  expect(second).toEqual(first);
});

test('a refusal keeps its code and field when compiled', async () => {
  const [first, second, third] = await thrice(`query($first: Int!) { rankings(year: 2023, unitKind: DEPARTMENT, first: $first) { totalCount } }`, { first: 0 }, null);
  expect(first.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  expect(second.errors?.[0].extensions).toEqual(first.errors?.[0].extensions);
  expect(third.errors?.[0].message).toBe(first.errors?.[0].message);
});
