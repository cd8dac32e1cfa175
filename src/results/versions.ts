/*
 * Versions of a year's results (amending a published year, API.md).
 *
 * Publishing makes version 1; each amendment (amendPublication) reopens the
 * year as the next version. index_result and domain_result are the working
 * copy: the latest published version, or the amendment in progress.
 * published_result and published_domain_result archive every published
 * version as it was published (publication.service.ts), and are read for a
 * version that is not the working copy.
 *
 * Which rows a reader reads, for a year and kind and an optional `version`:
 * - no version: the working copy if the reader may see it (the year is
 *   PUBLISHED, or the reader sees provisional results); otherwise, while the
 *   year is amending, the latest published version from the archive (what
 *   anonymous readers keep seeing until the amendment is published);
 * - a version: the working copy if it is that version (and visible, as
 *   above); any earlier version from the archive (every published version
 *   is public); none otherwise.
 * readVersionSql is this rule in SQL (rankings, written whole by
 * PostgreSQL); readableVersion the same rule over a result read with both
 * candidates (Unit.result, Unit.results, history: the visibility of a
 * unit's own result has rules of its own, isVisible; the candidates are
 * read by RankingService.versionedRows, which picks the archived version
 * by the same rule).
 */

/** The columns index_result and published_result share, in one order. */
export const RESULT_COLUMNS_OF_TABLE = `cycle_id, unit_id, score, expert_score, survey_score, earned_points, max_points, rank, parent_rank,
  previous_rank, band_code, responses, survey_insufficient, provisional, position, parent_position, published`;
const DOMAIN_COLUMNS_OF_TABLE = 'cycle_id, unit_id, domain_id, score, earned_points, max_points, rank, position';

/** versionsOfSql's two versions, over a cycle's publications `p`. */
const WORKING = 'coalesce(max(p.version), 1)';
const PUBLISHED = 'coalesce(max(p.version) FILTER (WHERE p.published_at IS NOT NULL), 0)';

/**
 * A cycle's versions as a subquery (working, published): the working
 * copy's version (1 before the first publication) and the latest published
 * one (0: none yet). `c`: a cycle row alias.
 */
export function versionsOfSql(c: string): string {
  return `(SELECT ${WORKING} AS working,
                  ${PUBLISHED} AS published
             FROM publication p WHERE p.cycle_id = ${c}.id)`;
}

/** The working copy's version of the cycle `cycleId` (an SQL expression) alone, as versionsOfSql's `working`. */
export const workingVersionSql = (cycleId: string) => `(SELECT ${WORKING} FROM publication p WHERE p.cycle_id = ${cycleId})`;

/** The latest published version of the cycle `cycleId` alone (0: none yet), as versionsOfSql's `published`. */
export const publishedVersionSql = (cycleId: string) => `(SELECT ${PUBLISHED} FROM publication p WHERE p.cycle_id = ${cycleId})`;

/**
 * The version a reader reads of cycle `c` (a cycle row alias), as a
 * LATERAL subquery giving one row (version, archived, settled: a published
 * version, whose figures never change) or none (nothing visible).
 * `requested`: an int SQL expression, NULL for none; `sees`: a boolean SQL
 * expression, whether the reader sees provisional results.
 */
export function readVersionSql(c: string, requested: string, sees: string): string {
  return `LATERAL (
    SELECT v.version, v.archived, v.archived OR ${c}.status = 'PUBLISHED' AS settled
      FROM ${versionsOfSql(c)} w,
           LATERAL (VALUES
             (w.working, false, (${c}.status = 'PUBLISHED' OR ${sees}) AND (${requested} IS NULL OR ${requested} = w.working)),
             (coalesce(${requested}, w.published), true,
               (${requested} IS NULL AND ${c}.status <> 'PUBLISHED' AND NOT ${sees} AND w.published > 0)
               OR ${requested} BETWEEN 1 AND w.working - 1)
           ) AS v(version, archived, ok)
     WHERE v.ok)`;
}

/**
 * The visible cycle of a ranking statement as CTE `c` (id, year, version,
 * archived, settled, source): $1 year, $2 unit kind, $3 whether the reader
 * sees provisional results, `versionParam` the requested version (NULL:
 * none).
 * `source` is the version column RESULT_SOURCE's rows must have: the
 * archived version, or 0 for the working copy.
 */
export function visibleCycleSql(versionParam: string): string {
  return `c AS (SELECT c0.id, c0.year, rv.version, rv.archived, rv.settled, CASE WHEN rv.archived THEN rv.version ELSE 0 END AS source
                  FROM cycle c0, ${readVersionSql('c0', `${versionParam}::int`, '$3::boolean')} rv
                 WHERE c0.year = $1 AND c0.unit_kind = $2)`;
}

/**
 * Every stored result, working copy (version 0) and archive, with
 * index_result's columns and `version`; a statement reads the version of
 * its CTE `c` with readsVersionOfC (and the cycle). Plain branches, so that
 * PostgreSQL flattens the union: the condition on the version becomes a
 * one-time filter that cuts the other branch before it scans (0 = $n),
 * and each branch keeps its index on (cycle[, version], position) for the
 * ranking order (a Merge Append under the page's LIMIT).
 */
export const RESULT_SOURCE = `(SELECT 0 AS version, ${RESULT_COLUMNS_OF_TABLE} FROM index_result
  UNION ALL SELECT version, ${RESULT_COLUMNS_OF_TABLE} FROM published_result)`;

/** Every stored domain result as RESULT_SOURCE: joined on the result's version (dr.version = ir.version). */
export const DOMAIN_SOURCE = `(SELECT 0 AS version, ${DOMAIN_COLUMNS_OF_TABLE} FROM domain_result
  UNION ALL SELECT version, ${DOMAIN_COLUMNS_OF_TABLE} FROM published_domain_result)`;

/** The condition that a RESULT_SOURCE row `alias` is of the version CTE `c` reads. */
export const readsVersionOfC = (alias: string) => `${alias}.version = (SELECT source FROM c)`;

/**
 * Whether survey responses flagged late (stored after the year's first
 * publication) count in the cycle's figures now: only in an amendment in
 * progress that says to include them. `cycle`: an SQL expression of the
 * cycle's id.
 */
export function countsLateSql(cycle: string): string {
  return `EXISTS (SELECT 1 FROM publication p WHERE p.cycle_id = ${cycle} AND p.published_at IS NULL AND p.include_late_responses)`;
}

/**
 * The candidates of a unit's result of a year (the working copy, and the
 * archived version an amending year's readers read when they may not see
 * the working copy), as ResultRow holds them: the one a reader reads, or
 * null. `visible`: the caller's rule of who sees what status.
 */
export function readableVersion<T extends { fallback?: T }>(row: T | null | undefined, visible: (row: T) => boolean): T | null {
  if (!row) return null;
  if (visible(row)) return row;
  return row.fallback && visible(row.fallback) ? row.fallback : null;
}
