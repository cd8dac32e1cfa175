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
import { CriterionSource, UnitKind } from '../src/entities/enums';
import type { DataSource } from 'typeorm';
import { ScoreRound } from '../src/entities/enums';
import { createServices, type Services } from '../src/services';

const UNITS = Number(process.env.BENCH_UNITS ?? 12000);
const RESPONSES = Number(process.env.BENCH_RESPONSES ?? 400000);
const ANSWERS_PER_RESPONSE = 5;
const YEAR = 2024;
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

type Step = (label: string, fn: () => Promise<unknown>) => Promise<void>;

/** The national-scale year, generated in SQL. */
async function buildYear(db: DataSource, services: Services, step: Step): Promise<void> {
    console.log(`Building ${UNITS} units, ${RESPONSES * ANSWERS_PER_RESPONSE} survey answers…`);
    await step('units and kiosks', async () => {
      await db.query(
        `INSERT INTO unit (code, name, kind, search_text)
         SELECT 'H' || lpad(g::text, 5, '0'), 'Huyện ' || g, 'DISTRICT', 'huyen ' || g FROM generate_series(1, $1) g`, [UNITS]);
      await db.query(`INSERT INTO kiosk (unit_id, label, token_hash) SELECT id, 'Kiosk', md5(id::text) || md5(code) FROM unit`);
    });
    await step('questionnaire and framework', async () => {
      await db.query(
        `INSERT INTO question (year, code, text, element, scale_max, satisfied_min, position)
         SELECT $1, 'Q' || g, 'Câu hỏi ' || g, (ARRAY['ACCESS','PROCEDURE','CIVIL_SERVANT','RESULT','FEEDBACK'])[1 + g % 5]::service_element,
                CASE WHEN g % 2 = 0 THEN 5 ELSE 3 END, CASE WHEN g % 2 = 0 THEN 4 ELSE 2 END, g - 1
           FROM generate_series(1, 10) g`, [YEAR]);
      // 7 domains × 3 criteria × 2 leaves = 42 EXPERT leaves: 37 of 1.5 and 5 of 2.5 points = 68; D8: 5 SURVEY leaves of 6.4 = 32.
      let expertLeaf = 0;
      const domains = Array.from({ length: 8 }, (_, d) => ({
        code: `LV${d + 1}`, name: `Lĩnh vực ${d + 1}`,
        criteria: d < 7
          ? Array.from({ length: 3 }, (_, c) => ({
            code: `LV${d + 1}.${c + 1}`, name: `Tiêu chí ${d + 1}.${c + 1}`,
            children: Array.from({ length: 2 }, (_, l) => ({
              code: `LV${d + 1}.${c + 1}.${l + 1}`, name: `Tiêu chí thành phần ${d + 1}.${c + 1}.${l + 1}`,
              maxPoints: expertLeaf++ < 5 ? 2.5 : 1.5, source: CriterionSource.EXPERT,
            })),
          }))
          : Array.from({ length: 5 }, (_, s) => ({
            code: `LV8.${s + 1}`, name: `Mức độ hài lòng ${s + 1}`, maxPoints: 6.4, source: CriterionSource.SURVEY,
            questionCodes: [`Q${2 * s + 1}`, `Q${2 * s + 2}`],
          })),
      }));
      await services.frameworks.define({ year: YEAR, unitKind: UnitKind.DISTRICT, domains });
      await services.frameworks.define({ year: YEAR - 1, unitKind: UnitKind.DISTRICT, domains: domains.slice(0, 7) });
    });
    const cycleId = (await services.results.cycleIdOf(YEAR, UnitKind.DISTRICT))!;
    const previousId = (await services.results.cycleIdOf(YEAR - 1, UnitKind.DISTRICT))!;
    await step('expert scores (every unit × EXPERT leaf, both years)', async () => {
      await db.query(
        `INSERT INTO expert_score (unit_id, criterion_id, round, panelist, points)
         SELECT u.id, c.id, 'APPRAISAL', 'Hội đồng', round((random() * c.max_points)::numeric, 2)
           FROM unit u CROSS JOIN criterion c WHERE c.cycle_id = ANY($1::int[]) AND c.source = 'EXPERT'`, [[cycleId, previousId]]);
    });
    await step('survey responses and answers', async () => {
      await db.query(
        `INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at)
         SELECT k.id, k.unit_id, gen_random_uuid(), $2, make_timestamptz($2, 1 + g % 12, 1 + g % 28, 3, 0, 0, 'UTC')
           FROM generate_series(0, $1 - 1) g JOIN kiosk k ON k.id = (SELECT min(id) FROM kiosk) + g % $3`, [RESPONSES, YEAR, UNITS]);
      // Each response answers the 5 questions whose position has its id's parity.
      await db.query(
        `INSERT INTO survey_answer (response_id, question_id, value)
         SELECT r.id, q.id, 1 + floor(random() * q.scale_max)::int
           FROM survey_response r JOIN question q ON q.year = $1 AND (q.position + r.id) % 2 = 0`, [YEAR]);
    });
    // Ingestion's background roll-up keeps these current as ratings arrive; built here in one pass.
    await step('survey roll-ups (kept current by ingestion)', () => services.satisfaction.rebuildTallies(YEAR));
    await step('VACUUM ANALYZE', () => db.query('VACUUM ANALYZE'));

}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
