import type { DataSource } from 'typeorm';
import { canSeeProvisional, type Principal } from '../auth/principal';
import { CycleStatus, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';
import { summarize, toDecimal } from '../scoring';
import type { UnitService } from '../services/unit.service';
import { decodeCursor, encodeCursor } from '../util/cursor';
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
  first: number; after?: string | null;
}
export interface RankingPage {
  edges: { cursor: string; rank: number; score: string; node: ResultRow }[];
  hasNextPage: boolean; hasPreviousPage: boolean; totalCount: number;
  summary: {
    count: number; average: string | null; highest: ResultRow | null; lowest: ResultRow | null;
    bands: { band: BandRow; count: number }[];
  };
}

const RESULT_COLUMNS = `ir.cycle_id, ir.unit_id, c.year, c.status, ir.score, ir.expert_score, ir.survey_score, ir.earned_points,
  ir.max_points, ir.rank, ir.parent_rank, ir.previous_rank, ir.band_code, ir.responses, ir.survey_insufficient,
  ir.provisional, ir.published`;

/** Whether a reader may see a result: published cycles to everyone, others to roles that see provisional results. */
export function isVisible(status: CycleStatus, principal: Principal | null): boolean {
  return status === CycleStatus.PUBLISHED || canSeeProvisional(principal);
}

/**
 * Reading stored results: rankings pages with their summaries, and the
 * batch reads behind the per-request DataLoaders. Every read is a fixed
 * number of queries whatever the page size.
 */
export class RankingService {
  constructor(private readonly db: DataSource, private readonly units: UnitService) {}

