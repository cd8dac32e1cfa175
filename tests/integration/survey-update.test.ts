import type { RecomputeStats } from '../../src/results/results.service';
import { startTestService, type TestService } from '../support/test-service';
import { buildProvince, insertResponses } from './results-fixture';

/**
 * New survey responses: the scheduler's tick has only the units whose
 * responses the stored figures do not count yet recomputed and moved
 * (ResultsService.recompute with `surveyed`), and leaves exactly what a
 * full recomputation writes. A failed run is recomputed in full next time.
 */
let t: TestService;
let cycleId: number;
const stats: RecomputeStats[] = [];

const rows = () => t.sql(
  `SELECT u.code, r.score::text, r.survey_score::text, r.rank, r.position, r.responses, r.survey_insufficient, r.xmin::text AS writer
     FROM index_result r JOIN unit u ON u.id = r.unit_id WHERE r.cycle_id = $1 ORDER BY u.code`, [cycleId]);
const domainRows = () => t.sql(
  `SELECT unit_id, domain_id, score::text, rank, position, xmin::text AS writer FROM domain_result WHERE cycle_id = $1 ORDER BY 1, 2`, [cycleId]);
const figures = (list: Record<string, unknown>[]) => list.map(({ writer, ...rest }) => rest);

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000 });
  await buildProvince(t);
  [{ id: cycleId }] = await t.sql(`SELECT id FROM cycle WHERE year = 2023 AND unit_kind = 'DEPARTMENT'`);
  // One tick takes in the setup (the cycles' watermark): recomputed in full.
  await t.service.services.recompute.tick();
  const results = t.service.services.results;
  const real = results.recompute.bind(results);
  results.recompute = async (...args: Parameters<typeof real>) => {
    const s = await real(...args);
    stats.push(s);
    return s;
  };
}, 120000);
afterAll(async () => { await t?.stop(); });

test('a tick after new responses recomputes only their units, and a full recomputation then writes nothing', async () => {
  const before = await rows();
  // SNV had 1 response (< minResponses 2: survey insufficient); SYT none. Two more for SNV, three for SYT.
  await insertResponses(t, 'SNV', 2023, [{ Q1: 5, Q2: 3 }, { Q1: 1, Q2: 1 }]);
  await insertResponses(t, 'SYT', 2023, [{ Q1: 4, Q2: 2 }, { Q1: 5, Q2: 3 }, { Q1: 2, Q2: 1 }]);
  t.service.services.recompute.markDirty(2023, 'DEPARTMENT' as never);
  stats.length = 0;
  await t.service.services.recompute.tick();
  expect(stats).toHaveLength(1);
  expect(stats[0]).toMatchObject({ units: 2 });
  expect(stats[0].incremental).toBeDefined();

  const after = await rows();
  const byCode = new Map(after.map((r) => [r.code, r]));
  expect(byCode.get('SNV')).toMatchObject({ responses: 3, survey_insufficient: false });
  expect(byCode.get('SYT')).toMatchObject({ responses: 3, survey_insufficient: false });
  // Rows of other units were rewritten only if their rank or position moved.
  for (const b of before) {
    const a = byCode.get(b.code)!;
    if (b.code !== 'SNV' && b.code !== 'SYT' && a.rank === b.rank && a.position === b.position) expect(a.writer).toBe(b.writer);
  }

  const domains = await domainRows();
  stats.length = 0;
  await t.service.services.results.recompute(cycleId);
  expect(stats[0].incremental).toBeUndefined();
  expect(await rows()).toEqual(after); // not one row written
  expect(await domainRows()).toEqual(domains);

  // Nothing new: the next tick finds no unit to update and writes nothing.
  t.service.services.recompute.markDirty(2023, 'DEPARTMENT' as never);
  stats.length = 0;
  await t.service.services.recompute.tick();
  expect(stats[0]).toMatchObject({ units: 0 });
  expect(await rows()).toEqual(after);
});

test('the updated rows equal a full recomputation from nothing', async () => {
  await insertResponses(t, 'VP', 2023, [{ Q1: 1, Q2: 1 }, { Q1: 1, Q2: 1 }, { Q1: 2, Q2: 1 }]);
  await insertResponses(t, 'STP', 2023, [{ Q1: 5, Q2: 3 }]);
  t.service.services.recompute.markDirty(2023, 'DEPARTMENT' as never);
  stats.length = 0;
  await t.service.services.recompute.tick();
  expect(stats[0]).toMatchObject({ units: 2 });
  const updated = figures(await rows());
  const updatedDomains = figures(await domainRows());
  await t.sql(`DELETE FROM index_result WHERE cycle_id = $1`, [cycleId]);
  await t.sql(`UPDATE result_state SET version = gen_random_uuid() WHERE cycle_id = $1`, [cycleId]);
  await t.service.services.results.recompute(cycleId);
  expect(figures(await rows())).toEqual(updated);
  expect(figures(await domainRows())).toEqual(updatedDomains);
});

test('after a failed run the next tick recomputes in full', async () => {
  const results = t.service.services.results;
  const wrapped = results.recompute;
  results.recompute = () => Promise.reject(new Error('injected failure'));
  t.service.services.recompute.markDirty(2023, 'DEPARTMENT' as never);
  await t.service.services.recompute.tick();
  results.recompute = wrapped;
  stats.length = 0;
  await t.service.services.recompute.tick();
  expect(stats).toHaveLength(1);
  expect(stats[0].incremental).toBeUndefined();
  expect(stats[0].units).toBe(5);
});
