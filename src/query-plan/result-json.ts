import { asJsonNumber, published2 } from '../results/sql';
import { LAST_DISTRICT_YEAR, nameInYearSql } from '../services/unit-years';
import { PlanInvariantError, type ResultSelection, type Selected } from './selection';

/*
 * The SQL of each field of a result as JSON (`ir`, its unit `u`, band `b`,
 * domain result `dr` of domain `d`; $1 is the year; `c` the version read,
 * src/results/versions.ts). Floats go out as the
 * stored numerics without trailing zeros (72.7 for 72.70, 100 for 100.00),
 * as graphql-js writes them (asJsonNumber); a cast to float8 would cost a
 * fifth of the statement. Points are published half-up to two decimals (published2).
 */
export const RESULT_FIELDS: Record<string, string> = {
  year: '$1::int', score: asJsonNumber('ir.score'), expertScore: asJsonNumber('ir.expert_score'), surveyScore: asJsonNumber('ir.survey_score'),
  earnedPoints: asJsonNumber(published2('ir.earned_points')), maxPoints: asJsonNumber(published2('ir.max_points')),
  rank: 'ir.rank', previousRank: 'ir.previous_rank', rankChange: 'ir.previous_rank - ir.rank', responses: 'ir.responses',
  surveyInsufficient: 'ir.survey_insufficient', provisional: 'ir.provisional', published: 'ir.published',
  version: '(SELECT version FROM c)',
  // The unit's name in the result's year (units over time: services/unit-years.ts).
  unitName: nameInYearSql('ir.unit_id', '$1::int'),
};
/**
 * The fields of a result written from its key alone (cycle_id, unit_id,
 * version; the year is $1): a row of a table with that key serves them
 * (a domain ranking reads its domain results without their results).
 */
const KEY_FIELDS = new Set(['__typename', 'year', 'version', 'unitName', 'unit', 'domains']);
/** Whether resultJson of `selected` reads the result row's own columns (`internal`: its band code, always). */
export const readsResultRow = (selected: readonly Selected[], internal: boolean): boolean =>
  internal || selected.some((s) => !KEY_FIELDS.has(s.name));
/** A Unit's fields as toUnitType gives them: its current name; a DISTRICT ends in 2024 at the latest (lastYearOf). */
export const UNIT_FIELDS: Record<string, string> = {
  id: 'u.public_id::text', code: 'u.code', name: 'u.name', kind: 'u.kind', firstYear: 'u.first_year',
  lastYear: `CASE WHEN u.kind = 'DISTRICT' THEN least(coalesce(u.last_year, ${LAST_DISTRICT_YEAR}), ${LAST_DISTRICT_YEAR}) ELSE u.last_year END`,
};
export const BAND_FIELDS: Record<string, string> = { code: 'b.code', label: 'b.label', minScore: asJsonNumber('b.min_score') };
export const DOMAIN_FIELDS: Record<string, string> = {
  code: 'd.code', name: 'd.name', score: asJsonNumber('coalesce(dr.score, 0)'),
  earnedPoints: asJsonNumber(published2('dr.earned_points')), maxPoints: asJsonNumber(published2('dr.max_points')), rank: 'coalesce(dr.rank, 0)',
};
export const ALL_RESULT_FIELDS: ResultSelection = {
  fields: Object.keys(RESULT_FIELDS), unit: Object.keys(UNIT_FIELDS), band: true, domains: Object.keys(DOMAIN_FIELDS),
};

/**
 * The fields of each type that the ranking statements write (in SQL, the
 * summary with writeJson), `__typename` aside; a selection of any other
 * field (a unit's parent, its results) is resolved field by field instead.
 */
export const RENDERED_FIELDS: Record<string, readonly string[]> = {
  RankingConnection: ['edges', 'pageInfo', 'totalCount', 'summary'],
  RankingSummary: ['count', 'average', 'highest', 'lowest', 'bands'],
  BandCount: ['band', 'count'],
  RankingEdge: ['cursor', 'rank', 'score', 'node'],
  PageInfo: ['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor'],
  IndexResult: [...Object.keys(RESULT_FIELDS), 'unit', 'band', 'domains'],
  Unit: Object.keys(UNIT_FIELDS),
  Band: Object.keys(BAND_FIELDS),
  DomainResult: Object.keys(DOMAIN_FIELDS),
};

/** A result's selection as fields keyed by their names, for the resolvers' reads. */
export function selectedOf(sel: ResultSelection): Selected[] {
  const leaves = (names: readonly string[], all: Record<string, string>) => names.filter((n) => n in all).map((name) => ({ key: name, name }));
  const out: Selected[] = leaves(sel.fields, RESULT_FIELDS);
  // The unit's id is always read (below), for the resolvers of its other fields.
  if (sel.unit) out.push({ key: 'unit', name: 'unit', fields: leaves(sel.unit.filter((n) => n !== 'id'), UNIT_FIELDS) });
  if (sel.band) out.push({ key: 'band', name: 'band', fields: leaves(Object.keys(BAND_FIELDS), BAND_FIELDS) });
  if (sel.domains) out.push({ key: 'domains', name: 'domains', fields: leaves(sel.domains, DOMAIN_FIELDS) });
  return out;
}