  /**
   * A page of a ranking. Order and ranks: overall, or by the domain's index
   * with domainCode; within the parent with parentCode (communes). bandCode
   * filters by the overall band. The summary covers the whole filtered set.
   * A cycle the reader may not see (unpublished, anonymous or kiosk) or that
   * does not exist reads as an empty ranking.
   */
  async rankings(filter: RankingFilter, principal: Principal | null): Promise<RankingPage> {
    const first = requireInt('first', filter.first, 1, 100);
    const year = requireYear('year', filter.year);
    const afterPosition = filter.after == null ? null : Number(decodeCursor(filter.after, 'after', 1)[0]);
    if (afterPosition !== null && !Number.isInteger(afterPosition)) throw new AppError(ErrorCode.INVALID_INPUT, 'after is not a cursor returned by this query', 'after');

    const [cycle]: { id: number; status: CycleStatus }[] = await this.db.query(
      'SELECT id, status FROM cycle WHERE year = $1 AND unit_kind = $2', [year, filter.unitKind]);
    const bands: BandRow[] = cycle
      ? await this.db.query('SELECT cycle_id, code, label, min_score FROM band WHERE cycle_id = $1 ORDER BY position', [cycle.id])
      : [];
    const empty: RankingPage = {
      edges: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0,
      summary: { count: 0, average: null, highest: null, lowest: null, bands: bands.map((band) => ({ band, count: 0 })) },
    };

    let domainId: number | null = null;
    if (filter.domainCode != null) {
      if (!cycle) throw new AppError(ErrorCode.DOMAIN_NOT_FOUND, `domainCode "${filter.domainCode}": no framework is defined for ${year} and ${filter.unitKind}`, 'domainCode');
      const [domain]: { id: number }[] = await this.db.query(
        'SELECT id FROM criterion WHERE cycle_id = $1 AND code = $2 AND depth = 0', [cycle.id, filter.domainCode.normalize('NFC').trim()]);
      if (!domain) throw new AppError(ErrorCode.DOMAIN_NOT_FOUND, `domainCode "${filter.domainCode}" is not a domain of the ${year} ${filter.unitKind} framework`, 'domainCode');
      domainId = domain.id;
    }
    let parentId: number | null = null;
    if (filter.parentCode != null) parentId = (await this.units.requireByCode(filter.parentCode, 'parentCode')).id;
    if (filter.bandCode != null && cycle && !bands.some((b) => b.code === filter.bandCode)) {
      throw new AppError(ErrorCode.BAND_NOT_FOUND, `bandCode "${filter.bandCode}" is not a band of the ${year} ${filter.unitKind} framework; its bands are ${bands.map((b) => b.code).join(', ')}`, 'bandCode');
    }
    if (!cycle || !isVisible(cycle.status, principal)) return empty;

    // The filtered set in ranking order: small rows only (unit, score, rank, position, band).
    const params: unknown[] = [cycle.id];
    const score = domainId === null ? 'ir.score' : 'dr.score';
    const position = domainId === null ? 'ir.position' : 'dr.position';
    let rank = domainId === null ? 'ir.rank' : 'dr.rank';
    let from = 'index_result ir';
    if (domainId !== null) {
      params.push(domainId);
      from += ` JOIN domain_result dr ON dr.cycle_id = ir.cycle_id AND dr.unit_id = ir.unit_id AND dr.domain_id = $${params.length}`;
    }
    if (parentId !== null) {
      params.push(parentId);
      from += ` JOIN unit u ON u.id = ir.unit_id AND u.parent_id = $${params.length}`;
      // Within a parent: the stored parent rank overall; by domain, competition ranking on the domain index.
      rank = domainId === null ? 'ir.parent_rank' : `rank() OVER (ORDER BY dr.score DESC NULLS LAST)`;
    }
    const list: { unit_id: number; score: string | null; rank: number; position: number; band_code: string | null }[] = await this.db.query(
      `SELECT ir.unit_id, ${score} AS score, ${rank} AS rank, ${position} AS position, ir.band_code
         FROM ${from} WHERE ir.cycle_id = $1 ORDER BY ${position}`, params);
    const filtered = filter.bandCode == null ? list : list.filter((r) => r.band_code === filter.bandCode);
    const summary = summarize(
      filtered.map((r) => ({ key: String(r.unit_id), score: toDecimal(r.score ?? '0'), bandCode: r.band_code })),
      bands.map((b) => ({ code: b.code, label: b.label, minScore: b.min_score })),
    );
    const start = afterPosition === null ? 0 : filtered.findIndex((r) => r.position > afterPosition);
    const page = start < 0 ? [] : filtered.slice(start, start + first);
    const wanted = [...page.map((r) => r.unit_id), ...[summary.highestKey, summary.lowestKey].filter((k): k is string => k !== null).map(Number)];
    const rows = wanted.length === 0 ? [] : await this.db.query(
      `SELECT ${RESULT_COLUMNS} FROM index_result ir JOIN cycle c ON c.id = ir.cycle_id
        WHERE ir.cycle_id = $1 AND ir.unit_id = ANY($2::int[])`, [cycle.id, wanted]) as ResultRow[];
    const byUnit = new Map(rows.map((r) => [r.unit_id, r]));
    const bandByCode = new Map(bands.map((b) => [b.code, b]));
    return {
      edges: page.map((r) => ({ cursor: encodeCursor([r.position]), rank: Number(r.rank), score: r.score ?? '0', node: byUnit.get(r.unit_id)! })),
      hasNextPage: start >= 0 && start + first < filtered.length,
      hasPreviousPage: start > 0 || (start < 0 && filtered.length > 0),
      totalCount: filtered.length,
      summary: {
        count: summary.count,
        average: summary.average === null ? null : summary.average.toFixed(2),
        highest: summary.highestKey === null ? null : byUnit.get(Number(summary.highestKey)) ?? null,
        lowest: summary.lowestKey === null ? null : byUnit.get(Number(summary.lowestKey)) ?? null,
        bands: summary.bands.map((b) => ({ band: bandByCode.get(b.code)!, count: b.count })),
      },
    };
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
      `SELECT dr.cycle_id, dr.unit_id, d.code, d.name, dr.score, dr.earned_points, dr.max_points, dr.rank
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
