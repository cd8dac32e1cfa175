import type { EntityManager } from 'typeorm';
import { listingOrder, type FrameworkSpec } from '../scoring';
import type { UnitRow } from './cycle-inputs';
import {
  cents, D, domainTuple, type DomainTuple, type IndexedOutcome, type Place, sameTuple, U, unitTuple, type UnitTuple,
} from './result-rows';

/**
 * The single-unit update: one unit's new outcome placed into the cycle's
 * stored rankings, moving only the rows whose rank or position changes.
 *
 * It works on what this process last wrote for the cycle (CycleMemo, kept
 * by ResultsService after every committed write), trusted only while
 * result_state still holds the version token of that write, the framework
 * is the one it was ranked with, and the kind's units are the same ones.
 * Otherwise ResultsService falls back to a full recomputation.
 *
 * The rules are rankItems's (src/scoring/ranking.ts), kept in the stored
 * order instead of sorting again: by rounded score descending, units
 * without a score last; ties listed by name in Vietnamese order, then code
 * (listingOrder over the unit and the rows it ties with); standard
 * competition ranks (1, 2, 2, 4). Each of the overall ranking, the unit's
 * parent's ranking and the per-domain rankings is one ordered list: the unit
 * leaves its old place (if it had one) and enters its new one (if it has an
 * index), then one walk renumbers the list and keeps the rows that differ.
 */

/** What this process last wrote and committed for a cycle, with what it was ranked with. */
export interface CycleMemo {
  cycleId: number;
  /** result_state.version after that write. */
  version: string;
  /** cycle.updated_at (the framework's version) the results were computed with. */
  frameworkVersion: string;
  /** count:max(id) of the kind's units then. */
  unitsWatermark: string;
  spec: FrameworkSpec;
  /** The framework's domains, in order: domain_result.domain_id of each place in `domains`. */
  domainIds: number[];
  /** Every unit of the kind, for ties (name, code) and parent rankings. */
  units: Map<number, UnitRow>;
  /** index_result as written, per unit that has an index. */
  results: Map<number, UnitTuple>;
  /** domain_result as written, per unit, in the framework's domain order. */
  domains: Map<number, DomainTuple[]>;
}

/** The unit's new figures; null when it has no index any more (no applicable maximum). */
export interface UnitFigures { outcome: IndexedOutcome; previousRank: number | null; responses: number }

/** What a single-unit update writes: changed rows in full, and whether the unit's own rows go. */
export interface UnitChange { unitId: number; units: UnitTuple[]; domains: DomainTuple[]; removed: boolean }

type Cents = number | null;

/** Whether `c` ranks strictly ahead of `than`: a higher rounded score; any score ahead of none. */
const ahead = (c: Cents, than: Cents) => c !== null && (than === null || c > than);

/**
 * `order` (unit ids by stored position) with `unitId` moved to its place for
 * `score` (`undefined`: taken out), ties listed by `listing`.
 */
function reorder(
  order: number[], centsOf: (id: number) => Cents, unitId: number, score: Cents | undefined,
  listing: (ids: number[]) => Map<number, number>,
): number[] {
  const rest = order.filter((id) => id !== unitId);
  if (score === undefined) return rest;
  let i = 0;
  while (i < rest.length && ahead(centsOf(rest[i]), score)) i++;
  let end = i;
  while (end < rest.length && centsOf(rest[end]) === score) end++;
  if (end > i) {
    const listed = listing([unitId, ...rest.slice(i, end)]);
    const mine = listed.get(unitId)!;
    while (i < end && listed.get(rest[i])! < mine) i++;
  }
  rest.splice(i, 0, unitId);
  return rest;
}

/** Standard competition ranks and positions of an ordered list, as rankItems numbers them. */
function places(order: number[], centsOf: (id: number) => Cents): Map<number, Place> {
  const out = new Map<number, Place>();
  let rank = 0;
  let previous: Cents = null;
  order.forEach((id, i) => {
    const c = centsOf(id);
    if (i === 0 || c !== previous) rank = i + 1;
    previous = c;
    out.set(id, { rank, position: i + 1 });
  });
  return out;
}

/** Unit ids ordered by a stored position. */
function byPosition<T>(rows: Iterable<[number, T]>, position: (row: T) => number): number[] {
  const list = [...rows];
  const order = new Array<number>(list.length);
  let dense = true;
  for (const [id, row] of list) {
    const p = position(row);
    if (p < 1 || p > list.length || order[p - 1] !== undefined) { dense = false; break; }
    order[p - 1] = id;
  }
  if (dense) return order;
  // Positions with gaps or repeats (never written so by this engine): order by them anyway, stably.
  return list.sort((a, b) => position(a[1]) - position(b[1])).map(([id]) => id);
}

/**
 * The rows a full recomputation would change when only `unitId`'s figures
 * changed to `next` (null: it has no index any more). Pure: the memo is
 * not touched (apply the change with `applyChange` once committed).
 */
