import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { pgPool } from '../db/data-source';
import { canSeeProvisional, seesProvisionalOf, type Principal } from '../auth/principal';
import { CycleStatus, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import type { UnitService } from '../services/unit.service';
import { coversYearSql, existsIn, LAST_DISTRICT_YEAR, nameInYearSql, yearsText } from '../services/unit-years';
import { setBounded } from '../util/bounded';
import { decodeCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../util/cursor';
import { quoted } from '../util/text';
import { requireInt, requireYear } from '../util/validate';
import { published2 } from './sql';
import { DOMAIN_SOURCE, readsVersionOfC, RESULT_SOURCE, versionsOfSql } from './versions';

/*
 * Stored results as rows, and the rules of a ranking: its arguments checked,
 * its scope (which rows, in which order, with which score and rank), who may
 * see it. The SQL that writes a ranking as GraphQL's JSON is beside the
 * query plan (src/query-plan/rankings.ts), which builds on scopeSql here.
 */

/** A stored result as read: index_result with its cycle's year and status. */
export interface ResultRow {
  cycle_id: number; unit_id: number; year: number; status: CycleStatus;
  score: string; expert_score: string | null; survey_score: string | null;
  earned_points: string; max_points: string; rank: number; parent_rank: number | null; previous_rank: number | null;
  band_code: string | null; responses: number; survey_insufficient: boolean; provisional: boolean; published: boolean;
  /** The unit's name in the result's year (units over time). */
  unit_name?: string;
  /** Which version of the year's results it is (amendments); archived: read from the archive (status then PUBLISHED). */
  version?: number; archived?: boolean;
  /** The archived version to read instead when the reader may not see this one (readableVersion in versions.ts). */
  fallback?: ResultRow;
}
export interface DomainResultRow {
  cycle_id: number; unit_id: number; code: string; name: string;
  score: string | null; earned_points: string; max_points: string; rank: number | null;
  /** The archived version read; null or absent: the working copy. */
  version?: number | null;
}
export interface BandRow { cycle_id: number; code: string; label: string; min_score: string }

export interface RankingFilter {
  year: number; unitKind: UnitKind; domainCode?: string | null; parentCode?: string | null; bandCode?: string | null;
  /** 1 to 100; null or omitted: DEFAULT_PAGE_SIZE. */
  first?: number | null; after?: string | null;
  /** A published version (amendments: src/results/versions.ts); null or omitted: the one the reader reads by default. */
  version?: number | null;
}

export interface RankedBand { code: string; label: string; minScore: number }

/** Points are published half-up to two decimals (published2). `ir` a result row (working or archived), `c` its cycle. */
const RESULT_COLUMNS = `ir.cycle_id, ir.unit_id, c.year, ir.score, ir.expert_score, ir.survey_score,
  ${published2('ir.earned_points')} AS earned_points, ${published2('ir.max_points')} AS max_points, ir.rank, ir.parent_rank, ir.previous_rank, ir.band_code, ir.responses, ir.survey_insufficient,
  ir.provisional, ir.published, ${nameInYearSql('ir.unit_id', 'c.year')} AS unit_name`;

/** Tags already hashed: a portal asks for the same few rankings all day. */
const rankingTags = new Map<string, string>();

/**
 * Which ranking a cursor belongs to: a short hash of the year, kind and
 * filters, so that a cursor of another ranking (or of the units list) is
 * refused instead of read as a position of this one.
 */
function rankingTag(year: number, unitKind: UnitKind, scope: Scope, version: number | null): string {
  const versioned = version === null ? '' : `:v${version}`;
  const name = `${year}:${unitKind}:${scope.domainId}:${scope.parentId}:${scope.bandCode}${versioned}`;
  let tag = rankingTags.get(name);
  if (tag === undefined) {
    tag = createHash('sha1').update(name).digest('hex').slice(0, 12);
    setBounded(rankingTags, name, tag, 10_000);
  }
  return tag;
}

/** The largest stored position (PostgreSQL int): beyond it no cursor was ever made. */
const MAX_POSITION = 2_147_483_647;

/** The filtered set of a ranking: which rows, in which order, with which score and rank. */
export interface Scope { domainId: number | null; parentId: number | null; bandCode: string | null }

/**
 * SQL pieces of a scope over `ir` in the visible cycle (`c`, the statement's
 * first CTE); parameters are appended to `params`. `readsResult`: whether
 * the result rows are read (their fields); a domain's ranking that reads
 * none and filters on no band reads its domain results alone (`dr`, each
 * with its result of the same version: foreign keys); `row` names the
 * alias whose cycle_id, unit_id and version the rows have (in the
 * conditions), `columns` what of it they read.
 */
export function scopeSql(scope: Scope, params: unknown[], ranked: boolean, readsResult = true) {
  const domainOnly = scope.domainId !== null && scope.bandCode === null && !readsResult;
  const row = domainOnly ? 'dr' : 'ir';
  // The version `c` reads: the working copy or an archived version (src/results/versions.ts).
  let from = domainOnly ? `${DOMAIN_SOURCE} dr` : `${RESULT_SOURCE} ir`;
  // A scalar subquery, so that the index on (cycle_id, position) serves the order and the keyset.
  const where: string[] = [`${row}.cycle_id = (SELECT id FROM c)`, readsVersionOfC(row)];
  let score = 'ir.score';
  let position = 'ir.position';
  let rank = 'ir.rank';
  let windowed = false;
  if (scope.domainId !== null) {
    params.push(scope.domainId);
    if (domainOnly) where.push(`dr.domain_id = $${params.length}`);
    else from += ` JOIN ${DOMAIN_SOURCE} dr ON dr.cycle_id = ir.cycle_id AND dr.unit_id = ir.unit_id AND dr.version = ir.version AND dr.domain_id = $${params.length}`;
    score = 'dr.score';
    position = 'dr.position';
    rank = 'dr.rank';
  }
  if (scope.parentId !== null) {
    params.push(scope.parentId);
    // The parent in the ranking's year ($1): the unit_parent row covering it (the parent exists that year: resolveScope).
    from += ` JOIN unit_parent pu ON pu.unit_id = ${row}.unit_id AND pu.parent_id = $${params.length} AND ${coversYearSql('pu', '$1::int')}`;
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
  // The rows' columns: the result's, or the key a domain result shares with it.
  const columns = domainOnly ? 'dr.cycle_id, dr.unit_id, dr.version' : 'ir.*';
  return { from, where, score, position, rank, windowed, outerBand, columns };
}

/**
 * The version a ranking of `frame` reads when it is a published one (its
 * figures never change: kept summaries are keyed by it), else null: the
 * working copy of a PUBLISHED year (version asked or not), an earlier
 * version asked for (archived).
 */
function keptVersion(frame: CycleFrame, version: number | null): number | null {
  if (frame.status === CycleStatus.PUBLISHED && (version === null || version === frame.working)) return frame.working;
  return version !== null && version < frame.working ? version : null;
}

/**
 * Whether a reader may see a unit's result: published cycles to everyone,
 * others to roles that see provisional results and to the unit's own UNIT token.
 */
export function isVisible(status: CycleStatus, principal: Principal | null, unitId: number): boolean {
  return status === CycleStatus.PUBLISHED || seesProvisionalOf(principal, unitId);
}


/** A ranking's checked arguments and resolved scope (RankingService.resolve). */
export interface ResolvedRanking {
  year: number; unitKind: UnitKind; first: number; after: number | null;
  /** Which ranking this is, written into its cursors (rankingTag). */
  tag: string;
  seesProvisional: boolean; scope: Scope;
  /** The version asked for; null: the one the reader reads by default (src/results/versions.ts). */
  version: number | null;
  /**
   * The cycle when its framework was read; `kept`: the version this ranking
   * reads when that is a published one (its figures never change), else null.
   */
  cycle: { id: number; status: CycleStatus; kept: number | null } | undefined; bands: RankedBand[]; hidden: boolean;
}

/** A cycle's framework as a ranking's filters check it (RankingService.frame). */
interface CycleFrame {
  id: number; status: CycleStatus; bands: RankedBand[]; domains: Map<string, number>;
  /** The working copy's version and the latest published one (0: none): versionsOfSql. */
  working: number; published: number;
}

/** How many published frameworks are kept in memory (they never change). */
const SUMMARY_CACHE_ENTRIES = 500;
/**
 * How long a published year's framework is trusted to say which version is
 * published: another instance may amend the year, or publish its amendment,
 * and kept summaries are keyed by that version. Its bands and domains never
 * change; only this says when to read again (one statement per year and
 * kind per period).
 */
const PUBLISHED_FRAME_MS = 10_000;

/**
 * Reading stored results: a ranking's arguments and scope (the page and its
 * summary are written by src/query-plan/rankings.ts over scopeSql), and the
 * batch reads behind the per-request DataLoaders. Every read is a fixed
 * number of queries whatever the page size.
 */
export class RankingService {
  /** Frameworks of published cycles by year and kind, as the filters check them. */
  private readonly publishedFrames = new Map<string, CycleFrame & { readAt: number }>();

  constructor(private readonly db: DataSource, private readonly units: UnitService) {}

  /** The driver's pg pool: named (prepared) statements, which TypeORM's query() cannot send. */
  get pool(): Pool {
    return pgPool(this.db);
  }

  /**
   * The arguments of a ranking checked and its scope resolved, before
   * anything is read: filters against the framework, which is also read
   * `withFramework` (the summary's bands; a published cycle's counts are
   * kept by cycle). `hidden`: the cycle was looked up and does not exist or
   * the reader may not see it (the page statement finds nothing then too).
   */
  async resolve(filter: RankingFilter, principal: Principal | null, withFramework: boolean): Promise<ResolvedRanking> {
    const first = requireInt('first', filter.first ?? DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    const year = requireYear('year', filter.year);
    const version = filter.version == null ? null : requireInt('version', filter.version, 1, MAX_POSITION);
    const q: ResolvedRanking = {
      year, unitKind: filter.unitKind, first, after: null, tag: '', seesProvisional: canSeeProvisional(principal), version,
      scope: { domainId: null, parentId: null, bandCode: filter.bandCode ?? null }, cycle: undefined, bands: [], hidden: false,
    };
    if (filter.domainCode != null || filter.parentCode != null || filter.bandCode != null || withFramework) await this.resolveScope(q, filter, principal);
    q.tag = rankingTag(year, q.unitKind, q.scope, q.version);
    if (filter.after != null) {
      // Only a cursor this ranking made: [a stored position, this ranking's tag].
      const [position, tag] = decodeCursor(filter.after, 'after', ['number', 'string']);
      if (!Number.isInteger(position) || position < 1 || position > MAX_POSITION || tag !== q.tag) {
        throw invalid('after', 'after is not a cursor returned by this ranking (same year, kind, filters and version)');
      }
      q.after = position;
    }
    return q;
  }

  /** The filters checked against the framework (read too), their ids resolved, and whether the cycle is hidden. */
  private async resolveScope(q: ResolvedRanking, filter: RankingFilter, principal: Principal | null): Promise<void> {
    const { year } = q;
    const frame = await this.frame(year, filter.unitKind);
    const cycle = frame && { id: frame.id, status: frame.status, kept: keptVersion(frame, q.version) };
    q.cycle = cycle;
    q.bands = frame?.bands ?? [];
    if (filter.domainCode != null) {
      if (!frame) throw new AppError(ErrorCode.DOMAIN_NOT_FOUND, `domainCode ${quoted(filter.domainCode)}: no framework is defined for ${year} and ${filter.unitKind}`, 'domainCode');
      const domainId = frame.domains.get(filter.domainCode.normalize('NFC').trim());
      if (domainId === undefined) throw new AppError(ErrorCode.DOMAIN_NOT_FOUND, `domainCode ${quoted(filter.domainCode)} is not a domain of the ${year} ${filter.unitKind} framework`, 'domainCode');
      q.scope.domainId = domainId;
    }
    if (filter.parentCode != null) {
      const parent = await this.units.requireByCode(filter.parentCode, 'parentCode');
      // parentCode filters by the parent in the ranking's year: one that does not exist then parents nothing.
      if (!existsIn(parent, year)) {
        throw invalid('parentCode', `parentCode "${parent.code}" does not exist in ${year} (its years are ${yearsText(parent)})${year > LAST_DISTRICT_YEAR ? ': from 2025 communes sit directly under the province and are ranked together; leave parentCode out' : ''}`);
      }
      q.scope.parentId = parent.id;
    }
    if (filter.bandCode != null && cycle && !q.bands.some((b) => b.code === filter.bandCode)) {
      throw new AppError(ErrorCode.BAND_NOT_FOUND, `bandCode ${quoted(filter.bandCode)} is not a band of the ${year} ${filter.unitKind} framework; its bands are ${q.bands.map((b) => b.code).join(', ')}`, 'bandCode');
    }
    // A ranking shows every unit: a UNIT token reads it as anonymous readers do. While a year is amending, readers
    // who may not see it read its latest published version; a version asked for is judged by the statement.
    q.hidden = !cycle || (q.version === null && !(cycle.status === CycleStatus.PUBLISHED || canSeeProvisional(principal)) && frame!.published === 0);
  }

  /**
   * A year and kind's cycle as the filters check it: its bands and its
   * domains' ids by code, in one statement; kept in memory once published
   * (a published framework never changes; which version is published may,
   * by another instance: PUBLISHED_FRAME_MS). Undefined: none is defined.
   */
  private async frame(year: number, unitKind: UnitKind): Promise<CycleFrame | undefined> {
    const key = `${year}:${unitKind}`;
    const kept = this.publishedFrames.get(key);
    if (kept && Date.now() - kept.readAt < PUBLISHED_FRAME_MS) return kept;
    const [row]: {
      id: number; status: CycleStatus; bands: { code: string; label: string; minScore: number }[]; domains: Record<string, number>;
      working: number; published: number;
    }[] =
      await this.db.query(`
        SELECT c.id, c.status, w.working, w.published,
               (SELECT coalesce(json_agg(json_build_object('code', b.code, 'label', b.label, 'minScore', b.min_score) ORDER BY b.position), '[]')
                  FROM band b WHERE b.cycle_id = c.id) AS bands,
               (SELECT coalesce(json_object_agg(d.code, d.id), '{}') FROM criterion d WHERE d.cycle_id = c.id AND d.depth = 0) AS domains
          FROM cycle c, LATERAL ${versionsOfSql('c')} w WHERE c.year = $1 AND c.unit_kind = $2`, [year, unitKind]);
    if (!row) return undefined;
    const frame: CycleFrame = {
      id: row.id, status: row.status, bands: row.bands, domains: new Map(Object.entries(row.domains)), working: row.working, published: row.published,
    };
    if (frame.status === CycleStatus.PUBLISHED) setBounded(this.publishedFrames, key, { ...frame, readAt: Date.now() }, SUMMARY_CACHE_ENTRIES);
    return frame;
  }

  /** Forgets what it kept of a year and kind's published framework: published or amended just now. */
  forget(year: number, unitKind: UnitKind): void {
    this.publishedFrames.delete(`${year}:${unitKind}`);
  }

  /**
   * Results by (unit, year[, version]), whatever their visibility: the
   * caller filters (isVisible, readableVersion). Without a version, the
   * working copy, with the archived latest published version as its
   * fallback while the year is amending; with one, that version (the
   * working copy's, or archived).
   */
  async resultsByUnitYear(keys: readonly { unitId: number; year: number; version?: number | null }[]): Promise<(ResultRow | undefined)[]> {
    const rows = await this.versionedRows(
      'SELECT * FROM unnest($1::int[], $2::int[], $3::int[]) WITH ORDINALITY AS k(unit_id, year, requested, n)',
      [keys.map((k) => k.unitId), keys.map((k) => k.year), keys.map((k) => k.version ?? null)]);
    return keys.map((_, i) => rows.get(i + 1)?.[0]);
  }

  /** Every result of the units (as resultsByUnitYear without a version), latest year first. */
  async resultsByUnits(unitIds: readonly number[]): Promise<ResultRow[]> {
    const rows = await this.versionedRows(
      `SELECT u.id AS unit_id, c.year, NULL::int AS requested, row_number() OVER (ORDER BY c.year DESC, u.id) AS n
         FROM unit u JOIN cycle c ON c.unit_kind = u.kind WHERE u.id = ANY($1::int[])`, [unitIds]);
    return [...rows.values()].flat();
  }

  /**
   * The result rows of keys (`keysSql`: unit_id, year, requested version,
   * n), by n: the working copy of each key's cycle (first) and the archived
   * version it reads (src/results/versions.ts), the latter as the former's
   * fallback when both are read.
   */
  private async versionedRows(keysSql: string, params: unknown[]): Promise<Map<number, ResultRow[]>> {
    const rows: (ResultRow & { n: string })[] = await this.db.query(
      `WITH k AS (${keysSql}),
       kc AS (SELECT k.*, c.id AS cycle_id, c.status, w.working, w.published
                FROM k JOIN unit u ON u.id = k.unit_id JOIN cycle c ON c.year = k.year AND c.unit_kind = u.kind,
                     LATERAL ${versionsOfSql('c')} w)
       SELECT c.n, ${RESULT_COLUMNS}, c.status, c.working AS version, false AS archived
         FROM kc c JOIN index_result ir ON ir.cycle_id = c.cycle_id AND ir.unit_id = c.unit_id
        WHERE c.requested IS NULL OR c.requested = c.working
       UNION ALL
       SELECT c.n, ${RESULT_COLUMNS}, 'PUBLISHED', ir.version, true
         FROM kc c JOIN published_result ir ON ir.cycle_id = c.cycle_id AND ir.unit_id = c.unit_id
          AND ir.version = CASE WHEN c.requested IS NULL THEN CASE WHEN c.status <> 'PUBLISHED' THEN c.published END
                                WHEN c.requested < c.working THEN c.requested END
        ORDER BY 1, archived`, params);
    const byKey = new Map<number, ResultRow[]>();
    for (const { n, ...row } of rows) {
      const list = byKey.get(Number(n));
      if (!list) byKey.set(Number(n), [row]);
      else if (!list[0].archived && row.archived) list[0].fallback = row;
      else list.push(row);
    }
    return byKey;
  }

  /** Domain results of (cycle, unit[, archived version]) keys, in framework order. */
  async domainResults(keys: readonly { cycleId: number; unitId: number; version?: number | null }[]): Promise<DomainResultRow[]> {
    const columns = `dr.cycle_id, dr.unit_id, d.code, d.name, dr.score, round(dr.earned_points, 2) AS earned_points,
              round(dr.max_points, 2) AS max_points, dr.rank, d.position`;
    return this.db.query(
      `WITH k AS (SELECT * FROM unnest($1::int[], $2::int[], $3::int[]) AS k(cycle_id, unit_id, version))
       SELECT ${columns}, NULL::int AS version FROM domain_result dr
         JOIN k ON k.version IS NULL AND k.cycle_id = dr.cycle_id AND k.unit_id = dr.unit_id
         JOIN criterion d ON d.id = dr.domain_id
       UNION ALL
       SELECT ${columns}, dr.version FROM published_domain_result dr
         JOIN k ON k.cycle_id = dr.cycle_id AND k.unit_id = dr.unit_id AND k.version = dr.version
         JOIN criterion d ON d.id = dr.domain_id
        ORDER BY position`,
      [keys.map((k) => k.cycleId), keys.map((k) => k.unitId), keys.map((k) => k.version ?? null)]);
  }

  async bandsOf(cycleIds: readonly number[]): Promise<BandRow[]> {
    return this.db.query(
      'SELECT cycle_id, code, label, min_score FROM band WHERE cycle_id = ANY($1::int[]) ORDER BY position', [cycleIds]);
  }
}
