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
import { decodeCursor, DEFAULT_PAGE_SIZE } from '../util/cursor';
import { quoted } from '../util/text';
import { requireInt, requireYear } from '../util/validate';
import { published2 } from './sql';

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

export interface RankedBand { code: string; label: string; minScore: number }

/** Points are published half-up to two decimals (published2). */
const RESULT_COLUMNS = `ir.cycle_id, ir.unit_id, c.year, c.status, ir.score, ir.expert_score, ir.survey_score,
  ${published2('ir.earned_points')} AS earned_points, ${published2('ir.max_points')} AS max_points, ir.rank, ir.parent_rank, ir.previous_rank, ir.band_code, ir.responses, ir.survey_insufficient,
  ir.provisional, ir.published, ${nameInYearSql('ir.unit_id', 'c.year')} AS unit_name`;

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

/** The filtered set of a ranking: which rows, in which order, with which score and rank. */
export interface Scope { domainId: number | null; parentId: number | null; bandCode: string | null }

/**
 * SQL pieces of a scope over `ir` in the visible cycle (`c`, the statement's
 * first CTE); parameters are appended to `params`.
 */
export function scopeSql(scope: Scope, params: unknown[], ranked: boolean) {
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
    // The parent in the ranking's year ($1): the unit_parent row covering it (the parent exists that year: resolveScope).
    from += ` JOIN unit_parent pu ON pu.unit_id = ir.unit_id AND pu.parent_id = $${params.length} AND ${coversYearSql('pu', '$1::int')}`;
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

/**
 * Whether a reader may see a unit's result: published cycles to everyone,
 * others to roles that see provisional results and to the unit's own UNIT token.
 */
export function isVisible(status: CycleStatus, principal: Principal | null, unitId: number): boolean {
  return status === CycleStatus.PUBLISHED || seesProvisionalOf(principal, unitId);
}

/** The visible cycle of a statement: $1 year, $2 unit kind, $3 whether the reader sees provisional results. */
export const VISIBLE_CYCLE = `c AS (SELECT id, year FROM cycle WHERE year = $1 AND unit_kind = $2 AND (status = 'PUBLISHED' OR $3::boolean))`;

/** A ranking's checked arguments and resolved scope (RankingService.resolve). */
export interface ResolvedRanking {
  year: number; unitKind: UnitKind; first: number; after: number | null;
  /** Which ranking this is, written into its cursors (rankingTag). */
  tag: string;
  seesProvisional: boolean; scope: Scope;
  cycle: { id: number; status: CycleStatus } | undefined; bands: RankedBand[]; hidden: boolean;
}

/** A cycle's framework as a ranking's filters check it (RankingService.frame). */
interface CycleFrame { id: number; status: CycleStatus; bands: RankedBand[]; domains: Map<string, number> }

/** How many published frameworks are kept in memory (they never change). */
const SUMMARY_CACHE_ENTRIES = 500;

/**
 * Reading stored results: a ranking's arguments and scope (the page and its
 * summary are written by src/query-plan/rankings.ts over scopeSql), and the
 * batch reads behind the per-request DataLoaders. Every read is a fixed
 * number of queries whatever the page size.
 */
export class RankingService {
  /** Frameworks of published cycles by year and kind, as the filters check them. */
  private readonly publishedFrames = new Map<string, CycleFrame>();

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
    // A ranking shows every unit: a UNIT token reads it as anonymous readers do.
    q.hidden = !cycle || !(cycle.status === CycleStatus.PUBLISHED || canSeeProvisional(principal));
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
