import type { EntityManager } from 'typeorm';
import { listingOrder, type FrameworkSpec } from '../scoring';
import type { UnitRow } from './cycle-inputs';
import {
  cents, D, domainTuple, type DomainTuple, type IndexedOutcome, type Place, sameTuple, U, unitTuple, type UnitTuple,
} from './result-rows';
import { notifyResultsChanged } from '../live/hooks';

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

/**
 * One ranking as stored: unit ids by position, and beside them their rounded
 * scores in hundredths (-1 for none: a domain that does not apply, listed
 * last), so that moving a unit never parses a stored figure again.
 */
export interface Ranking { order: number[]; cents: number[] }

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
  /** Per unit, the survey responses its figures count (absent: none): a unit whose count moved has new ratings. */
  responses: Map<number, number>;
  /** The rankings those rows hold: overall, per parent, per domain (in the framework's order). */
  overall: Ranking;
  parents: Map<number, Ranking>;
  byDomain: Ranking[];
}

/** The unit's new figures; null when it has no index any more (no applicable maximum). */
export interface UnitFigures { outcome: IndexedOutcome; previousRank: number | null; responses: number }

/** One unit's move: changed rows in full, whether the unit's own rows go, and the rankings after it. */
export interface UnitChange {
  unitId: number; units: UnitTuple[]; domains: DomainTuple[]; removed: boolean;
  overall: Ranking; parent: [number, Ranking] | null; byDomain: Ranking[];
}

const NONE = -1;
const centsOrNone = (score: string | null) => cents(score) ?? NONE;

/** The rankings held by rows as written (positions 1..n in each). */
export function rankingsOf(results: Map<number, UnitTuple>, domains: Map<number, DomainTuple[]>, units: Map<number, UnitRow>, domainCount: number) {
  const empty = (n: number): Ranking => ({ order: new Array<number>(n), cents: new Array<number>(n) });
  const overall = empty(results.size);
  const parents = new Map<number, Ranking>();
  const byDomain = Array.from({ length: domainCount }, () => empty(results.size));
  for (const [id, row] of results) {
    overall.order[row[U.position] - 1] = id;
    overall.cents[row[U.position] - 1] = centsOrNone(row[U.score]);
    const parent = units.get(id)?.parent_id ?? null;
    if (parent !== null && row[U.parentPosition] !== null) {
      let r = parents.get(parent);
      if (!r) parents.set(parent, (r = empty(0)));
      r.order[row[U.parentPosition]! - 1] = id;
      r.cents[row[U.parentPosition]! - 1] = centsOrNone(row[U.score]);
    }
    const list = domains.get(id)!;
    for (let di = 0; di < domainCount; di++) {
      byDomain[di].order[list[di][D.position] - 1] = id;
      byDomain[di].cents[list[di][D.position] - 1] = centsOrNone(list[di][D.score]);
    }
  }
  return { overall, parents, byDomain };
}

/**
 * Moves `unitId` in a ranking: out of index `from` (-1: it was not in it),
 * into its place for `score` (undefined: it leaves), ties listed by
 * `listing`. Returns the ranking after, and the new place of every row
 * whose rank or position may have changed: the rows between the two places,
 * then those tied with the lower of the unit's two scores (their count of
 * higher scores changed), or every row after the place when the unit
 * enters or leaves. Every other row keeps its rank and position.
 */
