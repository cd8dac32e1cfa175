import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { pgPool } from '../db/data-source';
import { canSeeProvisional, type Principal } from '../auth/principal';
import { CycleStatus, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import type { UnitService } from '../services/unit.service';
import { setBounded } from '../util/bounded';
import { decodeCursor, DEFAULT_PAGE_SIZE } from '../util/cursor';
import { quoted } from '../util/text';
import { requireInt, requireYear } from '../util/validate';

/** A stored result as read: index_result with its cycle's year and status. */
export interface ResultRow {
  cycle_id: number; unit_id: number; year: number; status: CycleStatus;
  score: string; expert_score: string | null; survey_score: string | null;
  earned_points: string; max_points: string; rank: number; parent_rank: number | null; previous_rank: number | null;
  band_code: string | null; responses: number; survey_insufficient: boolean; provisional: boolean; published: boolean;
}
export interface DomainResultRow {
  cycle_id: number; unit_id: number; code: string; name: string;
  score: string | null; earned_points: string; max_points: string; rank: number | null;
}
export interface BandRow { cycle_id: number; code: string; label: string; min_score: string }

export interface RankingFilter {
  year: number; unitKind: UnitKind; domainCode?: string | null; parentCode?: string | null; bandCode?: string | null;
  /** 1 to 100; null or omitted: DEFAULT_PAGE_SIZE. */
  first?: number | null; after?: string | null;
}

/** A unit as a ranking edge carries it. */
export interface RankedUnit { id: string; dbId: number; code: string; name: string; kind: UnitKind; parentId: number | null }
/**
 * A domain result as read: published figures. When no leaf of the domain
 * applies to the unit it has no domain index: score reads 0 and rank is the
 * one after the last unit with an index (such units are listed last).
 */
export interface RankedDomain { code: string; name: string; score: number; earnedPoints: number; maxPoints: number; rank: number }
export interface RankedBand { code: string; label: string; minScore: number }
/**
 * A stored result read already shaped for output by one statement: its
 * figures (numerics rounded half-up to two decimals in PostgreSQL), its
 * unit, band and, when asked for, its domain results.
 */
export interface RankedResult {
  cycleId: number; unitId: number; bandCode: string | null; year: number;
  score: number; expertScore: number | null; surveyScore: number | null; earnedPoints: number; maxPoints: number;
  rank: number; previousRank: number | null; rankChange: number | null; responses: number;
  surveyInsufficient: boolean; provisional: boolean; published: boolean;
  /** Absent when not selected. */
  unit?: RankedUnit; band?: RankedBand | null; domains?: RankedDomain[];
}

/**
 * Which fields of a result to read: its own figures, its unit's, its
 * band, its domain results' (null: not read). Ids and codes the field
 * resolvers need (cycle, unit, band code, the unit's id and parent) are
 * always read.
 */
export interface ResultSelection { fields: readonly string[]; unit: readonly string[] | null; band: boolean; domains: readonly string[] | null }

/** A field as the caller selected it: its response key (alias or name), its name, the fields selected under it. */
export interface Selected { key: string; name: string; fields?: readonly Selected[] }

/** What the caller will read of a page; what it does not is not computed. Omitted: everything. */
export interface RankingWants {
  totalCount?: boolean; summary?: boolean; hasPreviousPage?: boolean;
  /** Of the edges' results; omitted: every field. */
  node?: ResultSelection;
  /** Domain results of the summary's highest and lowest. */
  summaryDomains?: boolean;
}
const EVERYTHING: RankingWants = { totalCount: true, summary: true, hasPreviousPage: true, summaryDomains: true };

export interface RankingSummary {
  count: number; average: number | null; highest: RankedResult | null; lowest: RankedResult | null;
  bands: { band: RankedBand; count: number }[];
}
export interface RankingPage {
  edges: { cursor: string; rank: number; score: number; node: RankedResult }[];
  hasNextPage: boolean; hasPreviousPage: boolean;
  /** Null when not asked for. */
  totalCount: number | null;
  summary: RankingSummary | null;
}

/** Points are published half-up to two decimals: PostgreSQL's round(numeric) rounds half away from zero (never negative here). */
const RESULT_COLUMNS = `ir.cycle_id, ir.unit_id, c.year, c.status, ir.score, ir.expert_score, ir.survey_score,
  round(ir.earned_points, 2) AS earned_points, round(ir.max_points, 2) AS max_points, ir.rank, ir.parent_rank, ir.previous_rank, ir.band_code, ir.responses, ir.survey_insufficient,
  ir.provisional, ir.published`;

/*
 * The SQL of each field of a result as JSON (`ir`, its unit `u`, band `b`,
 * domain result `dr` of domain `d`; $1 is the year). Floats go out as the
 * stored numerics without trailing zeros (72.7 for 72.70, 100 for 100.00),
 * as graphql-js writes them; a cast to float8 would cost a fifth of the statement.
 */
const float = (numeric: string) => `trim_scale(${numeric})`;
const RESULT_FIELDS: Record<string, string> = {
  year: '$1::int', score: float('ir.score'), expertScore: float('ir.expert_score'), surveyScore: float('ir.survey_score'),
  // Published half-up to two decimals: PostgreSQL's round(numeric) rounds half away from zero (never negative here).
  earnedPoints: float('round(ir.earned_points, 2)'), maxPoints: float('round(ir.max_points, 2)'),
  rank: 'ir.rank', previousRank: 'ir.previous_rank', rankChange: 'ir.previous_rank - ir.rank', responses: 'ir.responses',
  surveyInsufficient: 'ir.survey_insufficient', provisional: 'ir.provisional', published: 'ir.published',
};
const UNIT_FIELDS: Record<string, string> = { id: 'u.public_id::text', code: 'u.code', name: 'u.name', kind: 'u.kind' };
const BAND_FIELDS: Record<string, string> = { code: 'b.code', label: 'b.label', minScore: float('b.min_score') };
const DOMAIN_FIELDS: Record<string, string> = {
  code: 'd.code', name: 'd.name', score: float('coalesce(dr.score, 0)'),
  earnedPoints: float('round(dr.earned_points, 2)'), maxPoints: float('round(dr.max_points, 2)'), rank: 'coalesce(dr.rank, 0)',
};
export const ALL_RESULT_FIELDS: ResultSelection = {
  fields: Object.keys(RESULT_FIELDS), unit: Object.keys(UNIT_FIELDS), band: true, domains: Object.keys(DOMAIN_FIELDS),
};

/**
 * The fields of each type that {@link RankingService.rankingsJson} writes
 * (in SQL, the summary with writeJson), `__typename` aside; a selection of
 * any other field (a unit's parent, its results) is resolved field by field instead.
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

/**
 * A bug, never the client's input: the planner admits only the fields of
 * RENDERED_FIELDS, each of which has its SQL here, and the service reads
 * every field it writes. It answers INTERNAL_SERVER_ERROR (logged with its
 * stack); a rendered query that meets one is resolved field by field instead.
 */
export class PlanInvariantError extends Error {
  override name = 'PlanInvariantError';
}

/** A result's selection as fields keyed by their names, for the resolvers' reads. */
function selectedOf(sel: ResultSelection): Selected[] {
  const leaves = (names: readonly string[], all: Record<string, string>) => names.filter((n) => n in all).map((name) => ({ key: name, name }));
  const out: Selected[] = leaves(sel.fields, RESULT_FIELDS);
  // The unit's id is always read (below), for the resolvers of its other fields.
  if (sel.unit) out.push({ key: 'unit', name: 'unit', fields: leaves(sel.unit.filter((n) => n !== 'id'), UNIT_FIELDS) });
  if (sel.band) out.push({ key: 'band', name: 'band', fields: leaves(Object.keys(BAND_FIELDS), BAND_FIELDS) });
  if (sel.domains) out.push({ key: 'domains', name: 'domains', fields: leaves(sel.domains, DOMAIN_FIELDS) });
  return out;
}

/** The SQL of a field from its type's map (a programming error if the planner let an unknown one through). */
function column(all: Record<string, string>, s: Selected): string {
  const sql = all[s.name];
  if (sql === undefined) throw new PlanInvariantError(`No SQL for field ${s.name}`);
  return sql;
}

/** json_build_object of the selected fields under their response keys, after the `extra` pairs. */
function objectSql(type: string, selected: readonly Selected[], sqlOf: (s: Selected) => string, extra: readonly string[] = []): string {
  const pairs = [...extra, ...selected.map((s) => `'${s.key}', ${s.name === '__typename' ? `'${type}'` : sqlOf(s)}`)];
  return `json_build_object(${pairs.join(', ')})`;
}

/**
 * A result row of `ir` (index_result; $1 is the year) as the JSON of the
 * fields selected: unit and band joined (resultJoins), domain results
 * from one correlated subquery. `internal` adds the ids the field
 * resolvers read (a RankedResult's cycleId, unitId, bandCode, unit id and parentId).
 * `uses.band` is set when the band is read.
 */
function resultJson(selected: readonly Selected[], internal: boolean, uses: { band: boolean }): string {
  return objectSql('IndexResult', selected, (s) => {
    switch (s.name) {
      case 'unit':
        return objectSql('Unit', s.fields ?? [], (f) => column(UNIT_FIELDS, f), internal ? [`'id', u.public_id::text`, `'dbId', u.id`, `'parentId', u.parent_id`] : []);
      case 'band':
        uses.band = true;
        return `CASE WHEN b.code IS NULL THEN NULL ELSE ${objectSql('Band', s.fields ?? [], (f) => column(BAND_FIELDS, f))} END`;
      case 'domains':
        return `(SELECT coalesce(json_agg(${objectSql('DomainResult', s.fields ?? [], (f) => column(DOMAIN_FIELDS, f))} ORDER BY d.position), '[]'::json)
          FROM domain_result dr JOIN criterion d ON d.id = dr.domain_id
         WHERE dr.cycle_id = ir.cycle_id AND dr.unit_id = ir.unit_id)`;
      default:
        return column(RESULT_FIELDS, s);
    }
  }, internal ? [`'cycleId', ir.cycle_id`, `'unitId', ir.unit_id`, `'bandCode', ir.band_code`] : []);
}
/** The unit of a result row `ir`, and its band when read. */
const resultJoins = (band: boolean) => `LEFT JOIN unit u ON u.id = ir.unit_id${band ? ' LEFT JOIN band b ON b.cycle_id = ir.cycle_id AND b.code = ir.band_code' : ''}`;

/**
 * An edge's opaque cursor computed in SQL: util/cursor's encodeCursor of
 * [position, the ranking's tag] (base64url, unpadded); `tag` is the
 * parameter holding rankingTag's text.
 */
const cursorSql = (position: string, tag: string) =>
  `rtrim(translate(encode(convert_to('[' || ${position} || ',"' || ${tag} || '"]', 'UTF8'), 'base64'), '+/', '-_'), '=')`;

/**
 * Which ranking a cursor belongs to: a short hash of the year, kind and
 * filters, so that a cursor of another ranking (or of the units list) is
 * refused instead of read as a position of this one.
 */
function rankingTag(year: number, unitKind: UnitKind, scope: Scope): string {
  return createHash('sha1').update(`${year}:${unitKind}:${scope.domainId}:${scope.parentId}:${scope.bandCode}`).digest('hex').slice(0, 12);
}

/** The largest stored position (PostgreSQL int): beyond it no cursor was ever made. */
const MAX_POSITION = 2_147_483_647;

/** Whether a selection of a connection reads a cursor (an edge's, or pageInfo's start or end). */
const readsCursor = (selected: readonly Selected[]): boolean => selected.some((s) =>
  (s.name === 'edges' && (s.fields ?? []).some((e) => e.name === 'cursor'))
  || (s.name === 'pageInfo' && (s.fields ?? []).some((i) => i.name === 'startCursor' || i.name === 'endCursor')));

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
function writeJson(value: unknown, type: string, selected: readonly Selected[]): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map((item) => writeJson(item, type, selected)).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${selected.map((s) => {
    const v = s.name === '__typename' ? type : record[s.name];
    if (v === undefined || typeof v === 'function') throw new PlanInvariantError(`${type}.${s.name} was not read`);
    return `"${s.key}":${s.fields ? writeJson(v, FIELD_TYPES[type][s.name], s.fields) : JSON.stringify(v)}`;
  }).join(',')}}`;
}

/** The filtered set of a ranking: which rows, in which order, with which score and rank. */
interface Scope { domainId: number | null; parentId: number | null; bandCode: string | null }

/**
 * SQL pieces of a scope over `ir` in the visible cycle (`c`, the statement's
 * first CTE); parameters are appended to `params`.
 */
function scopeSql(scope: Scope, params: unknown[], ranked: boolean) {
  let from = 'index_result ir';
  // A scalar subquery, so that the index on (cycle_id, position) serves the order and the keyset.
  const where: string[] = ['ir.cycle_id = (SELECT id FROM c)'];
  let score = 'ir.score';
  let position = 'ir.position';
  let rank = 'ir.rank';
  let windowed = false;
  if (scope.domainId !== null) {
    params.push(scope.domainId);
    from += ` JOIN domain_result dr ON dr.cycle_id = ir.cycle_id AND dr.unit_id = ir.unit_id AND dr.domain_id = $${params.length}`;
    score = 'dr.score';
    position = 'dr.position';
    rank = 'dr.rank';
  }
  if (scope.parentId !== null) {
    params.push(scope.parentId);
    from += ` JOIN unit pu ON pu.id = ir.unit_id AND pu.parent_id = $${params.length}`;
    // Within a parent: the stored parent rank overall; by domain, competition ranking on the domain index
    // over the whole parent (before the band filter and the page).
    if (scope.domainId === null) rank = 'ir.parent_rank';
    else if (ranked) {
      rank = 'rank() OVER (ORDER BY dr.score DESC NULLS LAST)';
      windowed = true;
    }
  }
  // With a window rank the band filter goes outside the window (the rank is over the whole parent).
  let outerBand: string | null = null;
  if (scope.bandCode !== null) {
    params.push(scope.bandCode);
    if (windowed) outerBand = `f.band_code = $${params.length}`;
    else where.push(`ir.band_code = $${params.length}`);
  }
  return { from, where, score, position, rank, windowed, outerBand };
}

/** Whether a reader may see a result: published cycles to everyone, others to roles that see provisional results. */
export function isVisible(status: CycleStatus, principal: Principal | null): boolean {
  return status === CycleStatus.PUBLISHED || canSeeProvisional(principal);
}

/** The visible cycle of a statement: $1 year, $2 unit kind, $3 whether the reader sees provisional results. */
const VISIBLE_CYCLE = `c AS (SELECT id, year FROM cycle WHERE year = $1 AND unit_kind = $2 AND (status = 'PUBLISHED' OR $3::boolean))`;

/** A ranking's checked arguments and resolved scope (RankingService.resolve). */
interface ResolvedRanking {
  year: number; unitKind: UnitKind; first: number; after: number | null;
  /** Which ranking this is, written into its cursors (rankingTag). */
  tag: string;
  seesProvisional: boolean; scope: Scope;
  cycle: { id: number; status: CycleStatus } | undefined; bands: RankedBand[]; hidden: boolean;
}

/** Every field of a result, for a summary's highest and lowest. */
const WHOLE_RESULT = selectedOf(ALL_RESULT_FIELDS);
const WHOLE_RESULT_BUT_DOMAINS = selectedOf({ ...ALL_RESULT_FIELDS, domains: null });

/** The connection fields the resolvers read of a page (RankingPage), per (cached) wants. */
const pageSelections = new WeakMap<RankingWants, Selected[]>();
function pageSelection(wants: RankingWants): Selected[] {
  let selected = pageSelections.get(wants);
  if (!selected) {
    const leaf = (name: string): Selected => ({ key: name, name });
    selected = [
      { key: 'edges', name: 'edges', fields: [leaf('cursor'), leaf('rank'), leaf('score'), { key: 'node', name: 'node', fields: selectedOf(wants.node ?? ALL_RESULT_FIELDS) }] },
      { key: 'pageInfo', name: 'pageInfo', fields: [leaf('hasNextPage'), ...(wants.hasPreviousPage ? [leaf('hasPreviousPage')] : [])] },
    ];
    pageSelections.set(wants, selected);
  }
  return selected;
}

/** A selection as text, for the statement cache (selections are kept per document, so per object). */
const selectionKeys = new WeakMap<readonly Selected[], string>();
function selectionKey(selected: readonly Selected[]): string {
  let key = selectionKeys.get(selected);
  if (key === undefined) {
    const text = (list: readonly Selected[]): string => list.map((s) => `${s.key}:${s.name}${s.fields ? `{${text(s.fields)}}` : ''}`).join(',');
    key = text(selected);
    selectionKeys.set(selected, key);
  }
  return key;
}

/** A cycle's framework as a ranking's filters check it (RankingService.frame). */
interface CycleFrame { id: number; status: CycleStatus; bands: RankedBand[]; domains: Map<string, number> }

/** How many published summaries (and frameworks) are kept in memory (they never change). */
const SUMMARY_CACHE_ENTRIES = 500;

/**
 * Reading stored results: rankings pages with their summaries, and the
 * batch reads behind the per-request DataLoaders. Every read is a fixed
 * number of queries whatever the page size.
 */
export class RankingService {
  /** Frameworks of published cycles by year and kind, as the filters check them. */
  private readonly publishedFrames = new Map<string, CycleFrame>();
  /** Summaries of published cycles by cycle and scope: published results never change. */
  private readonly publishedSummaries = new Map<string, { totalCount: number; summary: RankingSummary | null; domains: boolean }>();

  constructor(private readonly db: DataSource, private readonly units: UnitService) {}

  /** The driver's pg pool: named (prepared) statements, which TypeORM's query() cannot send. */
  private get pool(): Pool {
    return pgPool(this.db);
  }

  /**
   * A page of a ranking. Order and ranks: overall, or by the domain's index
   * with domainCode; within the parent with parentCode (communes). bandCode
   * filters by the overall band. The summary covers the whole filtered set.
   * A cycle the reader may not see (unpublished, to a reader who may not see provisional results) or that
   * does not exist reads as an empty ranking.
   *
   * Only what `wants` names is computed: the page alone is one statement
   * (keyset on the stored position, rows shaped as JSON by PostgreSQL); the
   * count and summary are aggregated in SQL (kept in memory for published
   * cycles) only when read.
   */
  async rankings(filter: RankingFilter, principal: Principal | null, wants: RankingWants = EVERYTHING): Promise<RankingPage> {
    // With a count or summary, the framework too: a published cycle's are kept in memory.
    const q = await this.resolve(filter, principal, !!wants.summary || !!wants.totalCount);
    if (q.hidden) {
      return {
        edges: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0,
        summary: { count: 0, average: null, highest: null, lowest: null, bands: q.bands.map((band) => ({ band, count: 0 })) },
      };
    }
    const [text, aggregate] = await Promise.all([
      this.page(q, pageSelection(wants), true, {}),
      wants.summary || wants.totalCount ? this.aggregate(q, !!wants.summary, !!wants.summaryDomains) : null,
    ]);
    const page = JSON.parse(text) as { edges: RankingPage['edges']; pageInfo: { hasNextPage: boolean; hasPreviousPage?: boolean } };
    return {
      edges: page.edges, hasNextPage: page.pageInfo.hasNextPage, hasPreviousPage: page.pageInfo.hasPreviousPage ?? false,
      totalCount: aggregate?.totalCount ?? null, summary: aggregate?.summary ?? null,
    };
  }

  /**
   * A ranking (as {@link rankings}) as the JSON text of a RankingConnection
   * with the fields `selected` (of RENDERED_FIELDS) under their response
   * keys, in their order, written by PostgreSQL as graphql-js would write
   * them: the portal's page goes out without a field resolved in Node.
   * The count and summary, when selected, are read first (kept in memory
   * for published cycles, like their frameworks) and written into the
   * statement's JSON as parameters.
   */
  async rankingsJson(filter: RankingFilter, principal: Principal | null, selected: readonly Selected[]): Promise<string> {
    const summaries = selected.filter((s) => s.name === 'summary');
    const withCount = selected.some((s) => s.name === 'totalCount');
    const aggregated = withCount || summaries.length > 0;
    const q = await this.resolve(filter, principal, aggregated);
    const withDomains = summaries.some((s) => s.fields?.some((end) => end.fields?.some((f) => f.name === 'domains')));
    const aggregate = aggregated ? await this.aggregate(q, summaries.length > 0, withDomains) : null;
    return this.page(q, selected, false, {
      totalCount: withCount ? aggregate!.totalCount : null,
      summaries: summaries.map((summary) => writeJson(aggregate!.summary, 'RankingSummary', summary.fields ?? [])),
    });
  }

  /**
   * The arguments of a ranking checked and its scope resolved, before
   * anything is read: filters against the framework, which is also read
   * `withFramework` (the summary's bands; a published cycle's counts are
   * kept by cycle). `hidden`: the cycle was looked up and does not exist or
   * the reader may not see it (the page statement finds nothing then too).
   */
  private async resolve(filter: RankingFilter, principal: Principal | null, withFramework: boolean): Promise<ResolvedRanking> {
    const first = requireInt('first', filter.first ?? DEFAULT_PAGE_SIZE, 1, 100);
    const year = requireYear('year', filter.year);
    const q: ResolvedRanking = {
      year, unitKind: filter.unitKind, first, after: null, tag: '', seesProvisional: canSeeProvisional(principal),
      scope: { domainId: null, parentId: null, bandCode: filter.bandCode ?? null }, cycle: undefined, bands: [], hidden: false,
    };
    if (filter.domainCode != null || filter.parentCode != null || filter.bandCode != null || withFramework) await this.resolveScope(q, filter, principal);
    q.tag = rankingTag(year, q.unitKind, q.scope);
    if (filter.after != null) {
      // Only a cursor this ranking made: [a stored position, this ranking's tag].
      const [position, tag] = decodeCursor(filter.after, 'after', ['number', 'string']);
      if (!Number.isInteger(position) || position < 1 || position > MAX_POSITION || tag !== q.tag) {
        throw invalid('after', 'after is not a cursor returned by this ranking (same year, kind and filters)');
      }
      q.after = position;
    }
    return q;
  }

  /** The filters checked against the framework (read too), their ids resolved, and whether the cycle is hidden. */
  private async resolveScope(q: ResolvedRanking, filter: RankingFilter, principal: Principal | null): Promise<void> {
    const { year } = q;
    const frame = await this.frame(year, filter.unitKind);
    const cycle = frame && { id: frame.id, status: frame.status };
    q.cycle = cycle;
    q.bands = frame?.bands ?? [];
    if (filter.domainCode != null) {
      if (!frame) throw new AppError(ErrorCode.DOMAIN_NOT_FOUND, `domainCode ${quoted(filter.domainCode)}: no framework is defined for ${year} and ${filter.unitKind}`, 'domainCode');
      const domainId = frame.domains.get(filter.domainCode.normalize('NFC').trim());
      if (domainId === undefined) throw new AppError(ErrorCode.DOMAIN_NOT_FOUND, `domainCode ${quoted(filter.domainCode)} is not a domain of the ${year} ${filter.unitKind} framework`, 'domainCode');
      q.scope.domainId = domainId;
    }
    if (filter.parentCode != null) q.scope.parentId = (await this.units.requireByCode(filter.parentCode, 'parentCode')).id;
    if (filter.bandCode != null && cycle && !q.bands.some((b) => b.code === filter.bandCode)) {
      throw new AppError(ErrorCode.BAND_NOT_FOUND, `bandCode ${quoted(filter.bandCode)} is not a band of the ${year} ${filter.unitKind} framework; its bands are ${q.bands.map((b) => b.code).join(', ')}`, 'bandCode');
    }
    q.hidden = !cycle || !isVisible(cycle.status, principal);
  }

  /**
   * A year and kind's cycle as the filters check it: its bands and its
   * domains' ids by code, in one statement; kept in memory once published
   * (a published framework never changes). Undefined: none is defined.
   */
  private async frame(year: number, unitKind: UnitKind): Promise<CycleFrame | undefined> {
    const key = `${year}:${unitKind}`;
    const kept = this.publishedFrames.get(key);
    if (kept) return kept;
    const [row]: { id: number; status: CycleStatus; bands: { code: string; label: string; minScore: number }[]; domains: Record<string, number> }[] =
      await this.db.query(`
        SELECT c.id, c.status,
               (SELECT coalesce(json_agg(json_build_object('code', b.code, 'label', b.label, 'minScore', b.min_score) ORDER BY b.position), '[]')
                  FROM band b WHERE b.cycle_id = c.id) AS bands,
               (SELECT coalesce(json_object_agg(d.code, d.id), '{}') FROM criterion d WHERE d.cycle_id = c.id AND d.depth = 0) AS domains
          FROM cycle c WHERE c.year = $1 AND c.unit_kind = $2`, [year, unitKind]);
    if (!row) return undefined;
    const frame: CycleFrame = { id: row.id, status: row.status, bands: row.bands, domains: new Map(Object.entries(row.domains)) };
    if (frame.status === CycleStatus.PUBLISHED) setBounded(this.publishedFrames, key, frame, SUMMARY_CACHE_ENTRIES);
    return frame;
  }

  /**
   * One statement: the JSON text of a connection's `selected` fields (edges,
   * pageInfo, and the count and summaries given), the page's rows shaped by
   * PostgreSQL. `internal`: with the ids the field resolvers read.
   */
  private async page(
    q: ResolvedRanking, selected: readonly Selected[], internal: boolean, given: { totalCount?: number | null; summaries?: string[] },
  ): Promise<string> {
    const params: unknown[] = [q.year, q.unitKind, q.seesProvisional, q.first + 1];
    const s = scopeSql(q.scope, params, true);
    const afterParam = q.after === null ? null : `$${params.push(q.after)}`;
    const totalParam = given.totalCount == null ? null : `$${params.push(given.totalCount)}`;
    const tagParam = readsCursor(selected) ? `$${params.push(q.tag)}::text` : null;
    // Each selection of the summary (in selection order), written by writeJson: as it is, json (not jsonb) keeps the text.
    const summaryParams = (given.summaries ?? []).map((summary) => `$${params.push(summary)}::json`);
    const variant = `page:${q.scope.domainId !== null}:${q.scope.parentId !== null}:${q.scope.bandCode !== null}:${afterParam}:${totalParam}:${tagParam}:${internal}:${selectionKey(selected)}`;
    const statement = memo(variant, () => {
      // The window rank (domain within a parent) is taken over the whole parent: band and keyset filters go outside it.
      const inner = s.windowed || afterParam === null ? s.where : [...s.where, `${s.position} > ${afterParam}`];
      const outer = [...(s.outerBand ? [s.outerBand] : []), ...(s.windowed && afterParam !== null ? [`f.edge_position > ${afterParam}`] : [])];
      const before = afterParam === null
        ? 'false'
        : `EXISTS (SELECT 1 FROM ${s.from} WHERE ${[...s.where, ...(s.outerBand ? [s.outerBand.replace('f.', 'ir.')] : []), `${s.position} <= ${afterParam}`].join(' AND ')})`;
      // Each selection of edges (aliases may select several) is one aggregate over the page's rows.
      const edges: string[] = [];
      const uses = { band: false, cursors: false };
      let summaries = 0;
      const connection = objectSql('RankingConnection', selected, (f) => {
        switch (f.name) {
          case 'edges':
            edges.push(objectSql('RankingEdge', f.fields ?? [], (e) => {
              switch (e.name) {
                case 'cursor': return cursorSql('ir.edge_position', tagParam!);
                case 'rank': return 'ir.edge_rank';
                case 'score': return float('coalesce(ir.edge_score, 0)');
                case 'node': return resultJson(e.fields ?? [], internal, uses);
                default: throw new PlanInvariantError(`No SQL for field ${e.name}`);
              }
            }));
            return `coalesce(e.edges${edges.length - 1}, '[]'::json)`;
          case 'pageInfo':
            uses.cursors ||= f.fields?.some((i) => i.name === 'startCursor' || i.name === 'endCursor') ?? false;
            return objectSql('PageInfo', f.fields ?? [], (i) => column({
              hasNextPage: 'e.n >= $4', hasPreviousPage: before,
              startCursor: cursorSql('e.first_position', tagParam!), endCursor: cursorSql('e.last_position', tagParam!),
            }, i));
          case 'totalCount':
            if (totalParam === null) throw new PlanInvariantError('totalCount selected without its count');
            return `${totalParam}::int`;
          case 'summary':
            if (summaries >= summaryParams.length) throw new PlanInvariantError('summary selected without it');
            return summaryParams[summaries++];
          default:
            throw new PlanInvariantError(`No SQL for field ${f.name}`);
        }
      });
      // The row after the page (rn = $4) only says there is a next page: it is not shaped.
      return `WITH ${VISIBLE_CYCLE},
        f AS (SELECT ir.*, ${s.score} AS edge_score, ${s.rank} AS edge_rank, ${s.position} AS edge_position
                FROM ${s.from} ${inner.length ? `WHERE ${inner.join(' AND ')}` : ''}
                ${s.windowed ? '' : `ORDER BY ${s.position} LIMIT $4`}),
        p AS (SELECT f.*, row_number() OVER (ORDER BY f.edge_position) AS rn
                FROM f ${outer.length ? `WHERE ${outer.join(' AND ')}` : ''} ORDER BY f.edge_position LIMIT $4)
        SELECT ${connection}::text AS body FROM (
          SELECT ${edges.map((edge, i) => `json_agg(${edge} ORDER BY ir.edge_position) FILTER (WHERE ir.rn < $4) AS edges${i}, `).join('')}
                 count(*)::int AS n${uses.cursors ? `,
                 min(ir.edge_position) FILTER (WHERE ir.rn < $4) AS first_position,
                 max(ir.edge_position) FILTER (WHERE ir.rn < $4) AS last_position` : ''}
            FROM p ir ${resultJoins(uses.band)}) e`;
    });
    // rowMode array: the text column as it came, nothing else built per row.
    const { rows } = await this.pool.query({ ...statement, values: params, rowMode: 'array' });
    return rows[0][0] as string;
  }

  /**
   * Count, average of the rounded indices (rounded half-up), per-band
   * counts, highest and lowest of the filtered set, aggregated in
   * PostgreSQL. Kept in memory for published cycles, whose results never change.
   */
  private async aggregate(q: ResolvedRanking, withSummary: boolean, withDomains: boolean): Promise<{ totalCount: number; summary: RankingSummary | null }> {
    const { scope, cycle } = q;
    const key = cycle?.status === CycleStatus.PUBLISHED ? `${cycle.id}:${scope.domainId}:${scope.parentId}:${scope.bandCode}` : null;
    const kept = key === null ? undefined : this.publishedSummaries.get(key);
    if (kept && (kept.summary !== null || !withSummary) && (kept.domains || !withDomains)) return kept;

    const params: unknown[] = [q.year, q.unitKind, q.seesProvisional];
    const s = scopeSql(scope, params, false);
    const w = s.where.length ? `WHERE ${s.where.join(' AND ')}` : '';
    const variant = `${scope.domainId !== null}:${scope.parentId !== null}:${scope.bandCode !== null}`;
    if (!withSummary) {
      const statement = memo(`count:${variant}`, () => `WITH ${VISIBLE_CYCLE} SELECT count(*)::int AS n FROM ${s.from} ${w}`);
      const { rows } = await this.pool.query({ ...statement, values: params });
      const counted = { totalCount: rows[0].n as number, summary: null, domains: false };
      if (key !== null) setBounded(this.publishedSummaries, key, counted, SUMMARY_CACHE_ENTRIES);
      return counted;
    }
    const statement = memo(`summary:${variant}:${withDomains}`, () => `WITH ${VISIBLE_CYCLE},
      f AS MATERIALIZED (SELECT ir.unit_id, ${s.score} AS score, ${s.position} AS position, ir.band_code FROM ${s.from} ${w}),
      agg AS (SELECT count(*)::int AS n, count(score)::int AS scored, round(avg(round(score, 2)), 2) AS average FROM f),
      ends AS (SELECT (SELECT unit_id FROM f WHERE score IS NOT NULL ORDER BY position LIMIT 1) AS highest,
                      (SELECT unit_id FROM f WHERE score IS NOT NULL ORDER BY position DESC LIMIT 1) AS lowest)
      SELECT agg.n, agg.scored, agg.average::float8 AS average,
             (SELECT coalesce(json_object_agg(band_code, n), '{}'::json)
                FROM (SELECT band_code, count(*)::int AS n FROM f WHERE band_code IS NOT NULL AND score IS NOT NULL GROUP BY 1) x) AS bands,
             (SELECT json_agg(${resultJson(withDomains ? WHOLE_RESULT : WHOLE_RESULT_BUT_DOMAINS, true, { band: true })} ORDER BY ir.unit_id = ends.lowest)
                FROM index_result ir ${resultJoins(true)}
               WHERE ir.cycle_id = (SELECT id FROM c) AND ir.unit_id IN (ends.highest, ends.lowest)) AS ends
        FROM agg, ends`);
    const { rows } = await this.pool.query({ ...statement, values: params });
    const r = rows[0] as { n: number; scored: number; average: number | null; bands: Record<string, number>; ends: RankedResult[] | null };
    const ends = r.ends ?? [];
    const result = {
      totalCount: r.n,
      summary: {
        // By domain, units to which the domain does not apply (no domain index) are listed last and left out of the summary.
        count: r.scored, average: r.average,
        // Highest first; one unit alone is both.
        highest: ends[0] ?? null, lowest: ends[ends.length - 1] ?? null,
        bands: q.bands.map((band) => ({ band, count: r.bands[band.code] ?? 0 })),
      },
      domains: withDomains,
    };
    if (key !== null) setBounded(this.publishedSummaries, key, result, SUMMARY_CACHE_ENTRIES);
    return result;
  }

  /** Results by (unit, year), whatever their visibility: the caller filters. */
  async resultsByUnitYear(keys: readonly { unitId: number; year: number }[]): Promise<ResultRow[]> {
    return this.db.query(
      `SELECT ${RESULT_COLUMNS} FROM index_result ir JOIN cycle c ON c.id = ir.cycle_id
        JOIN unnest($1::int[], $2::int[]) AS k(unit_id, year) ON k.unit_id = ir.unit_id AND k.year = c.year`,
      [keys.map((k) => k.unitId), keys.map((k) => k.year)]);
  }

  /** Every result of the units, latest year first. */
  async resultsByUnits(unitIds: readonly number[]): Promise<ResultRow[]> {
    return this.db.query(
      `SELECT ${RESULT_COLUMNS} FROM index_result ir JOIN cycle c ON c.id = ir.cycle_id
        WHERE ir.unit_id = ANY($1::int[]) ORDER BY c.year DESC`, [unitIds]);
  }

  /** Domain results of (cycle, unit) pairs, in framework order. */
  async domainResults(keys: readonly { cycleId: number; unitId: number }[]): Promise<DomainResultRow[]> {
    return this.db.query(
      `SELECT dr.cycle_id, dr.unit_id, d.code, d.name, dr.score, round(dr.earned_points, 2) AS earned_points,
              round(dr.max_points, 2) AS max_points, dr.rank
         FROM domain_result dr
         JOIN unnest($1::int[], $2::int[]) AS k(cycle_id, unit_id) ON k.cycle_id = dr.cycle_id AND k.unit_id = dr.unit_id
         JOIN criterion d ON d.id = dr.domain_id
        ORDER BY d.position`,
      [keys.map((k) => k.cycleId), keys.map((k) => k.unitId)]);
  }

  async bandsOf(cycleIds: readonly number[]): Promise<BandRow[]> {
    return this.db.query(
      'SELECT cycle_id, code, label, min_score FROM band WHERE cycle_id = ANY($1::int[]) ORDER BY position', [cycleIds]);
  }
}

/** Statements by shape of query, each a named (prepared) statement: built and planned once per connection. */
const statements = new Map<string, { name: string; text: string }>();
const MAX_STATEMENTS = 200;
function memo(variant: string, build: () => string): { name?: string; text: string } {
  let statement = statements.get(variant);
  if (!statement) {
    const text = build();
    // Beyond the limit (as many selections as documents), an unnamed statement: nothing more kept per connection.
    if (statements.size >= MAX_STATEMENTS) return { text };
    statement = { name: `rankings_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text };
    statements.set(variant, statement);
  }
  return statement;
}
