/**
 * The national-scale year of the engine's benchmarks (bench:recompute,
 * bench:lag), generated in SQL: 12,000 districts, an 8-domain framework
 * (42 EXPERT leaves worth 68 points, 5 SURVEY leaves worth 32 on 10
 * questions), one appraisal score for every unit and EXPERT leaf in YEAR and
 * the year before, 400,000 survey responses with 5 answers each (2,000,000
 * answers), and their roll-ups.
 */
import type { DataSource } from 'typeorm';
import { CriterionSource, UnitKind } from '../src/entities/enums';
import type { Services } from '../src/services';

export const UNITS = Number(process.env.BENCH_UNITS ?? 12000);
export const RESPONSES = Number(process.env.BENCH_RESPONSES ?? 400000);
export const ANSWERS_PER_RESPONSE = 5;
export const YEAR = 2024;

export type Step = (label: string, fn: () => Promise<unknown>) => Promise<void>;

/** The national-scale year, generated in SQL. */
export async function buildYear(db: DataSource, services: Services, step: Step): Promise<void> {
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
      `INSERT INTO expert_score (unit_id, criterion_id, round, panelist, points, entered_by)
       SELECT u.id, c.id, 'APPRAISAL', 'Hội đồng', round((random() * c.max_points)::numeric, 2), 'Hội đồng'
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

