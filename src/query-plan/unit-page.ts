import type { Pool } from 'pg';
import { canSeeProvisional, ownUnitOf, type Principal } from '../auth/principal';
import { namedQuery } from '../db/named-query';
import type { RenderedRootField } from '../http/rendered-queries';
import { publishedVersionSql, RESULT_COLUMNS_OF_TABLE, workingVersionSql } from '../results/versions';
import { nameInYearSql } from '../services/unit-years';
import { nfc } from '../util/text';
import {
  BAND_FIELDS, BAND_JOIN, column, DOMAIN_FIELDS, objectSql, RESULT_FIELDS, resultJson, type ResultRows, UNIT_FIELDS,
} from './result-json';
import type { Selected } from './selection';
import { memoOf } from './statements';

/*
 * A unit's page, `unit(code) { ... results { ... } }`, written whole as JSON
 * by one PostgreSQL statement: the answer of UnitResolver.unit and
 * ResultsResolver.results (src/resolvers), field for field.
 *
 * In the statement, `u` is the unit (every result read is its own, so a
 * result's `unit` is `u` again) and `r.sees` whether the caller sees its
 * provisional results (seesSql). units(search:) writes its nodes the same
 * way (units.ts).
 */

/**
 * The unit's results the caller reads, one row per year at most, as `ir`
 * rows (index_result's columns, `archived`, `version`: 0 for the working
 * copy or the archived version, as resultJson's domains read it; `year`).
 * The rule of RankingService.resultsByUnits and readableVersion
 * (src/results): of each cycle of the unit's kind, the working copy if the
 * year is published or the caller sees provisional results; else, while
 * the year is amending, its latest published version from the archive
 * (which every reader sees), as it is when the caller sees provisional
 * results and the unit has no working result.
 *
 * Two plain joins, at most one row per cycle from either: the usual page
 * (every year published) reads the unit's index_result rows and their
 * cycles, nothing of the publications or the archive.
 */
const RESULT_ROWS = `(
    SELECT c0.year, false AS archived, 0 AS version, ${columnsOf('i0')}
      FROM index_result i0 JOIN cycle c0 ON c0.id = i0.cycle_id
     WHERE i0.unit_id = u.id AND c0.unit_kind = u.kind AND (c0.status = 'PUBLISHED' OR r.sees)
    UNION ALL
    SELECT c0.year, true, p0.version, ${columnsOf('p0')}
      FROM published_result p0 JOIN cycle c0 ON c0.id = p0.cycle_id
     WHERE p0.unit_id = u.id AND c0.unit_kind = u.kind AND c0.status <> 'PUBLISHED'
       AND p0.version = ${publishedVersionSql('c0.id')}
       AND NOT (r.sees AND EXISTS (SELECT FROM index_result i1 WHERE i1.cycle_id = c0.id AND i1.unit_id = u.id)))`;

/**
 * RESULT_ROWS for a reader who sees no provisional result (seesSql's
 * `r.sees` false: anonymous readers, kiosks) while no year of the unit's
 * kind is amending (AMENDING): the working copy of the published years
 * alone. The usual page; its plan has no archive, no publications and
 * nothing of `r`, which PostgreSQL initialises and locks on every
 * execution even when it reads no row there: in pgbench on the national
 * year the statement ran at 0.94 of the baseline's rate, against 0.62.
 */
const PUBLISHED_ROWS = `(
    SELECT c0.year, false AS archived, 0 AS version, ${columnsOf('i0')}
      FROM index_result i0 JOIN cycle c0 ON c0.id = i0.cycle_id
     WHERE i0.unit_id = u.id AND c0.unit_kind = u.kind AND c0.status = 'PUBLISHED')`;

/**
 * Whether a year of the unit `u`'s kind is amending (not PUBLISHED, with a
 * published version in the archive): when RESULT_ROWS reads the archive
 * for a reader who sees no provisional result, and PUBLISHED_ROWS is not
 * the whole answer.
 */
const AMENDING = `EXISTS (SELECT FROM cycle ca JOIN publication pa ON pa.cycle_id = ca.id AND pa.published_at IS NOT NULL
     WHERE ca.unit_kind = u.kind AND ca.status <> 'PUBLISHED')`;

/** index_result's columns (RESULT_COLUMNS_OF_TABLE) of the row alias `t`. */
function columnsOf(t: string): string {
  return RESULT_COLUMNS_OF_TABLE.split(',').map((c) => `${t}.${c.trim()}`).join(', ');
}

/**
 * A result's fields whose SQL is not a ranking's: its own year and version;
 * unitName as the resolver reads it (the name of the year, else the last
 * one before it, else the first: nameIn, then its first name; from_year is
 * unique per unit); stale is false on a read.
 */
