/**
 * A national-scale published year written straight into the result tables
 * with SQL (no scoring): communes under districts, a framework of 8
 * domains, 4 bands, every commune's index and its 8 domain indices with
 * ranks and display positions. Used by the query benchmark and by the
 * query-surface tests; figures are deterministic.
 */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

export interface NationalYear {
  year: number;
  cycleId: number;
  communes: number;
  districts: number;
  domains: string[];
}

export const DOMAIN_MAX = [6.5, 10, 12, 15, 10, 12, 14.5, 20]; // sums to 100

export async function loadNationalYear(db: Queryable, opts: { year?: number; communes?: number; districts?: number; prefix?: string } = {}): Promise<NationalYear> {
  const year = opts.year ?? 2024;
  const communes = opts.communes ?? 12000;
  const districts = opts.districts ?? Math.max(1, Math.round(communes / 17));
  const p = opts.prefix ?? 'N';
  await db.query('BEGIN');
  try {
    await db.query(
      `INSERT INTO unit (code, name, kind, parent_id, search_text)
       SELECT $1 || 'D' || lpad(i::text, 4, '0'), 'Huyện ' || i, 'DISTRICT', NULL, 'huyen ' || i FROM generate_series(1, $2::int) i`,
      [p, districts]);
    await db.query(
      `INSERT INTO unit (code, name, kind, parent_id, search_text)
       SELECT $1 || 'C' || lpad(i::text, 5, '0'), 'Xã ' || i, 'COMMUNE', d.id, 'xa ' || i
         FROM generate_series(1, $2::int) i
         JOIN unit d ON d.code = $1 || 'D' || lpad((((i - 1) % $3::int) + 1)::text, 4, '0')`,
      [p, communes, districts]);
    const [{ id: cycleId }] = (await db.query(
      `INSERT INTO cycle (year, unit_kind, status, published_at) VALUES ($1, 'COMMUNE', 'PUBLISHED', now()) RETURNING id`, [year])).rows;
    const domains = DOMAIN_MAX.map((_, i) => `LV${i + 1}`);
    await db.query(
      `INSERT INTO criterion (cycle_id, parent_id, code, name, max_points, source, depth, position)
       SELECT $1, NULL, 'LV' || i, 'Lĩnh vực ' || i, (ARRAY[${DOMAIN_MAX.join(',')}])[i], NULL, 0, i FROM generate_series(1, 8) i`, [cycleId]);
    await db.query(
      `INSERT INTO band (cycle_id, code, label, min_score, position) VALUES
       ($1, 'A', 'Tốt', 80, 0), ($1, 'B', 'Khá', 65, 1), ($1, 'C', 'Trung bình', 50, 2), ($1, 'D', 'Yếu', 0, 3)`, [cycleId]);
    // Domain indices (deterministic pseudo-random); the overall index is their weighted sum. Index results first:
    // domain results reference them.
    const domainRows = `
      SELECT cycle_id, unit_id, domain_id, score, round(score * max_points / 100, 2) AS earned_points, max_points, code
        FROM (SELECT $1::int AS cycle_id, u.id AS unit_id, d.id AS domain_id, d.max_points, u.code,
                     round((40 + ((u.id * 7919 + d.position * 104729) % 6000) / 100.0)::numeric, 2) AS score
                FROM unit u CROSS JOIN criterion d
               WHERE u.kind = 'COMMUNE' AND u.code LIKE $2 || 'C%' AND d.cycle_id = $1) s`;
    await db.query(
      `INSERT INTO index_result (cycle_id, unit_id, score, expert_score, survey_score, earned_points, max_points, rank, parent_rank,
                                 position, parent_position, band_code, responses, survey_insufficient, provisional, published)
       SELECT $1, unit_id, score, score, score, score, 100,
              rank() OVER (ORDER BY score DESC), rank() OVER (PARTITION BY parent_id ORDER BY score DESC),
              row_number() OVER (ORDER BY score DESC, code), row_number() OVER (PARTITION BY parent_id ORDER BY score DESC, code),
              CASE WHEN score >= 80 THEN 'A' WHEN score >= 65 THEN 'B' WHEN score >= 50 THEN 'C' ELSE 'D' END,
              40, false, false, true
         FROM (SELECT dr.unit_id, u.parent_id, u.code, round(sum(dr.earned_points), 2) AS score
                 FROM (${domainRows}) dr JOIN unit u ON u.id = dr.unit_id
                GROUP BY dr.unit_id, u.parent_id, u.code) s`, [cycleId, p]);
    await db.query(
      `INSERT INTO domain_result (cycle_id, unit_id, domain_id, score, earned_points, max_points, rank, position)
       SELECT cycle_id, unit_id, domain_id, score, earned_points, max_points,
              rank() OVER (PARTITION BY domain_id ORDER BY score DESC),
              row_number() OVER (PARTITION BY domain_id ORDER BY score DESC, code)
         FROM (${domainRows}) s`, [cycleId, p]);
    await db.query('COMMIT');
    await db.query('ANALYZE unit'); await db.query('ANALYZE index_result'); await db.query('ANALYZE domain_result');
    return { year, cycleId, communes, districts, domains };
  } catch (e) {
    await db.query('ROLLBACK');
    throw e;
  }
}
