/**
 * `npm run bench:recompute`: times a full recomputation of a national-scale
 * year against one plain SQL aggregation over the same survey answers, in
 * the same process and database. Not a test.
 *
 * The year: 12,000 districts, an 8-domain framework (42 EXPERT leaves worth
 * 68 points, 5 SURVEY leaves worth 32 on 10 questions), one appraisal score
 * for every unit and EXPERT leaf, 400,000 survey responses with 5 answers
 * each (2,000,000 answers), all generated in SQL.
 *
 * Then, in the same run, single-unit updates as submitExpertScores makes
 * them (the cycle opened): one panelist correcting one leaf of a unit, and
 * one re-scoring every EXPERT leaf of a unit, each timed as the appraiser
 * waits for it (scores stored, the unit recomputed and its moves written,
 * the result read back), against the full recomputation.
 *
 * DATABASE_URL set: a fresh database is made on that server and dropped at
 * the end. Unset: an embedded PostgreSQL runs in a temporary directory.
 * BENCH_KEEP_DB=1 keeps it; BENCH_DB_URL=<its url> runs again on a kept one
 * without building it.
 */
import { createLogger } from '../src/config/logger';
import { createDataSource } from '../src/db/data-source';
import { withScratchDatabase } from '../src/db/scratch-database';
import { UnitKind } from '../src/entities/enums';
import { ScoreRound } from '../src/entities/enums';
import { createServices } from '../src/services';
import { buildYear, YEAR } from './scoring-year';

const RUNS = Number(process.env.BENCH_RUNS ?? 4);
/** Single-unit updates of each kind after each full recomputation. */
const UPDATES = Number(process.env.BENCH_UPDATES ?? 5);

const logger = createLogger('warn');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function main(): Promise<void> {
  const reuse = process.env.BENCH_DB_URL;
  if (reuse) return run(reuse, false);
  await withScratchDatabase('par_bench', ({ url }) => run(url, true), { keep: !!process.env.BENCH_KEEP_DB });
}

