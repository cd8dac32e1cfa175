import type Decimal from 'decimal.js';

import { roundHalfUp2, toDecimal } from './decimal';
import type { BandSpec } from './types';

/** The default classification, highest first. Frozen: copy it to change it. */
export const DEFAULT_BANDS: BandSpec[] = Object.freeze([
  Object.freeze({ code: 'EXCELLENT', label: 'Xuất sắc', minScore: 90 }),
  Object.freeze({ code: 'GOOD', label: 'Tốt', minScore: 80 }),
  Object.freeze({ code: 'FAIR', label: 'Khá', minScore: 70 }),
  Object.freeze({ code: 'AVERAGE', label: 'Trung bình', minScore: 50 }),
  Object.freeze({ code: 'WEAK', label: 'Yếu', minScore: 0 }),
]) as BandSpec[];

/**
 * The band of a score: the first band, highest first, whose minimum the
 * score rounded half-up to 2 decimals reaches (89.995 → 90.00 → EXCELLENT).
 * Null when it reaches none (bands that do not start at 0).
 */
export function classify(score: Decimal, bands: readonly BandSpec[]): BandSpec | null {
  const rounded = roundHalfUp2(score);
  const highestFirst = [...bands].sort((a, b) =>
    toDecimal(b.minScore, `minimum of band ${b.code}`).comparedTo(toDecimal(a.minScore, `minimum of band ${a.code}`)),
  );
  return highestFirst.find((band) => rounded.greaterThanOrEqualTo(toDecimal(band.minScore))) ?? null;
}
