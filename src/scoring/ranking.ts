import type Decimal from 'decimal.js';

import { publish, roundHalfUp2 } from './decimal';
import { div, fromDecimal, fromInteger, sum } from './ratio';
import type { BandSpec, Rankable, RankingSummaryOutcome } from './types';

const vietnamese = new Intl.Collator('vi', { usage: 'sort', sensitivity: 'variant', numeric: true });

/**
 * Vietnamese alphabetical order (Intl.Collator 'vi'): Ă and Â come after A,
 * Đ after D and before E, Ê after E, Ô and Ơ after O, Ư after U; tones only
 * break ties between otherwise equal names; numbers compare by value
 * ("Phường 2" before "Phường 10").
 */
export function compareVietnamese(a: string, b: string): number {
  return vietnamese.compare(a, b);
}

const ordinal = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A rounded score as whole hundredths (an exact JS integer for any index:
 * two decimals, far below 2^53), so that sorting compares numbers, not
 * Decimals. Null stays null.
 */
function hundredths(score: Decimal | null | undefined): number | null {
  if (score == null) return null;
  const fixed = (score.decimalPlaces() <= 2 ? score : roundHalfUp2(score)).toFixed(2);
  const cents = Number(fixed.replace('.', ''));
  if (!Number.isSafeInteger(cents)) throw new RangeError(`score ${fixed} is too large to rank`);
  return cents;
}

/** Rounded scores, highest first, units without a score last. */
function compareScores(a: number | null, b: number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return b - a;
}

/**
 * Orders a ranking and gives standard competition ranks (1, 2, 2, 4) on the
 * ROUNDED score: by rounded score descending, items without a score last
 * (sharing the rank after the last scored item); ties listed by name in
 * Vietnamese order, then code (then key, so the order never depends on the
 * input's).
 */
export function rankItems<T extends Rankable>(items: readonly T[]): { item: T; rank: number }[] {
  const listed = items.every((item) => item.listing !== undefined);
  const ordered = items
    .map((item) => ({ item, rounded: hundredths(item.score) }))
    .sort(
      (a, b) =>
        compareScores(a.rounded, b.rounded) ||
        (listed ? a.item.listing! - b.item.listing! : compareListing(a.item, b.item)),
    );
  let rank = 0;
  return ordered.map((entry, index) => {
    if (index === 0 || entry.rounded !== ordered[index - 1].rounded) rank = index + 1;
    return { item: entry.item, rank };
  });
}

/** How ties are listed: by name in Vietnamese order, then code, then key. */
function compareListing(a: Omit<Rankable, 'score'>, b: Omit<Rankable, 'score'>): number {
  return compareVietnamese(a.name, b.name) || ordinal(a.code, b.code) || ordinal(a.key, b.key);
}

/**
 * Each item's place in the listing order of ties, for `Rankable.listing`:
 * sort once, then rank the same units many times comparing integers.
 */
export function listingOrder(items: readonly Omit<Rankable, 'score'>[]): Map<string, number> {
  const sorted = [...items].sort(compareListing);
  return new Map(sorted.map((item, i) => [item.key, i]));
}

/**
 * Rank change on the previous year's ranking of the same kind: previous rank
 * minus rank now, positive when the unit moved up (9th → 6th: +3). Null when
 * the unit was not ranked the previous year.
 */
export function rankChange(previousRank: number | null | undefined, rank: number): number | null {
  return previousRank == null ? null : previousRank - rank;
}

/**
 * The summary of a ranking whose items are already in rank order: count,
 * average of the rounded scores (rounded once more, half-up), highest and
 * lowest items, and the count per band for every band of the framework, in
 * framework order, zeros included. Items without a score (a domain that
 * does not apply to the unit) are left out of all of it.
 *
 * The service aggregates a ranking's summary in PostgreSQL, for speed
 * (src/results/ranking.service.ts); this is the rule that aggregation is
 * checked against (tests/integration/ranking-summary.test.ts), worked by
 * hand in tests/unit/scoring-ranking.test.ts.
 */
export function summarize(
  ranked: readonly { key: string; score: Decimal | null; bandCode: string | null }[],
  bands: readonly BandSpec[],
): RankingSummaryOutcome {
  const items = ranked.filter((i): i is { key: string; score: Decimal; bandCode: string | null } => i.score !== null);
  const count = items.length;
  const average =
    count === 0
      ? null
      : publish(div(sum(items.map((i) => fromDecimal(roundHalfUp2(i.score)))), fromInteger(count)));
  return {
    count,
    average,
    highestKey: count === 0 ? null : items[0].key,
    lowestKey: count === 0 ? null : items[count - 1].key,
    bands: bands.map((band) => ({
      code: band.code,
      count: items.filter((i) => i.bandCode === band.code).length,
    })),
  };
}