async function run(url: string, build: boolean): Promise<void> {
  {
    const db = createDataSource({ url, poolSize: 8, statementTimeoutMs: 600000 });
    await db.initialize();
    await db.runMigrations();
    const services = createServices(db, logger);
    const step = async (label: string, fn: () => Promise<unknown>) => {
      const ms = await time(fn);
      console.log(`  ${label.padEnd(48)} ${(ms / 1000).toFixed(2)} s`);
    };
    if (build) await buildYear(db, services, step);
    const cycleId = (await services.results.cycleIdOf(YEAR, UnitKind.DISTRICT))!;
    const previousId = (await services.results.cycleIdOf(YEAR - 1, UnitKind.DISTRICT))!;
    const [{ n }] = await db.query('SELECT count(*)::int AS n FROM survey_answer');
    console.log(`  ${n} survey answers, ${(await db.query('SELECT count(*)::int AS n FROM expert_score'))[0].n} expert scores`);
    // A kept database runs again from no results: the first recomputation writes every row, as on a fresh one.
    await db.query('DELETE FROM index_result WHERE cycle_id = $1', [cycleId]);
    await db.query(`UPDATE cycle SET status = 'DRAFT' WHERE id = $1`, [cycleId]);

    await step(`recompute ${YEAR - 1} (the previous year, for rank changes)`, () => services.results.recompute(previousId));

    const aggregation = () => db.query(
      `SELECT r.unit_id, a.question_id, count(*) AS answers, count(*) FILTER (WHERE a.value >= q.satisfied_min) AS satisfied
         FROM survey_answer a JOIN survey_response r ON r.id = a.response_id JOIN question q ON q.id = a.question_id
        WHERE r.year = $1 GROUP BY 1, 2`, [YEAR]);
    const recompute = async () => {
      const stats = await services.results.recompute(cycleId);
      const p = stats.phases!;
      console.log(`  recomputation: read ${p.readMs.toFixed(0)} ms, method and ranks ${p.computeMs.toFixed(0)} ms, write ${p.writeMs.toFixed(0)} ms`);
    };

    // Single-unit updates as an appraiser makes them (the cycle must be open for scores).
    const leaves: { code: string; max: number }[] = await db.query(
      `SELECT code, max_points::float AS max FROM criterion
        WHERE cycle_id = $1 AND source = 'EXPERT' AND NOT EXISTS (SELECT 1 FROM criterion k WHERE k.parent_id = criterion.id)
        ORDER BY code`, [cycleId]);
    const unitCodes: string[] = (await db.query(`SELECT code FROM unit WHERE kind = 'DISTRICT' ORDER BY code`)).map((u: { code: string }) => u.code);
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
    const points = (max: number) => Math.round(Math.random() * max * 100) / 100;
    const moved: { kind: string; ms: number; rows: number }[] = [];
    const update = async (kind: 'one leaf' | 'every leaf') => {
      const unitCode = pick(unitCodes);
      const scores = kind === 'one leaf'
        ? [pick(leaves)].map((l) => ({ criterionCode: l.code, points: points(l.max) }))
        : leaves.map((l) => ({ criterionCode: l.code, points: points(l.max) }));
      let rows = 0;
      const real = services.results.recompute.bind(services.results);
      services.results.recompute = async (...args) => {
        const s = await real(...args);
        rows = s.incremental ? s.incremental.unitRows + s.incremental.domainRows : -1;
        return s;
      };
      try {
        const ms = await time(() => services.expertScores.submit({ year: YEAR, unitCode, round: ScoreRound.APPRAISAL, scores }, 'Hội đồng'));
        moved.push({ kind, ms, rows });
      } finally {
        services.results.recompute = real;
      }
    };

    const recomputes: number[] = [];
    const aggregations: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      recomputes.push(await time(recompute));
      aggregations.push(await time(aggregation));
      if (i === 0) await db.query(`UPDATE cycle SET status = 'OPEN' WHERE id = $1`, [cycleId]);
      if (i > 0) for (let j = 0; j < UPDATES; j++) { await update('one leaf'); await update('every leaf'); }
    }
    const [check] = await db.query(
      `SELECT count(*)::int AS results, count(*) FILTER (WHERE survey_insufficient)::int AS insufficient,
              min(score)::text AS low, max(score)::text AS high, max(rank)::int AS last_rank
         FROM index_result WHERE cycle_id = $1`, [cycleId]);
    // The first run writes every result (the year has none yet): cold. Later runs recompute every unit
    // again but rewrite only rows whose figures changed: how the service runs as data arrives.
    const cold = recomputes[0];
    const r = median(recomputes.slice(1).length > 0 ? recomputes.slice(1) : recomputes);
    const a = median(aggregations);
    console.log('');
    console.log(`results written: ${check.results} (survey insufficient: ${check.insufficient}), scores ${check.low}–${check.high}, last rank ${check.last_rank}`);
    console.log(`full recomputation:   ${recomputes.map((x) => `${x.toFixed(0)} ms`).join(', ')} (median after the first ${r.toFixed(0)} ms)`);
    console.log(`plain SQL aggregation: ${aggregations.map((x) => `${x.toFixed(0)} ms`).join(', ')} (median ${a.toFixed(0)} ms)`);
    console.log(`ratio recomputation / aggregation: ${(r / a).toFixed(2)} (target ≤ 2); first run, writing every row: ${(cold / a).toFixed(2)}`);
    for (const kind of ['one leaf', 'every leaf']) {
      const runs = moved.filter((m) => m.kind === kind);
      if (runs.length === 0) continue;
      const ms = median(runs.map((m) => m.ms));
      const rows = median(runs.map((m) => m.rows));
      console.log(`submitExpertScores, ${kind.padEnd(10)} ${runs.length} units: median ${ms.toFixed(0)} ms (max ${Math.max(...runs.map((m) => m.ms)).toFixed(0)} ms), `
        + `median ${rows} rows moved; ${(ms / r).toFixed(3)} × the full recomputation (target ≤ 0.05)`);
    }
    if (moved.some((m) => m.rows < 0)) console.log(`  (${moved.filter((m) => m.rows < 0).length} fell back to a full recomputation)`);
    await db.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
