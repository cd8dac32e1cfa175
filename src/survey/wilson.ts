/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal. */
export const Z95 = 1.959964;

export interface Interval { low: number; high: number }

/**
 * The Wilson score interval for a binomial proportion (satisfied of n):
 *
 *   centre = (p + z²/2n) / (1 + z²/n)
 *   half   = z / (1 + z²/n) · √(p(1−p)/n + z²/4n²)
 *
 * Unlike the Wald interval it stays inside [0, 1] and is not degenerate at
 * 0 of n or n of n. Pure; unrounded (callers round at the end). n = 0 has
 * no information: [0, 1].
 */
export function wilsonInterval(satisfied: number, n: number, z: number = Z95): Interval {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(satisfied) || satisfied < 0 || satisfied > n) {
    throw new RangeError(`wilsonInterval needs whole numbers 0 ≤ satisfied ≤ n, got ${satisfied} of ${n}`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const p = satisfied / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 of n and n of n one bound is exactly 0 or 1; guard float noise.
  return {
    low: satisfied === 0 ? 0 : Math.max(0, centre - half),
    high: satisfied === n ? 1 : Math.min(1, centre + half),
  };
}

/** Rounds half away from zero to `places` decimals (only for published figures, at the end). */
export function roundTo(value: number, places: number): number {
  const f = 10 ** places;
  return Math.sign(value) * Math.round(Math.abs(value) * f + Number.EPSILON * f) / f;
}