const PAGE_RESULT_FIELDS: Record<string, string> = {
  year: 'ir.year',
  // IndexResult.version: the archived version read, or the working copy's (1 before the first publication).
  version: `CASE WHEN ir.archived THEN ir.version ELSE ${workingVersionSql('ir.cycle_id')} END`,
  unitName: `coalesce(${nameInYearSql('ir.unit_id', 'ir.year')},
    (SELECT n.name FROM unit_name n WHERE n.unit_id = ir.unit_id ORDER BY n.from_year <= ir.year DESC, abs(n.from_year - ir.year) LIMIT 1), '')`,
  stale: 'false',
};

/** The fields of each type the unit page's statement writes (`__typename` aside). */
export const UNIT_PAGE_RENDERED: Readonly<Record<string, readonly string[]>> = {
  Unit: [...Object.keys(UNIT_FIELDS), 'results'],
  IndexResult: [...Object.keys(RESULT_FIELDS), 'stale', 'unit', 'band', 'domains'],
  Band: Object.keys(BAND_FIELDS),
  DomainResult: Object.keys(DOMAIN_FIELDS),
};

/**
 * The lateral join `r` that unitJson's results read of each unit `u`:
 * whether the caller sees its provisional results (seesProvisionalOf), from
 * the parameters `all` (boolean: a provisional reader) and `own` (int: the
 * unit a UNIT token acts for, or NULL).
 */
export const seesSql = (all: string, own: string) => `CROSS JOIN LATERAL (SELECT ${all}::boolean OR (u.id = ${own}::int) IS TRUE AS sees) r`;

/** The values of seesSql's parameters for a caller. */
export const seesOf = (principal: Principal | null): [boolean, number | null] => [canSeeProvisional(principal), ownUnitOf(principal)];

/**
 * The unit `u` as the JSON of the fields selected; its results in a
 * subquery of `rows` (RESULT_ROWS, reading seesSql's `r`; or
 * PUBLISHED_ROWS), their unit `u` again.
 */
export function unitJson(selected: readonly Selected[], rows = RESULT_ROWS): string {
  const unit = (fields: readonly Selected[]): string =>
    objectSql('Unit', fields, (f) => (f.name === 'results' ? resultsJson(f.fields ?? [], rows, unit) : column(UNIT_FIELDS, f)));
  return unit(selected);
}

/** Unit.results of `u`: the `rows` it reads, latest year first, as a JSON array; a result's unit written by `unit`. */
function resultsJson(selected: readonly Selected[], rows: string, unit: ResultRows['unit']): string {
  const uses = { band: false };
  const result = resultJson(selected, false, uses, { fields: PAGE_RESULT_FIELDS, unit });
  return `(SELECT coalesce(json_agg(${result} ORDER BY ir.year DESC), '[]'::json) FROM ${rows} ir ${uses.band ? BAND_JOIN : ''})`;
}

/**
 * Root `unit(code)` rendered: its JSON text (`null` when no unit has the
 * code, as the resolver answers, without an error). The code is read as
 * UnitService.findByCode reads it (NFC, trimmed).
 *
 * A reader who sees no provisional result reads PUBLISHED_ROWS with
 * whether a year of the unit's kind is amending, in one statement; only
 * then (rare: while a published year is being amended) is the page read
 * again with RESULT_ROWS. Each answer is one statement's, so of one
 * snapshot.
 */
export function renderedUnitPage(source: { readonly pool: Pool }): RenderedRootField {
  return {
    fields: UNIT_PAGE_RENDERED,
    render: async (args, ctx, selected) => {
      const code = nfc(args.code as string);
      const [all, own] = seesOf(ctx.principal);
      if (!all && own === null) {
        const published = memoOf(selected, 'unit:published', () => `SELECT ${unitJson(selected, PUBLISHED_ROWS)}::text AS body,
          ${AMENDING} AS amending FROM unit u WHERE u.code = $1`);
        const { rows } = await namedQuery<{ body: string; amending: boolean }>(source.pool, published, [code]);
        if (rows.length === 0) return 'null';
        if (!rows[0].amending) return rows[0].body;
      }
      const statement = memoOf(selected, 'unit', () => `SELECT (
        SELECT ${unitJson(selected)} FROM unit u ${seesSql('$2', '$3')} WHERE u.code = $1)::text AS body`);
      const { rows } = await namedQuery<{ body: string | null }>(source.pool, statement, [code, all, own]);
      return rows[0].body ?? 'null';
    },
  };
}
