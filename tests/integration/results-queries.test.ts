import { requestStatements } from '../support/request-statements';
import { startTestService, type TestService } from '../support/test-service';
import { buildProvince, type Tokens } from './results-fixture';

/** A rankings page costs a fixed number of SQL statements, whatever its size. */
let t: TestService;
let tokens: Tokens;

beforeAll(async () => {
  // No background ticks after the first (recompute, survey roll-up, health probe): nothing else talks to the
  // database while statements are counted.
  t = await startTestService({ recomputeIntervalMs: 60000, tallyIntervalMs: 60000, dbHealthIntervalMs: 60000 });
  tokens = await buildProvince(t);
}, 120000);
afterAll(async () => { await t?.stop(); });

const PAGE = `query($first: Int!, $domain: String) { rankings(year: 2023, unitKind: DEPARTMENT, first: $first, domainCode: $domain) {
  totalCount summary { count average highest { score unit { code } band { code } } lowest { score unit { name } } bands { band { code } count } }
  edges { rank score node { score rank rankChange band { code label } unit { code name parent { code } }
    domains { code score rank } } } } }`;

async function statements(first: number, domain?: string): Promise<number> {
  // The request's own statements (background work landing at the same moment is not the page's).
  const { result: r, statements } = await requestStatements(() => t.ok(PAGE, { first, domain }, tokens.analyst));
  expect(r.rankings.edges).toHaveLength(Math.min(first, 5));
  return statements.length;
}

test('counts the same SQL statements for a page of 1 and of 5, overall and by domain', async () => {
  // 2023 is published: its summary is aggregated once, then kept in memory.
  await statements(5);
  const one = await statements(1);
  const five = await statements(5);
  expect(five).toBe(one);
  // The token, the cycle's framework (bands and domains in one statement), the page; the units' parents would
  // be one batch (departments have none).
  expect(five).toBe(3);
  expect(await statements(5, 'D2')).toBe(await statements(1, 'D2'));
});
