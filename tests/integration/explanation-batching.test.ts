import { Client } from 'pg';
import { startTestService, type TestService } from '../support/test-service';
import { buildProvince, score, type Tokens } from './results-fixture';

/**
 * IndexResult.explanation on a ranking page is batched per request and cycle
 * (src/context.ts, AnalysisService.explanations): each unit explained as it
 * is alone, and the page's statements do not grow with its size.
 *
 * The province of results-fixture.ts (five 2023 departments), and three more
 * departments scored in 2023 (X1..X3) for a longer page.
 */
let t: TestService;
let tokens: Tokens;

// Every statement of this process goes through pg's Client.prototype.query (TypeORM's and the raw pool's alike):
// counted while `counting` is set. Installed before the service starts, so that nothing holds the original.
let counting = false;
let statements = 0;
const originalQuery = Client.prototype.query;
Client.prototype.query = function (this: Client, ...args: unknown[]) {
  if (counting) statements++;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof Client.prototype.query;

const EXPLANATION = `explanation { score rawIndex earnedPoints applicableMaxPoints bonus penalty
  leaves { criterionCode domainCode source maxPoints applicable round panelPoints answers satisfied earnedPoints } }`;
const PAGE = `query($first: Int!) { rankings(year: 2023, unitKind: DEPARTMENT, first: $first) {
  edges { node { unit { code } ${EXPLANATION} } } } }`;
const ALONE = `query($code: String!) { unit(code: $code) { result(year: 2023) { ${EXPLANATION} } } }`;

/** The fewest statements the page of `first` ran over a few runs (the service's background work may add some to one). */
async function statementsOfPage(first: number, runs = 4): Promise<number> {
  let fewest = Infinity;
  for (let run = 0; run < runs; run++) {
    statements = 0;
    counting = true;
    try {
      const page = await t.ok(PAGE, { first }, tokens.analyst);
      expect(page.rankings.edges).toHaveLength(first);
    } finally {
      counting = false;
    }
    fewest = Math.min(fewest, statements);
  }
  return fewest;
}

beforeAll(async () => {
  // No cached answers: every run of a page reads.
  t = await startTestService({ recomputeIntervalMs: 60000, responseCacheMaxEntries: 0 });
  tokens = await buildProvince(t);
  for (const [code, points] of [['X1', 7], ['X2', 5], ['X3', 3]] as const) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name: `Sở ${code}`, kind: 'DEPARTMENT' } });
    await score(t, tokens.p1, 2023, code, 'APPRAISAL', { C1: points, C2: points + 1, 'C3.1': points, 'C3.2': 'NA' });
  }
}, 120000);
afterAll(async () => {
  Client.prototype.query = originalQuery;
  await t?.stop();
});

test('a ranking page explains each unit exactly as the unit alone is explained', async () => {
  const edges = (await t.ok(PAGE, { first: 8 }, tokens.analyst)).rankings.edges;
  expect(edges.map((e: any) => e.node.unit.code).sort()).toEqual(['SNGV', 'SNV', 'STP', 'SYT', 'VP', 'X1', 'X2', 'X3']);
  for (const { node } of edges) {
    const alone = (await t.ok(ALONE, { code: node.unit.code }, tokens.analyst)).unit.result.explanation;
    expect(alone).not.toBeNull();
    expect([node.unit.code, node.explanation]).toEqual([node.unit.code, alone]);
  }
  // A known figure, so that both sides are not equally wrong (analysis.test.ts works it out: STP 2023 is 89).
  expect(edges.find((e: any) => e.node.unit.code === 'STP').node.explanation).toMatchObject({ score: 89, earnedPoints: '44.5', bonus: '1' });
});

test('the statements of a ranking page with explanations do not grow with its size', async () => {
  await statementsOfPage(8, 1); // connections opened, frameworks read once: the runs compared start alike
  const two = await statementsOfPage(2);
  const five = await statementsOfPage(5);
  const eight = await statementsOfPage(8);
  expect(two).toBeGreaterThan(0); // the count sees the service's statements
  // Before the batching each explanation ran its own framework load, roll-up and input reads: 24, 48 and 75
  // statements for pages of 2, 5 and 8; batched, 13 for each.
  expect({ five, eight }).toEqual({ five: two, eight: two });
}, 120000);
