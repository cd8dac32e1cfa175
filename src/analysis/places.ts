import { cents, D, U } from '../results/result-rows';
import type { CycleMemo, Ranking } from '../results/unit-update';

/*
 * Where a unit's what-if figures would place it among the others as they
 * stand, from the rankings the single-unit update keeps (unit-update.ts:
 * ordered ids and hundredths, descending, -1 for a domain that does not
 * apply, listed last): a binary search, no statement. Standard competition
 * ranking: 1 + the others strictly ahead.
 */

/** Others strictly ahead of `score` (hundredths; null: none, after every unit with one), not counting the unit at index `self`. */
function ahead(ranking: Ranking, score: number | null, self: number): number {
  const target = score ?? -1;
  let lo = 0;
  let hi = ranking.cents.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranking.cents[mid] > target) lo = mid + 1;
    else hi = mid;
  }
  return lo - (self >= 0 && self < lo ? 1 : 0);
}

/** The unit's overall rank and its rank per domain (by domain id) with these two-decimal scores. */
export function placesIn(
  memo: Readonly<CycleMemo>, unitId: number, score: string, domainScores: { domainId: number; score: string | null }[],
): { rank: number; domainRanks: Map<number, number> } {
  const own = memo.results.get(unitId);
  const rank = 1 + ahead(memo.overall, cents(score), own ? own[U.position] - 1 : -1);
  const ownDomains = memo.domains.get(unitId);
  const domainRanks = new Map<number, number>();
  for (const d of domainScores) {
    const di = memo.domainIds.indexOf(d.domainId);
    if (di < 0) continue;
    const self = ownDomains?.[di] ? ownDomains[di][D.position] - 1 : -1;
    domainRanks.set(d.domainId, 1 + ahead(memo.byDomain[di], cents(d.score), self));
  }
  return { rank, domainRanks };
}
