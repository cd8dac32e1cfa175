import type { Principal } from '../auth/principal';
import { namedQuery } from '../db/named-query';
import type { UnitKind } from '../entities/enums';
import {
  type RankedBand, type RankingFilter, type RankingService, type ResolvedRanking, scopeSql,
} from '../results/ranking.service';
import { readsVersionOfC, RESULT_SOURCE, visibleCycleSql } from '../results/versions';
import { asJsonNumber, publishedAverage } from '../results/sql';
import { setBounded } from '../util/bounded';
import { MAX_PAGE_SIZE } from '../util/cursor';
import {
  ALL_RESULT_FIELDS, column, objectSql, readsResultRow, resultJoins, resultJson, selectedOf, WHOLE_RESULT, WHOLE_RESULT_BUT_DOMAINS, writeJson,
} from './result-json';
import { PlanInvariantError, type ResultSelection, type Selected } from './selection';
import { memo, memoOf } from './statements';

/** A unit as a ranking edge carries it. */
export interface RankedUnit { id: string; dbId: number; code: string; name: string; kind: UnitKind; parentId: number | null }
/**
 * A domain result as read: published figures. When no leaf of the domain
 * applies to the unit it has no domain index: score reads 0 and rank is the
 * one after the last unit with an index (such units are listed last).
 */
export interface RankedDomain { code: string; name: string; score: number; earnedPoints: number; maxPoints: number; rank: number }
export type { RankedBand };
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
  /** The version read (IndexResult.version, when selected); archivedVersion: it, when read from the archive of published versions. */
  version?: number; archivedVersion: number | null;
  /** Absent when not selected. */
  unitName?: string; unit?: RankedUnit; band?: RankedBand | null; domains?: RankedDomain[];
}

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

/**
 * An edge's opaque cursor computed in SQL: util/cursor's encodeCursor of
 * [position, the ranking's tag] (base64url, unpadded); `tag` is the
 * parameter holding rankingTag's text.
 */
const cursorSql = (position: string, tag: string) =>
  `rtrim(translate(encode(convert_to('[' || ${position} || ',"' || ${tag} || '"]', 'UTF8'), 'base64'), '+/', '-_'), '=')`;

/** Whether a selection of a connection reads a cursor (an edge's, or pageInfo's start or end). */
const readsCursor = (selected: readonly Selected[]): boolean => selected.some((s) =>
  (s.name === 'edges' && (s.fields ?? []).some((e) => e.name === 'cursor'))
  || (s.name === 'pageInfo' && (s.fields ?? []).some((i) => i.name === 'startCursor' || i.name === 'endCursor')));

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

/** The version a statement read and whether it is a published one (its CTE c): what its answer may be kept by. */
const READ_VERSION = '(SELECT version FROM c) AS read_version, (SELECT settled FROM c) AS settled';
/**
 * Whether an aggregate may be kept under `key` (cycle and version): only
 * when the statement read that very version, published. The key comes from
 * the framework as this process last read it; another instance may have
 * amended the year since, and an amendment's working figures are never kept.
 */
const keeps = (key: string, row: { read_version: number | null; settled: boolean | null }) =>
  row.settled === true && key.split(':')[1] === `v${row.read_version}`;

/** The most rows a page statement reads: the largest page (`first`, RankingService.resolve) and the row after it. */
const PAGE_ROWS_BOUND = MAX_PAGE_SIZE + 1;

/** How many published summaries are kept in memory (they never change). */
const SUMMARY_CACHE_ENTRIES = 500;

/**
 * Rankings written as JSON by PostgreSQL: a page with its count and
 * summary, for the resolver (with the ids its field resolvers read) or as
 * the whole answer of a rendered query. The arguments, scope and
 * visibility are the ranking service's (src/results); this is the SQL
 * that shapes its rows into GraphQL's names.
 */
export class RankingPages {
  /** Summaries of published versions by cycle, version and scope: a published version's results never change. */
  private readonly publishedSummaries = new Map<string, { totalCount: number; summary: RankingSummary | null; domains: boolean }>();

