import { createLogger } from '../../src/config/logger';
import { ResultsService } from '../../src/results';
import { startTestService, type TestService } from '../support/test-service';
import { buildProvince } from './results-fixture';

/**
 * Recomputation sends only the rows whose figures changed, trusting what this
 * process last wrote only while result_state still holds its version token.
 */
let t: TestService;
let cycleId: number;

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000 });
  await buildProvince(t);
  [{ id: cycleId }] = await t.sql(`SELECT id FROM cycle WHERE year = 2023 AND unit_kind = 'DEPARTMENT'`);
}, 120000);
afterAll(async () => { await t?.stop(); });

const results = () => t.sql(`SELECT unit_id, score::text, rank, computed_at FROM index_result WHERE cycle_id = $1 ORDER BY unit_id`, [cycleId]);

test('a recomputation that changes nothing rewrites no row and issues a new version token', async () => {
  await t.service.services.results.recompute(cycleId);
  const before = await results();
  const [{ version: v1 }] = await t.sql('SELECT version::text FROM result_state WHERE cycle_id = $1', [cycleId]);
  await t.service.services.results.recompute(cycleId);
  expect(await results()).toEqual(before); // computed_at unchanged: no row was written
  const [{ version: v2 }] = await t.sql('SELECT version::text FROM result_state WHERE cycle_id = $1', [cycleId]);
  expect(v2).not.toBe(v1);
});

test('after another writer (a new token), every row is sent again, repairing what differs', async () => {
  await t.service.services.results.recompute(cycleId);
  const good = await results();
  const victim = good[0].unit_id;
  // Another process wrote (its own token) and left a different figure behind.
  await t.sql(`UPDATE index_result SET score = 1.23 WHERE cycle_id = $1 AND unit_id = $2`, [cycleId, victim]);
  await t.sql(`UPDATE result_state SET version = gen_random_uuid() WHERE cycle_id = $1`, [cycleId]);
  await t.service.services.results.recompute(cycleId);
  const repaired = await results();
  expect(repaired.map((r) => [r.unit_id, r.score, r.rank])).toEqual(good.map((r) => [r.unit_id, r.score, r.rank]));
});

test('a ResultsService built on a transaction recomputes inside it: its rows are seen there and gone with a rollback', async () => {
  await t.service.services.results.recompute(cycleId);
  const good = (await results()).map((r) => [r.unit_id, r.score, r.rank]);
  const victim = good[0][0];
  // Another writer left a wrong figure and its own token: the recomputation sends every row again.
  await t.sql(`UPDATE index_result SET score = 1.23 WHERE cycle_id = $1 AND unit_id = $2`, [cycleId, victim]);
  await t.sql(`UPDATE result_state SET version = gen_random_uuid() WHERE cycle_id = $1`, [cycleId]);
  const { frameworks, tallies } = t.service.services;
  const rollback = new Error('rolled back on purpose');
  await expect(t.service.workDb.transaction(async (tx) => {
    // Typed on what a transaction gives (as the demo seed builds it): every read and write on tx's connection.
    const inTx = new ResultsService(tx, frameworks, tallies, createLogger('error'));
    const stats = await inTx.recompute(cycleId);
    expect(stats.units).toBe(good.length);
    const seen: { unit_id: number; score: string; rank: number }[] = await tx.query(
      'SELECT unit_id, score::text, rank FROM index_result WHERE cycle_id = $1 ORDER BY unit_id', [cycleId]);
    expect(seen.map((r) => [r.unit_id, r.score, r.rank])).toEqual(good);
    throw rollback;
  })).rejects.toBe(rollback);
  // Outside, the wrong figure is still there: nothing of the transaction's recomputation was committed.
  expect((await results()).find((r) => r.unit_id === victim)!.score).toBe('1.23');
  await t.service.services.results.recompute(cycleId);
  expect((await results()).map((r) => [r.unit_id, r.score, r.rank])).toEqual(good);
});
