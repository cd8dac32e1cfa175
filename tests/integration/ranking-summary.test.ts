import Decimal from 'decimal.js';
import { Client } from 'pg';
import { loadNationalYear } from '../../bench/national-year';
import { summarize } from '../../src/scoring';
import { startTestService, type TestService } from '../support/test-service';

/**
 * A ranking's summary is aggregated in PostgreSQL (src/results/ranking.service.ts)
 * for speed; scoring/summarize is the method's rule, worked by hand in the
 * unit tests. Over a few hundred communes, every scope of a ranking must
 * give the rule's summary of that ranking's own edges.
 */
let t: TestService;
/** The first district loadNationalYear makes. */
const DISTRICT = 'ND0001';

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000, cacheMaxAgeSeconds: 0, responseCacheMaxEntries: 0 });
  const client = new Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    await loadNationalYear(client, { year: 2024, communes: 240, districts: 4 });
  } finally {
    await client.end();
  }
  expect(await t.sql(`SELECT code FROM unit WHERE kind = 'DISTRICT' AND code = $1`, [DISTRICT])).toHaveLength(1);
}, 120000);
afterAll(async () => { await t?.stop(); });

const PAGE = `query($after: String, $domain: String, $parent: String, $band: String) {
  rankings(year: 2024, unitKind: COMMUNE, first: 100, after: $after, domainCode: $domain, parentCode: $parent, bandCode: $band) {
    edges { score node { unit { code } band { code } } } pageInfo { hasNextPage endCursor }
    summary { count average highest { unit { code } } lowest { unit { code } } bands { band { code label minScore } count } }
  }
}`;

test.each([
  ['overall', {}],
  ['by domain', { domain: 'LV3' }],
  ['within a district', { parent: DISTRICT }],
  ['one band', { band: 'B' }],
  ['by domain within a district, one band', { domain: 'LV7', parent: DISTRICT, band: 'C' }],
])('the summary %s is the method\'s summary of the ranking', async (_, filter: Record<string, string>) => {
  const items: { key: string; score: Decimal; bandCode: string | null }[] = [];
  let after: string | null = null;
  let summary: any;
  do {
    const page: any = (await t.ok(PAGE, { ...filter, after }, null)).rankings;
    for (const e of page.edges) items.push({ key: e.node.unit.code, score: new Decimal(String(e.score)), bandCode: e.node.band?.code ?? null });
    summary = page.summary;
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  expect(items.length).toBeGreaterThan(filter.parent ? 5 : 50);
  const bands = summary.bands.map((b: any) => b.band);
  const rule = summarize(items, bands);
  expect({
    count: summary.count, average: summary.average,
    highest: summary.highest?.unit.code ?? null, lowest: summary.lowest?.unit.code ?? null,
    bands: summary.bands.map((b: any) => ({ code: b.band.code, count: b.count })),
  }).toEqual({
    count: rule.count, average: rule.average === null ? null : rule.average.toNumber(),
    highest: rule.highestKey, lowest: rule.lowestKey, bands: rule.bands,
  });
  // The framework's four bands, in its order, zeros included.
  expect(bands.map((b: any) => b.code)).toEqual(['A', 'B', 'C', 'D']);
});
