import type { DataSource } from 'typeorm';
import { canSeeProvisional, type Principal } from '../auth/principal';
import { CycleStatus, ServiceElement, UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { nfc, quoted } from '../util/text';
import { existsInYearSql } from '../services/unit-years';
import { requireYear } from '../util/validate';
import { addAllStatements, TALLY_TABLES, type TallyRoller } from './tally-roller';
import { roundTo, wilsonInterval } from './wilson';

export enum SatisfactionGrouping { QUESTION = 'QUESTION', ELEMENT = 'ELEMENT', MONTH = 'MONTH', KIOSK = 'KIOSK', PROCEDURE = 'PROCEDURE' }

export interface SatisfactionQuery {
  year: number;
  unitCode?: string | null;
  unitKind?: UnitKind | null;
  groupBy?: SatisfactionGrouping | null;
  includeLate?: boolean | null;
}

export interface SatisfactionStat {
  key: string; responses: number; answers: number; satisfied: number;
  rate: number; rateLow: number; rateHigh: number; mean: number;
}

/** The scope of a statistics query once checked: which units' tallies to read. */
export interface SatisfactionScope { year: number; unitId: number | null; kinds: UnitKind[] | null; includeLate: boolean; groupBy: SatisfactionGrouping }

const ELEMENT_ORDER = Object.values(ServiceElement) as string[];

/**
 * One grouping: the key over survey_tally `t` (joined to question `q`), and
 * where the distinct-response counts of the same key come from. QUESTION
 * needs none: a response answers a question at most once.
 */
const CUTS: Record<SatisfactionGrouping, { key: string; order: string; responses: { table: string; key: string } | null; shown?: string }> = {
  QUESTION: { key: 'q.code', order: 'min(q.position)', responses: null },
  ELEMENT: { key: 'q.element::text', order: '0', responses: { table: 'survey_element_tally', key: 'r.element::text' } },
  MONTH: { key: `to_char(t.day, 'YYYY-MM')`, order: '0', responses: { table: 'survey_response_tally', key: `to_char(r.day, 'YYYY-MM')` } },
  // Grouped by the internal key, shown as the kiosk's opaque ID (one lookup per kiosk), in registration order.
  KIOSK: {
    key: 't.kiosk_id::text', order: 'min(t.kiosk_id)', responses: { table: 'survey_response_tally', key: 'r.kiosk_id::text' },
    shown: '(SELECT k.public_id::text FROM kiosk k WHERE k.id = a.key::int)',
  },
  PROCEDURE: { key: 't.procedure_code::text', order: '0', responses: { table: 'survey_response_tally', key: 'r.procedure_code::text' } },
};

/**
 * Satisfaction statistics, read from the roll-up tables (never from
 * survey_answer): answers and the count per value come from survey_tally,
 * distinct responses from survey_response_tally / survey_element_tally.
 *
 * - `satisfied` counts answers at or above their question's threshold;
 *   `rate` = satisfied / answers with its Wilson 95% interval; `mean` the
 *   mean answer value. All four are rounded to 4 decimals at the end.
 * - Late responses (stored after their year and kind were published) are
 *   left out unless `includeLate`, so that the figures of a published year
 *   match what was published.
 * - Anonymous readers see only published cycles, and what they may not see
 *   reads as absent: a unit or kind whose cycle of the year is not
 *   PUBLISHED gives an empty list; the province-wide figures cover only the
 *   kinds whose cycle is published (an empty list if none is). (Kiosks may
 *   not read statistics at all: the kiosk scope refuses them.)
 */
export class SatisfactionService {
  constructor(private readonly db: DataSource, private readonly roller: TallyRoller) {}

  async stats(principal: Principal | null, query: SatisfactionQuery): Promise<SatisfactionStat[]> {
    const scope = await this.scope(principal, query);
    // What the caller may not see reads as absent.
    if (scope === null) return [];
    // Read-your-writes: whatever was stored before this query is in the roll-ups it reads.
    await this.roller.rollUp();
    const { sql, params } = this.buildQuery(scope);
    const rows: { key: string; ord: number; responses: string; answers: string; satisfied: string; total: string }[] = await this.db.query(sql, params);
    const stats = rows.map((r) => ({ ...toStat(r.key, Number(r.responses), Number(r.answers), Number(r.satisfied), Number(r.total)), ord: Number(r.ord) }));
    return stats.sort((a, b) => compareKeys(scope.groupBy, a, b)).map(({ ord: _ord, ...s }) => s);
  }

  /** The SQL of a statistics query (exposed so that a test can EXPLAIN it). */
  buildQuery(scope: SatisfactionScope): { sql: string; params: unknown[] } {
    const cut = CUTS[scope.groupBy];
    const params: unknown[] = [scope.year, scope.includeLate];
    let filterT = '';
    let filterR = '';
    if (scope.unitId !== null) {
      params.push(scope.unitId);
      filterT = ` AND t.unit_id = $${params.length}`;
      filterR = ` AND r.unit_id = $${params.length}`;
    } else {
      // The units of the year (units over time): those that exist in it, of the kinds asked for.
      let units = `SELECT u.id FROM unit u WHERE ${existsInYearSql('u', '$1::int')}`;
      if (scope.kinds !== null) {
        params.push(scope.kinds);
        units += ` AND u.kind = ANY($${params.length}::unit_kind[])`;
      }
      filterT = ` AND t.unit_id IN (${units})`;
      filterR = ` AND r.unit_id IN (${units})`;
    }
    const answers = `
      SELECT ${cut.key} AS key, ${cut.order} AS ord, sum(t.answers) AS answers,
             sum(CASE WHEN q.satisfied_min <= 1 THEN t.n1 ELSE 0 END + CASE WHEN q.satisfied_min <= 2 THEN t.n2 ELSE 0 END
               + CASE WHEN q.satisfied_min <= 3 THEN t.n3 ELSE 0 END + CASE WHEN q.satisfied_min <= 4 THEN t.n4 ELSE 0 END
               + t.n5) AS satisfied,
             sum(t.n1 + 2 * t.n2 + 3 * t.n3 + 4 * t.n4 + 5 * t.n5) AS total
        FROM survey_tally t JOIN question q ON q.id = t.question_id
       WHERE t.year = $1 AND (NOT t.late OR $2)${filterT}
       GROUP BY 1`;
    if (!cut.responses) {
      return { sql: `SELECT a.key, a.ord, a.answers AS responses, a.answers, a.satisfied, a.total FROM (${answers}) a`, params };
    }
    const responses = `
      SELECT ${cut.responses.key} AS key, sum(r.responses) AS responses
        FROM ${cut.responses.table} r
       WHERE r.year = $1 AND (NOT r.late OR $2)${filterR}
       GROUP BY 1`;
    return {
      sql: `SELECT ${cut.shown ?? 'a.key'} AS key, a.ord, coalesce(r.responses, 0) AS responses, a.answers, a.satisfied, a.total
              FROM (${answers}) a LEFT JOIN (${responses}) r ON r.key = a.key`,
      params,
    };
  }

  /**
   * Checks the arguments and resolves the units to read; null when the
   * caller may see none of them (an unpublished year for an anonymous reader).
   */
  async scope(principal: Principal | null, query: SatisfactionQuery): Promise<SatisfactionScope | null> {
    const year = requireYear('year', query.year);
    const groupBy = query.groupBy ?? SatisfactionGrouping.QUESTION;
    const includeLate = query.includeLate ?? false;
    const privileged = canSeeProvisional(principal);
    // A year stays published to readers while an amendment of it is in progress (published_at is kept).
    const cycles: { unit_kind: UnitKind; status: CycleStatus; was_published: boolean }[] = await this.db.query(
      'SELECT unit_kind, status, published_at IS NOT NULL AS was_published FROM cycle WHERE year = $1', [year],
    );
    const published = new Set(cycles.filter((c) => c.status === CycleStatus.PUBLISHED || c.was_published).map((c) => c.unit_kind));

    if (query.unitCode != null) {
      const code = nfc(query.unitCode);
      const units: { id: number; kind: UnitKind }[] = await this.db.query('SELECT id, kind FROM unit WHERE code = $1', [code]);
      if (units.length === 0) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `unitCode: no unit has the code ${quoted(code)}`, 'unitCode');
      const unit = units[0];
      if (query.unitKind != null && query.unitKind !== unit.kind) {
        throw invalid('unitKind', `unitKind ${query.unitKind} contradicts unitCode ${quoted(code)}, which is a ${unit.kind}; give one or the other`);
      }
      if (!privileged && !published.has(unit.kind)) return null;
      return { year, unitId: unit.id, kinds: null, includeLate, groupBy };
    }
    if (query.unitKind != null) {
      if (!privileged && !published.has(query.unitKind)) return null;
      return { year, unitId: null, kinds: [query.unitKind], includeLate, groupBy };
    }
    if (privileged) return { year, unitId: null, kinds: null, includeLate, groupBy };
    if (published.size === 0) return null;
    return { year, unitId: null, kinds: [...published], includeLate, groupBy };
  }

  /**
   * Rebuilds the roll-ups of a year (or all) from survey_response and
   * survey_answer: for data loaded around the ingestion path.
   */
  async rebuildTallies(year?: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      // No roll-up or ingestion may interleave: the rebuild counts every stored response once.
      await tx.query('LOCK TABLE survey_response IN SHARE ROW EXCLUSIVE MODE');
      const where = year === undefined ? '' : 'WHERE r.year = $1';
      const params = year === undefined ? [] : [year];
      for (const table of TALLY_TABLES) await tx.query(`DELETE FROM ${table}${year === undefined ? '' : ' WHERE year = $1'}`, params);
      await tx.query(`UPDATE survey_response r SET tallied = true ${where}`, params);
      for (const sql of addAllStatements(where)) await tx.query(sql, params);
    });
  }
}

/** Figures of one group: rate, Wilson bounds and mean computed unrounded, then rounded to 4 decimals. */
export function toStat(key: string, responses: number, answers: number, satisfied: number, valueSum: number): SatisfactionStat {
  const { low, high } = wilsonInterval(satisfied, answers);
  return {
    key, responses, answers, satisfied,
    rate: answers === 0 ? 0 : roundTo(satisfied / answers, 4),
    rateLow: roundTo(low, 4),
    rateHigh: roundTo(high, 4),
    mean: answers === 0 ? 0 : roundTo(valueSum / answers, 4),
  };
}

function compareKeys(groupBy: SatisfactionGrouping, a: { key: string; ord: number }, b: { key: string; ord: number }): number {
  switch (groupBy) {
    case SatisfactionGrouping.QUESTION:
    case SatisfactionGrouping.KIOSK:
      return a.ord - b.ord || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    case SatisfactionGrouping.ELEMENT:
      return ELEMENT_ORDER.indexOf(a.key) - ELEMENT_ORDER.indexOf(b.key);
    default:
      return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  }
}