  constructor(private readonly rankingService: RankingService) {}

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
    const q = await this.rankingService.resolve(filter, principal, !!wants.summary || !!wants.totalCount);
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
    const q = await this.rankingService.resolve(filter, principal, aggregated);
    const withDomains = summaries.some((s) => s.fields?.some((end) => end.fields?.some((f) => f.name === 'domains')));
    const aggregate = aggregated ? await this.aggregate(q, summaries.length > 0, withDomains) : null;
    return this.page(q, selected, false, {
      totalCount: withCount ? aggregate!.totalCount : null,
      summaries: summaries.map((summary) => writeJson(aggregate!.summary, 'RankingSummary', summary.fields ?? [])),
    });
  }

  /**
   * One statement: the JSON text of a connection's `selected` fields (edges,
   * pageInfo, and the count and summaries given), the page's rows shaped by
   * PostgreSQL. `internal`: with the ids the field resolvers read.
   */
  private async page(
    q: ResolvedRanking, selected: readonly Selected[], internal: boolean, given: { totalCount?: number | null; summaries?: string[] },
  ): Promise<string> {
    if (q.first + 1 > PAGE_ROWS_BOUND) throw new PlanInvariantError(`a page of ${q.first} rows is beyond ${PAGE_ROWS_BOUND - 1}`);
    const params: unknown[] = [q.year, q.unitKind, q.seesProvisional, q.first + 1, q.version];
    const nodes = selected.filter((f) => f.name === 'edges').flatMap((f) => (f.fields ?? []).filter((e) => e.name === 'node'));
    const s = scopeSql(q.scope, params, true, nodes.some((node) => readsResultRow(node.fields ?? [], internal)));
    const afterParam = q.after === null ? null : `$${params.push(q.after)}`;
    const totalParam = given.totalCount == null ? null : `$${params.push(given.totalCount)}`;
    const tagParam = readsCursor(selected) ? `$${params.push(q.tag)}::text` : null;
    // Each selection of the summary (in selection order), written by writeJson: as it is, json (not jsonb) keeps the text.
    const summaryParams = (given.summaries ?? []).map((summary) => `$${params.push(summary)}::json`);
    const variant = `page:${q.scope.domainId !== null}:${q.scope.parentId !== null}:${q.scope.bandCode !== null}:${afterParam}:${totalParam}:${tagParam}:${internal}`;
    const statement = memoOf(selected, variant, () => {
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
                case 'score': return asJsonNumber('coalesce(ir.edge_score, 0)');
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
      // f's LIMIT is a constant, the largest page: a named statement's generic plan (PostgreSQL's after five runs)
      // reads LIMIT $4 as a tenth of the ranking, plans a hash join over every unit and loses to planning each run
      // anew (a millisecond of planning a request). p's LIMIT $4 stops the scan: f's rows after it are never read.
      return `WITH ${visibleCycleSql('$5')},
        f AS (SELECT ${s.columns}, ${s.score} AS edge_score, ${s.rank} AS edge_rank, ${s.position} AS edge_position
                FROM ${s.from} ${inner.length ? `WHERE ${inner.join(' AND ')}` : ''}
                ${s.windowed ? '' : `ORDER BY ${s.position} LIMIT ${PAGE_ROWS_BOUND}`}),
        p AS (SELECT f.*, row_number() OVER (ORDER BY f.edge_position) AS rn
                FROM f ${outer.length ? `WHERE ${outer.join(' AND ')}` : ''} ORDER BY f.edge_position LIMIT $4)
        SELECT ${connection}::text AS body FROM (
          SELECT ${edges.map((edge, i) => `json_agg(${edge} ORDER BY ir.edge_position) FILTER (WHERE ir.rn < $4) AS edges${i}, `).join('')}
                 count(*)::int AS n${uses.cursors ? `,
                 min(ir.edge_position) FILTER (WHERE ir.rn < $4) AS first_position,
                 max(ir.edge_position) FILTER (WHERE ir.rn < $4) AS last_position` : ''}
            FROM p ir ${resultJoins(uses.band)}) e`;
    });
    const { rows } = await namedQuery<{ body: string }>(this.rankingService.pool, statement, params);
    return rows[0].body;
  }

  /**
   * Count, average of the rounded indices (rounded half-up), per-band
   * counts, highest and lowest of the filtered set, aggregated in
   * PostgreSQL. Kept in memory for published cycles, whose results never change.
   */
  private async aggregate(q: ResolvedRanking, withSummary: boolean, withDomains: boolean): Promise<{ totalCount: number; summary: RankingSummary | null }> {
    const { scope, cycle } = q;
    // A published version's figures never change: its summaries are kept by cycle and version.
    const key = cycle?.kept != null ? `${cycle.id}:v${cycle.kept}:${scope.domainId}:${scope.parentId}:${scope.bandCode}` : null;
    const kept = key === null ? undefined : this.publishedSummaries.get(key);
    if (kept && (kept.summary !== null || !withSummary) && (kept.domains || !withDomains)) return kept;

    const params: unknown[] = [q.year, q.unitKind, q.seesProvisional, q.version];
    // A count reads no result field (a domain's counts its domain results alone); the summary reads bands.
    const s = scopeSql(scope, params, false, withSummary);
    const w = s.where.length ? `WHERE ${s.where.join(' AND ')}` : '';
    const variant = `${scope.domainId !== null}:${scope.parentId !== null}:${scope.bandCode !== null}`;
    const pool = this.rankingService.pool;
    if (!withSummary) {
      const statement = memo(`count:${variant}`, () => `WITH ${visibleCycleSql('$4')}
        SELECT count(*)::int AS n, ${READ_VERSION} FROM ${s.from} ${w}`);
      const { rows } = await pool.query({ ...statement, values: params });
      const counted = { totalCount: rows[0].n as number, summary: null, domains: false };
      if (key !== null && keeps(key, rows[0])) setBounded(this.publishedSummaries, key, counted, SUMMARY_CACHE_ENTRIES);
      return counted;
    }
    const statement = memo(`summary:${variant}:${withDomains}`, () => `WITH ${visibleCycleSql('$4')},
      f AS MATERIALIZED (SELECT ir.unit_id, ${s.score} AS score, ${s.position} AS position, ir.band_code FROM ${s.from} ${w}),
      agg AS (SELECT count(*)::int AS n, count(score)::int AS scored, ${publishedAverage('score')} AS average FROM f),
      ends AS (SELECT (SELECT unit_id FROM f WHERE score IS NOT NULL ORDER BY position LIMIT 1) AS highest,
                      (SELECT unit_id FROM f WHERE score IS NOT NULL ORDER BY position DESC LIMIT 1) AS lowest)
      SELECT agg.n, agg.scored, agg.average::float8 AS average, ${READ_VERSION},
             (SELECT coalesce(json_object_agg(band_code, n), '{}'::json)
                FROM (SELECT band_code, count(*)::int AS n FROM f WHERE band_code IS NOT NULL AND score IS NOT NULL GROUP BY 1) x) AS bands,
             (SELECT json_agg(${resultJson(withDomains ? WHOLE_RESULT : WHOLE_RESULT_BUT_DOMAINS, true, { band: true })} ORDER BY ir.unit_id = ends.lowest)
                FROM ${RESULT_SOURCE} ir ${resultJoins(true)}
               WHERE ir.cycle_id = (SELECT id FROM c) AND ${readsVersionOfC('ir')} AND ir.unit_id IN (ends.highest, ends.lowest)) AS ends
        FROM agg, ends`);
    const { rows } = await pool.query({ ...statement, values: params });
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
    if (key !== null && keeps(key, rows[0])) setBounded(this.publishedSummaries, key, result, SUMMARY_CACHE_ENTRIES);
    return result;
  }
}

/** One RankingPages per ranking service, shared by the resolver and the renderer (their summary caches are one). */
const pagesByService = new WeakMap<RankingService, RankingPages>();
export function rankingPages(rankingService: RankingService): RankingPages {
  let pages = pagesByService.get(rankingService);
  if (!pages) {
    pages = new RankingPages(rankingService);
    pagesByService.set(rankingService, pages);
  }
  return pages;
}
