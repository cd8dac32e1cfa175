import { add, cmp, div, fromInteger, type Ratio } from './ratio';
import type { Aggregation, Round } from './types';

/** Rounds from the one that wins to the one that yields: the latest round used is the first present. */
export const ROUNDS_LATEST_FIRST: readonly Round[] = ['REAPPRAISAL', 'APPRAISAL', 'SELF_ASSESSMENT'];

/**
 * The latest round among those that hold an entry counting for the figure
 * (REAPPRAISAL, else APPRAISAL, else SELF_ASSESSMENT), or null if none does.
 */
export function latestRound<T extends { round: Round }>(
  entries: readonly T[],
  counts: (entry: T) => boolean,
): Round | null {
  return ROUNDS_LATEST_FIRST.find((round) => entries.some((e) => e.round === round && counts(e))) ?? null;
}

/**
 * Combines the panelists' values of one round, exactly: MEAN is their sum
 * over their count; MEDIAN is the middle value, or for an even count the mean
 * of the two middle ones.
 */
export function aggregate(values: readonly Ratio[], aggregation: Aggregation): Ratio {
  if (values.length === 0) throw new RangeError('nothing to aggregate');
  if (aggregation === 'MEAN') {
    return div(values.reduce(add), fromInteger(values.length));
  }
  const sorted = [...values].sort(cmp);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : div(add(sorted[middle - 1], sorted[middle]), fromInteger(2));
}

/** One panelist's entry for an EXPERT leaf, with points already read exactly. */
export interface PanelEntry {
  round: Round;
  points: Ratio | null;
  notApplicable: boolean;
}

export type PanelVerdict =
  | { kind: 'MISSING' }
  | { kind: 'NOT_APPLICABLE'; round: Round }
  | { kind: 'SCORED'; round: Round; points: Ratio };

/**
 * The panel's verdict on one EXPERT leaf for one unit. An entry counts when
 * it marks the leaf not applicable or gives points. In the latest round with
 * such an entry: if every counting entry marks the leaf not applicable, the
 * leaf is not applicable; otherwise the points of the others are combined.
 */
export function panelVerdict(entries: readonly PanelEntry[], aggregation: Aggregation): PanelVerdict {
  const counts = (e: PanelEntry) => e.notApplicable || e.points !== null;
  const round = latestRound(entries, counts);
  if (round === null) return { kind: 'MISSING' };
  const points = entries
    .filter((e) => e.round === round && !e.notApplicable && e.points !== null)
    .map((e) => e.points as Ratio);
  if (points.length === 0) return { kind: 'NOT_APPLICABLE', round };
  return { kind: 'SCORED', round, points: aggregate(points, aggregation) };
}

/**
 * A bonus or a penalty: taken from the latest round in which some panelist
 * gave a value for it, the values of that round combined. Null when no
 * round gives one.
 */
export function adjustmentVerdict(
  entries: readonly { round: Round; value: Ratio | null }[],
  aggregation: Aggregation,
): { round: Round; value: Ratio } | null {
  const round = latestRound(entries, (e) => e.value !== null);
  if (round === null) return null;
  const values = entries.filter((e) => e.round === round && e.value !== null).map((e) => e.value as Ratio);
  return { round, value: aggregate(values, aggregation) };
}