function move(
  ranking: Ranking, unitId: number, from: number, score: number | undefined,
  listing: (ids: number[]) => Map<number, number>, storedRank: (id: number) => number,
): { ranking: Ranking; places: [number, Place][] } {
  const order = ranking.order.slice();
  const scores = ranking.cents.slice();
  const old = from >= 0 ? scores[from] : undefined;
  if (from >= 0) { order.splice(from, 1); scores.splice(from, 1); }
  let to = -1;
  if (score !== undefined) {
    // The first row not ranked strictly ahead (scores descending), then after the ties listed before the unit.
    let lo = 0;
    let hi = scores.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (scores[mid] > score) lo = mid + 1; else hi = mid; }
    let end = lo;
    while (end < scores.length && scores[end] === score) end++;
    if (end > lo) {
      const listed = listing([unitId, ...order.slice(lo, end)]);
      const mine = listed.get(unitId)!;
      while (lo < end && listed.get(order[lo])! < mine) lo++;
    }
    to = lo;
    order.splice(to, 0, unitId);
    scores.splice(to, 0, score);
  }
  const places: [number, Place][] = [];
  const starts = [from, to].filter((i) => i >= 0);
  if (starts.length > 0) {
    const first = Math.min(...starts);
    const last = from >= 0 && to >= 0 ? Math.max(from, to) : order.length - 1;
    const floor = Math.min(...[old, score].filter((c): c is number => c !== undefined));
    let rank = first > 0 && scores[first] === scores[first - 1] ? storedRank(order[first - 1]) : first + 1;
    for (let i = first; i < order.length && (i <= last || scores[i] >= floor); i++) {
      if (i > first && scores[i] !== scores[i - 1]) rank = i + 1;
      places.push([order[i], { rank, position: i + 1 }]);
    }
  }
  return { ranking: { order, cents: scores }, places };
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
  const before = memo.results.get(unitId);
  const score = next === null ? undefined : cents(next.outcome.score.toFixed(2))!;

  // Overall, and among the units of the same parent.
  const overall = move(memo.overall, unitId, before ? before[U.position] - 1 : -1, score, listing, (id) => memo.results.get(id)![U.rank]);
  let parent: ReturnType<typeof move> | null = null;
  if (unit.parent_id !== null) {
    const ranking = memo.parents.get(unit.parent_id) ?? { order: [], cents: [] };
    const from = before?.[U.parentPosition] != null ? before[U.parentPosition]! - 1 : -1;
    parent = move(ranking, unitId, from, score, listing, (id) => memo.results.get(id)![U.parentRank]!);
  }
  const changed = new Map<number, UnitTuple>();
  const changedRow = (id: number) => {
    let row = changed.get(id);
    if (!row) changed.set(id, (row = [...memo.results.get(id)!] as UnitTuple));
    return row;
  };
  for (const [id, p] of overall.places) {
    if (id === unitId) continue;
    const old = memo.results.get(id)!;
    if (old[U.rank] !== p.rank || old[U.position] !== p.position) {
      const row = changedRow(id);
      row[U.rank] = p.rank; row[U.position] = p.position;
    }
  }
  for (const [id, p] of parent?.places ?? []) {
    if (id === unitId) continue;
    const old = memo.results.get(id)!;
    if (old[U.parentRank] !== p.rank || old[U.parentPosition] !== p.position) {
      const row = changedRow(id);
      row[U.parentRank] = p.rank; row[U.parentPosition] = p.position;
    }
  }
  const units = [...changed.values()];
  const domains: DomainTuple[] = [];
  const byDomain = memo.domainIds.map((domainId, di) => {
    const ownBefore = memo.domains.get(unitId)?.[di];
    const mine = next === null ? undefined : centsOrNone(next.outcome.domains[di].score?.toFixed(2) ?? null);
    const moved = move(memo.byDomain[di], unitId, ownBefore ? ownBefore[D.position] - 1 : -1, mine, listing,
      (id) => memo.domains.get(id)![di][D.rank]);
    for (const [id, p] of moved.places) {
      if (id === unitId) continue;
      const old = memo.domains.get(id)![di];
      if (old[D.rank] !== p.rank || old[D.position] !== p.position) {
        const row = [...old] as DomainTuple;
        row[D.rank] = p.rank; row[D.position] = p.position;
        domains.push(row);
      }
    }
    if (next !== null) {
      const place = moved.places.find(([id]) => id === unitId)![1];
      const row = domainTuple(unitId, domainId, next.outcome.domains[di], place);
      if (!sameTuple(ownBefore, row)) domains.push(row);
    }
    return moved.ranking;
  });
  if (next !== null) {
    const place = (m: ReturnType<typeof move> | null) => m?.places.find(([id]) => id === unitId)?.[1] ?? null;
    const row = unitTuple(unitId, next.outcome, place(overall)!, place(parent), next.previousRank, next.responses, published);
    // The unit's own row first: its domain rows reference it.
    if (!sameTuple(before, row)) units.unshift(row);
  }
  return {
    unitId, units, domains, removed: next === null && before !== undefined,
    overall: overall.ranking, parent: unit.parent_id !== null ? [unit.parent_id, parent!.ranking] : null, byDomain,
  };
}

/** Applies one unit's move to a memo (a working copy: see rerankUnits). */
function applyChange(memo: CycleMemo, change: UnitChange): void {
  if (change.removed) {
    memo.results.delete(change.unitId);
    memo.domains.delete(change.unitId);
  }
  for (const row of change.units) memo.results.set(row[0], row);
  const index = new Map(memo.domainIds.map((id, i) => [id, i]));
  for (const row of change.domains) {
    // Copied before the first change: the lists may be shared with the memo this copy was made from.
    const list = memo.domains.get(row[0])?.slice() ?? new Array<DomainTuple>(memo.domainIds.length);
    list[index.get(row[1])!] = row;
    memo.domains.set(row[0], list);
  }
  memo.overall = change.overall;
  if (change.parent) memo.parents.set(change.parent[0], change.parent[1]);
  memo.byDomain = change.byDomain;
}

/** What an update of several units writes, and how the memo follows once it has committed. */
export interface UnitsChange {
  units: UnitTuple[];
  domains: DomainTuple[];
  /** Units that had an index and have none now: their rows are deleted. */
  removed: number[];
  /** The units whose figures were recomputed; every other row in `units` and `domains` only moved. */
  own: Set<number>;
  /**
   * Once the change has committed, and only then: the memo with the change
   * in it (its version still to set). Call it once.
   */
  committed(): CycleMemo;
}