export function rerankUnit(memo: CycleMemo, unitId: number, next: UnitFigures | null, published = false): UnitChange {
  const unit = memo.units.get(unitId);
  if (!unit) throw new Error(`unit ${unitId} is not among the cycle's units`);
  const listing = (ids: number[]) => {
    const order = listingOrder(ids.map((id) => {
      const u = memo.units.get(id)!;
      return { key: String(id), name: u.name, code: u.code };
    }));
    return new Map(ids.map((id) => [id, order.get(String(id))!]));
  };
  const score = next === null ? undefined : cents(next.outcome.score.toFixed(2));
  const scoreOf = (id: number) => (id === unitId ? score ?? null : cents(memo.results.get(id)![U.score]));

  // Overall, and among the units of the same parent.
  const overall = places(reorder(byPosition(memo.results, (r) => r[U.position]), scoreOf, unitId, score, listing), scoreOf);
  let parent = new Map<number, Place>();
  if (unit.parent_id !== null) {
    const siblings: [number, UnitTuple][] = [];
    for (const [id, row] of memo.results) if (memo.units.get(id)?.parent_id === unit.parent_id) siblings.push([id, row]);
    const order = siblings.sort((a, b) => (a[1][U.parentPosition] ?? 0) - (b[1][U.parentPosition] ?? 0)).map(([id]) => id);
    parent = places(reorder(order, scoreOf, unitId, score, listing), scoreOf);
  }
  const units: UnitTuple[] = [];
  for (const [id, p] of overall) {
    if (id === unitId) continue;
    const old = memo.results.get(id)!;
    const q = parent.get(id);
    const parentRank = q ? q.rank : old[U.parentRank];
    const parentPosition = q ? q.position : old[U.parentPosition];
    if (old[U.rank] !== p.rank || old[U.position] !== p.position || old[U.parentRank] !== parentRank || old[U.parentPosition] !== parentPosition) {
      const row = [...old] as UnitTuple;
      row[U.rank] = p.rank; row[U.position] = p.position; row[U.parentRank] = parentRank; row[U.parentPosition] = parentPosition;
      units.push(row);
    }
  }
  const domains: DomainTuple[] = [];
  memo.domainIds.forEach((domainId, di) => {
    const mine = next === null ? undefined : cents(next.outcome.domains[di].score?.toFixed(2) ?? null);
    const domainScore = (id: number) => (id === unitId ? mine ?? null : cents(memo.domains.get(id)![di][D.score]));
    const rows: [number, DomainTuple][] = [];
    for (const [id, list] of memo.domains) rows.push([id, list[di]]);
    const ranked = places(reorder(byPosition(rows, (r) => r[D.position]), domainScore, unitId, mine, listing), domainScore);
    for (const [id, p] of ranked) {
      if (id === unitId) {
        const row = domainTuple(unitId, domainId, next!.outcome.domains[di], p);
        if (!sameTuple(memo.domains.get(unitId)?.[di], row)) domains.push(row);
        continue;
      }
      const old = memo.domains.get(id)![di];
      if (old[D.rank] !== p.rank || old[D.position] !== p.position) {
        const row = [...old] as DomainTuple;
        row[D.rank] = p.rank; row[D.position] = p.position;
        domains.push(row);
      }
    }
  });
  if (next !== null) {
    const row = unitTuple(unitId, next.outcome, overall.get(unitId)!, parent.get(unitId) ?? null, next.previousRank, next.responses, published);
    // The unit's own row first: its domain rows reference it.
    if (!sameTuple(memo.results.get(unitId), row)) units.unshift(row);
  }
  return { unitId, units, domains, removed: next === null && memo.results.has(unitId) };
}

/** After the change committed: the memo as the database now holds it. */
export function applyChange(memo: CycleMemo, change: UnitChange, version: string): void {
  if (change.removed) {
    memo.results.delete(change.unitId);
    memo.domains.delete(change.unitId);
  }
  for (const row of change.units) memo.results.set(row[0], row);
  const index = new Map(memo.domainIds.map((id, i) => [id, i]));
  for (const row of change.domains) {
    let list = memo.domains.get(row[0]);
    if (!list) memo.domains.set(row[0], (list = new Array<DomainTuple>(memo.domainIds.length)));
    list[index.get(row[1])!] = row;
  }
  memo.version = version;
}

/** Writes a change in the caller's transaction (which holds the cycle's results lock). */
export async function writeChange(
  tx: EntityManager, cycleId: number, change: UnitChange,
  upsert: (tx: EntityManager, cycleId: number, units: UnitTuple[], domains: DomainTuple[]) => Promise<void>,
): Promise<void> {
  // Positions are not unique in the schema, so rows can move in any order; the unit's own rows go first when it
  // loses its index (its domain rows with it, ON DELETE CASCADE).
  if (change.removed) await tx.query('DELETE FROM index_result WHERE cycle_id = $1 AND unit_id = $2', [cycleId, change.unitId]);
  await upsert(tx, cycleId, change.units, change.domains);
}
