import { Client } from 'pg';
import { asJsonNumber, published2, publishedAverage } from '../../src/results/sql';
import { roundHalfUp2, ScoringDecimal, summarize } from '../../src/scoring';

/**
 * The SQL helpers of published figures (src/results/sql.ts), run by
 * PostgreSQL, give what the index method publishes: roundHalfUp2 for one
 * figure, summarize's average for a group, and graphql-js's digits for a
 * Float. Only expressions are evaluated: no database of its own is needed.
 */
let client: Client;
beforeAll(async () => {
  client = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  await client.connect();
});
afterAll(async () => { await client?.end(); });

const FIGURES = ['92.625', '89.995', '90.004', '0.005', '0.004', '72.70', '100.00', '0', '-0.005', '-3.125',
  '7.666666666666666666666666666666666666667', '53.33333333333333333333333333333333333333', '12.3449999', '99999.995'];

test.each(FIGURES)('published2(%s) rounds as the method publishes', async (figure) => {
  const { rows } = await client.query(`SELECT ${published2('$1::numeric')}::text AS v`, [figure]);
  expect(rows[0].v).toBe(roundHalfUp2(new ScoringDecimal(figure)).toFixed(2));
});

test('publishedAverage is summarize\'s average of the rounded figures, rounded once more', async () => {
  // Rounded first: 70.01, 70.01, 70.00, 70.00 → 70.005 → 70.01; averaging unrounded figures would give 70.00.
  const groups = [['70.005', '70.005', '70.004', '70.004'], ['88.06', '88.05'], ['80.00', '80.00', '80.01'], ['33.333', '33.333', '33.334']];
  for (const figures of groups) {
    const { rows } = await client.query(`SELECT ${publishedAverage('x')}::text AS v FROM unnest($1::numeric[]) AS t(x)`, [figures]);
    const rule = summarize(figures.map((f, i) => ({ key: String(i), score: new ScoringDecimal(f), bandCode: null })), []);
    expect(rows[0].v).toBe(rule.average!.toFixed(2));
  }
  // No figure (a domain that applies to no unit): no average, as summarize's null.
  const { rows } = await client.query(`SELECT ${publishedAverage('x')} AS v FROM unnest($1::numeric[]) AS t(x) WHERE x IS NOT NULL`, [[null]]);
  expect(rows[0].v).toBeNull();
});

test('asJsonNumber writes a published figure with graphql-js\'s digits, exactly', async () => {
  for (const figure of ['72.70', '100.00', '0.00', '92.63', '0.10', '99999.99']) {
    const { rows } = await client.query(`SELECT json_build_object('v', ${asJsonNumber('$1::numeric')})::text AS j`, [figure]);
    expect(rows[0].j).toBe(JSON.stringify({ v: Number(figure) }).replace(':', ' : '));
  }
});