/** Every field of a result, for a summary's highest and lowest. */
export const WHOLE_RESULT = selectedOf(ALL_RESULT_FIELDS);
export const WHOLE_RESULT_BUT_DOMAINS = selectedOf({ ...ALL_RESULT_FIELDS, domains: null });

/** The SQL of a field from its type's map (a programming error if the planner let an unknown one through). */
export function column(all: Record<string, string>, s: Selected): string {
  const sql = all[s.name];
  if (sql === undefined) throw new PlanInvariantError(`No SQL for field ${s.name}`);
  return sql;
}

/** json_build_object of the selected fields under their response keys, after the `extra` pairs. */
export function objectSql(type: string, selected: readonly Selected[], sqlOf: (s: Selected) => string, extra: readonly string[] = []): string {
  const pairs = [...extra, ...selected.map((s) => `'${s.key}', ${s.name === '__typename' ? `'${type}'` : sqlOf(s)}`)];
  return `json_build_object(${pairs.join(', ')})`;
}

/**
 * Where a result row's figures come from when not a ranking's (one year,
 * $1, one version, CTE c): the SQL of the fields that differ from
 * RESULT_FIELDS', and how its unit is written (default: the joined `u`).
 */
export interface ResultRows {
  fields: Readonly<Record<string, string>>;
  unit: (selected: readonly Selected[]) => string;
}

/**
 * A result row of `ir` (index_result; $1 is the year) as the JSON of the
 * fields selected: unit and band joined (resultJoins), domain results
 * from a correlated subquery (domainsJson: of `ir.version`, 0 for the
 * working copy, or the archived version). `internal` adds the ids the field
 * resolvers read (a RankedResult's cycleId, unitId, bandCode, archivedVersion, unit id and parentId).
 * `uses.band` is set when the band is read. `rows`: other rows than a ranking's.
 */
export function resultJson(selected: readonly Selected[], internal: boolean, uses: { band: boolean }, rows?: ResultRows): string {
  return objectSql('IndexResult', selected, (s) => {
    if (rows && Object.hasOwn(rows.fields, s.name)) return rows.fields[s.name];
    switch (s.name) {
      case 'unit':
        if (rows) return rows.unit(s.fields ?? []);
        return objectSql('Unit', s.fields ?? [], (f) => column(UNIT_FIELDS, f), internal ? [`'id', u.public_id::text`, `'dbId', u.id`, `'parentId', u.parent_id`] : []);
      case 'band':
        uses.band = true;
        return `CASE WHEN b.code IS NULL THEN NULL ELSE ${objectSql('Band', s.fields ?? [], (f) => column(BAND_FIELDS, f))} END`;
      case 'domains':
        return domainsJson(s.fields ?? []);
      default:
        return column(RESULT_FIELDS, s);
    }
  }, internal ? [`'cycleId', ir.cycle_id`, `'unitId', ir.unit_id`, `'bandCode', ir.band_code`, `'archivedVersion', (SELECT CASE WHEN archived THEN version END FROM c)`] : []);
}
/**
 * A result row's domain results as a JSON array: of the working copy
 * (domain_result) when `ir.version` is 0, else of the archived version
 * (published_domain_result). Two subqueries, of which one runs: a union of
 * both tables would probe the archive for every working-copy row.
 */
function domainsJson(selected: readonly Selected[]): string {
  const array = (table: string, version: string) => `(SELECT coalesce(json_agg(${objectSql('DomainResult', selected, (f) => column(DOMAIN_FIELDS, f))} ORDER BY d.position), '[]'::json)
          FROM ${table} dr JOIN criterion d ON d.id = dr.domain_id
         WHERE dr.cycle_id = ir.cycle_id AND dr.unit_id = ir.unit_id${version})`;
  return `CASE WHEN ir.version = 0 THEN ${array('domain_result', '')} ELSE ${array('published_domain_result', ' AND dr.version = ir.version')} END`;
}

/** The band `b` of a result row `ir`. */
export const BAND_JOIN = 'LEFT JOIN band b ON b.cycle_id = ir.cycle_id AND b.code = ir.band_code';
/** The unit of a result row `ir`, and its band when read. */
export const resultJoins = (band: boolean) => `LEFT JOIN unit u ON u.id = ir.unit_id${band ? ` ${BAND_JOIN}` : ''}`;

/** The type each object field of a summary holds (for `__typename`). */
const FIELD_TYPES: Record<string, Record<string, string>> = {
  RankingSummary: { highest: 'IndexResult', lowest: 'IndexResult', bands: 'BandCount' },
  BandCount: { band: 'Band' },
  IndexResult: { unit: 'Unit', band: 'Band', domains: 'DomainResult' },
};

/**
 * The JSON of `value` of `type` as the resolvers hold it (a kept summary)
 * with the fields `selected` under their response keys, as graphql-js
 * writes it. A field not read (undefined, or a method reading it later)
 * is a programming error: the caller reads all it renders.
 */
export function writeJson(value: unknown, type: string, selected: readonly Selected[]): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map((item) => writeJson(item, type, selected)).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${selected.map((s) => {
    const v = s.name === '__typename' ? type : record[s.name];
    if (v === undefined || typeof v === 'function') throw new PlanInvariantError(`${type}.${s.name} was not read`);
    return `"${s.key}":${s.fields ? writeJson(v, FIELD_TYPES[type][s.name], s.fields) : JSON.stringify(v)}`;
  }).join(',')}}`;
}
