import { UnitKind } from '../entities/enums';

/**
 * The one home of "the map of a year" (DOMAIN.md, "The map changes"): which
 * units exist in a year, with which name and parent. Every reader that
 * needs a year's units (recomputation, rankings, satisfaction, unit lists,
 * validation) builds its SQL from these pieces.
 *
 * - A unit exists in year Y when first_year <= Y <= last_year (null: no
 *   end); a DISTRICT exists up to 2024 only, whatever its row says
 *   (districts were abolished on 1 July 2025).
 * - Its name and parent in Y are the unit_name and unit_parent rows whose
 *   years cover Y; a parent that does not exist in Y reads as none (the
 *   commune sits directly under the province that year).
 */

/** The last year of the three-tier map: districts exist up to it. */
export const LAST_DISTRICT_YEAR = 2024;
/** The first year the service accepts; a unit without an earlier limit starts there. */
export const FIRST_YEAR = 2000;
export const LAST_YEAR = 2100;

/** The year a unit reads as its last: a DISTRICT's is at most 2024. */
export function lastYearOf(kind: UnitKind, lastYear: number | null): number | null {
  if (kind !== UnitKind.DISTRICT) return lastYear;
  return Math.min(lastYear ?? LAST_DISTRICT_YEAR, LAST_DISTRICT_YEAR);
}

/** Whether a unit exists in `year` (in TypeScript, for validation). */
export function existsIn(unit: { kind: UnitKind; firstYear: number; lastYear: number | null }, year: number): boolean {
  const last = lastYearOf(unit.kind, unit.lastYear);
  return unit.firstYear <= year && (last === null || year <= last);
}

/** "2000–2024", "2025 on": a unit's years as a message shows them. */
export function yearsText(unit: { kind: UnitKind; firstYear: number; lastYear: number | null }): string {
  const last = lastYearOf(unit.kind, unit.lastYear);
  return last === null ? `${unit.firstYear} on` : `${unit.firstYear}–${last}`;
}

/** SQL: unit `u` (an alias of unit) exists in year `y` (an SQL expression). */
export const existsInYearSql = (u: string, y: string): string =>
  `(${u}.first_year <= ${y} AND (${u}.last_year IS NULL OR ${u}.last_year >= ${y}) AND (${u}.kind <> 'DISTRICT' OR ${y} <= ${LAST_DISTRICT_YEAR}))`;

/** SQL: row `t` of unit_name or unit_parent covers year `y`. */
export const coversYearSql = (t: string, y: string): string =>
  `${t}.from_year <= ${y} AND (${t}.to_year IS NULL OR ${t}.to_year >= ${y})`;

/**
 * SQL: a FROM item (a parenthesised subquery) of the units that exist in
 * year `y`, one row each: id, public_id, code, kind, first_year,
 * last_year, search_text, and that year's name and parent_id.
 */
export function unitsOfYearSql(y: string): string {
  return `(SELECT u.id, u.public_id, u.code, u.kind, u.first_year, u.last_year, u.search_text, n.name,
                  CASE WHEN ${existsInYearSql('pu', y)} THEN p.parent_id END AS parent_id
             FROM unit u
             JOIN unit_name n ON n.unit_id = u.id AND ${coversYearSql('n', y)}
             LEFT JOIN unit_parent p ON p.unit_id = u.id AND ${coversYearSql('p', y)}
             LEFT JOIN unit pu ON pu.id = p.parent_id
            WHERE ${existsInYearSql('u', y)})`;
}

/** SQL: the name of unit id `unitId` (an SQL expression) in year `y`. */
export const nameInYearSql = (unitId: string, y: string): string =>
  `(SELECT n.name FROM unit_name n WHERE n.unit_id = ${unitId} AND ${coversYearSql('n', y)})`;

/** The name of `year` among a unit's names (oldest first, each from its year on); null before the first. */
export function nameIn(names: readonly { name: string; fromYear: number }[], year: number): string | null {
  let name: string | null = null;
  for (const n of names) if (n.fromYear <= year) name = n.name;
  return name;
}