/**
 * Several units' new figures (null: no index any more), moved one after
 * the other on a copy of the memo, so that each move sees the ones before
 * it: the rows a full recomputation would change, the last figures of each
 * row kept. Pure until `committed()`: `memo` is not touched before.
 *
 * One unit (a correction, the usual case) needs no copy: its move is worked
 * out on the memo itself, which rerankUnit does not touch, and `committed()`
 * applies it there. Copying the memo's maps of 12,000 units cost about
 * 8 ms a correction.
 */
export function rerankUnits(memo: CycleMemo, figures: Map<number, UnitFigures | null>, published = false): UnitsChange {
  if (figures.size === 1) {
    const [[unitId, next]] = figures;
    const change = rerankUnit(memo, unitId, next, published);
    let applied = false;
    return {
      units: change.units, domains: change.domains, removed: change.removed ? [unitId] : [], own: new Set([unitId]),
      committed: () => {
        if (!applied) applyChange(memo, change);
        applied = true;
        return memo;
      },
    };
  }
  const work: CycleMemo = {
    ...memo, results: new Map(memo.results), domains: new Map(memo.domains), parents: new Map(memo.parents),
    responses: new Map(memo.responses),
  };
  const units = new Map<number, UnitTuple>();
  const domains = new Map<number, Map<number, DomainTuple>>();
  const removed = new Set<number>();
  for (const [unitId, next] of figures) {
    const change = rerankUnit(work, unitId, next, published);
    applyChange(work, change);
    if (change.removed) {
      removed.add(unitId);
      units.delete(unitId);
      domains.delete(unitId);
    }
    for (const row of change.units) units.set(row[0], row);
    for (const row of change.domains) {
      let byDomain = domains.get(row[0]);
      if (!byDomain) domains.set(row[0], (byDomain = new Map()));
      byDomain.set(row[1], row);
    }
  }
  return {
    units: [...units.values()], domains: [...domains.values()].flatMap((m) => [...m.values()]), removed: [...removed],
    own: new Set(figures.keys()), committed: () => work,
  };
}

/**
 * Writes a change in the caller's transaction (which holds the cycle's
 * results lock): the rows of units without an index any more deleted (their
 * domain rows go with them, ON DELETE CASCADE), the recomputed units' rows
 * upserted (index_result before domain_result, which references it), then
 * the rank and position of the rows that only moved, one UPDATE per table
 * joined on the key. That join is kept to index probes (hash and merge
 * joins off for the rest of this short transaction): the planner's
 * statistics of a freshly written year can make it hash all 96,000 domain
 * rows of the cycle (0.4 s); probed, an UPDATE costs about half an upsert.
 * Without any statistics of the cycle it could still filter a scan of the
 * whole cycle for each row instead: ResultsService analyzes the tables after
 * a large full write (analyzeResults). Positions are not unique in the
 * schema, so rows can move in any order.
 */
export async function writeChange(
  tx: EntityManager, cycleId: number, change: UnitsChange,
  upsert: (tx: EntityManager, cycleId: number, units: UnitTuple[], domains: DomainTuple[]) => Promise<void>,
): Promise<void> {
  if (change.removed.length > 0) {
    await tx.query('DELETE FROM index_result WHERE cycle_id = $1 AND unit_id = ANY($2::int[])', [cycleId, change.removed]);
  }
  const own = (row: UnitTuple | DomainTuple) => change.own.has(row[0]);
  await upsert(tx, cycleId, change.units.filter(own), change.domains.filter(own));
  await notifyResultsChanged(tx, cycleId, [...new Set([...change.units, ...change.domains].map((r) => r[0]))]); // live data: resultsChanged (src/live)
  const units = change.units.filter((row) => !own(row));
  const domains = change.domains.filter((row) => !own(row));
  if (units.length === 0 && domains.length === 0) return;
  await tx.query(`SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`);
  if (units.length > 0) {
    await tx.query(
      `UPDATE index_result r
          SET rank = t.rank, position = t.position, parent_rank = t.parent_rank, parent_position = t.parent_position, computed_at = now()
         FROM unnest($2::int[], $3::int[], $4::int[], $5::int[], $6::int[]) AS t(unit_id, rank, position, parent_rank, parent_position)
        WHERE r.cycle_id = $1 AND r.unit_id = t.unit_id`,
      [cycleId, units.map((r) => r[0]), units.map((r) => r[U.rank]), units.map((r) => r[U.position]),
        units.map((r) => r[U.parentRank]), units.map((r) => r[U.parentPosition])],
    );
  }
  if (domains.length > 0) {
    await tx.query(
      `UPDATE domain_result d SET rank = t.rank, position = t.position
         FROM unnest($2::int[], $3::int[], $4::int[], $5::int[]) AS t(unit_id, domain_id, rank, position)
        WHERE d.cycle_id = $1 AND d.unit_id = t.unit_id AND d.domain_id = t.domain_id`,
      [cycleId, domains.map((r) => r[0]), domains.map((r) => r[1]), domains.map((r) => r[D.rank]), domains.map((r) => r[D.position])],
    );
  }
}
