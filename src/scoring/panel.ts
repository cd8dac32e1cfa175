import type { Kernel } from './kernel';
import type { Round } from './types';

/** Rounds from the one that wins to the one that yields: the latest round used is the first present. */
export const ROUNDS_LATEST_FIRST: readonly Round[] = ['REAPPRAISAL', 'APPRAISAL', 'SELF_ASSESSMENT'];

/** Rounds by rank: a later round has a higher rank. */
export const ROUND_OF_RANK: readonly Round[] = ['SELF_ASSESSMENT', 'APPRAISAL', 'REAPPRAISAL'];

/** A round's rank (0, 1, 2), or −1 for anything that is not a round. */
export function roundRank(round: unknown): number {
  switch (round) {
    case 'SELF_ASSESSMENT':
      return 0;
    case 'APPRAISAL':
      return 1;
    case 'REAPPRAISAL':
      return 2;
    default:
      return -1;
  }
}

/**
 * One panelist's entry for an EXPERT leaf, its points read by the kernel
 * (null: none given, or marked not applicable). The entries of a leaf form
 * a list, latest first: no array for the usual single entry.
 */
export class PanelEntry<V> {
  constructor(
    readonly rank: number,
    readonly panelist: string,
    readonly points: V | null,
    readonly notApplicable: boolean,
    readonly next: PanelEntry<V> | undefined,
  ) {}
}

/** An entry counts for the round rule when it marks the leaf not applicable or gives points. */
const counts = <V>(e: PanelEntry<V>): boolean => e.notApplicable || e.points !== null;

/**
 * The round a leaf's figure comes from: the latest one (REAPPRAISAL, else
 * APPRAISAL, else SELF_ASSESSMENT) with an entry that counts, as a rank;
 * −1 when none does (the leaf is MISSING).
 */
export function latestRank<V>(entries: PanelEntry<V> | undefined): number {
  let best = -1;
  for (let e = entries; e !== undefined; e = e.next) if (e.rank > best && counts(e)) best = e.rank;
  return best;
}

/**
 * Combines the panelists' values of one round, exactly: MEAN is their sum
 * over their count; MEDIAN is the middle value, or for an even count the mean
 * of the two middle ones. `values` is not empty.
 */
export function combine<V, S>(K: Kernel<V, S>, values: V[], median: boolean): V {
  const n = values.length;
  if (n === 1) return values[0];
  if (!median) {
    let total = values[0];
    for (let i = 1; i < n; i++) total = K.add(total, values[i]);
    return K.divide(total, n);
  }
  const sorted = values.slice().sort((a, b) => K.compare(a, b));
  const middle = n >> 1;
  return n % 2 === 1 ? sorted[middle] : K.divide(K.add(sorted[middle - 1], sorted[middle]), 2);
}

/**
 * The panel's points for a leaf in the round of rank `rank`: the points of
 * the entries of that round that give some, combined; null when every
 * counting entry of the round marks the leaf not applicable.
 */
export function panelPoints<V, S>(K: Kernel<V, S>, entries: PanelEntry<V> | undefined, rank: number, median: boolean): V | null {
  let count = 0;
  let first: V | null = null;
  for (let e = entries; e !== undefined; e = e.next) {
    if (e.rank === rank && !e.notApplicable && e.points !== null) {
      if (count === 0) first = e.points;
      count++;
    }
  }
  if (count <= 1) return first;
  const values: V[] = [];
  for (let e = entries; e !== undefined; e = e.next) {
    if (e.rank === rank && !e.notApplicable && e.points !== null) values.push(e.points);
  }
  return combine(K, values, median);
}
