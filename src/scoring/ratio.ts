import type Decimal from 'decimal.js';

/**
 * An exact rational number: numerator over a positive denominator, reduced.
 *
 * The method divides (a mean of three panelists, satisfied / answers,
 * earned / max), so a decimal type alone would have to round in the middle
 * of the computation. Fractions of BigInts never do: every figure stays exact
 * until the single half-up rounding of a published figure.
 * Internal to src/scoring; the public API speaks Decimal (see decimal.ts).
 */
export interface Ratio {
  readonly n: bigint;
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function ratio(n: bigint, d: bigint = 1n): Ratio {
  if (d === 0n) throw new RangeError('division by zero');
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

export const ZERO: Ratio = ratio(0n);
export const HUNDRED: Ratio = ratio(100n);

export const fromInteger = (value: number): Ratio => ratio(BigInt(value));

/** A finite decimal is a fraction over a power of ten: exact. */
export function fromDecimal(value: Decimal): Ratio {
  if (!value.isFinite()) throw new RangeError(`${value.toString()} is not finite`);
  const text = value.abs().toFixed(); // plain notation, every digit
  const [whole, fraction = ''] = text.split('.');
  const digits = BigInt(whole + fraction);
  return ratio(value.isNegative() ? -digits : digits, 10n ** BigInt(fraction.length));
}

export const add = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.n, a.d * b.d);
export const div = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d, a.d * b.n);
export const sum = (values: readonly Ratio[]): Ratio => values.reduce(add, ZERO);
export const isZero = (a: Ratio): boolean => a.n === 0n;

export function cmp(a: Ratio, b: Ratio): number {
  const left = a.n * b.d;
  const right = b.n * a.d;
  return left < right ? -1 : left > right ? 1 : 0;
}

export const clamp = (a: Ratio, lo: Ratio, hi: Ratio): Ratio =>
  cmp(a, lo) < 0 ? lo : cmp(a, hi) > 0 ? hi : a;

/**
 * The rounding rule of every published figure, on the exact value: half-up
 * (half away from zero) to hundredths, floor(|a| × 100 + 1/2) with the sign
 * restored. Returns the count of hundredths: 92.625 → 9263n.
 */
export function roundHalfUpToHundredths(a: Ratio): bigint {
  const scaled = (a.n < 0n ? -a.n : a.n) * 100n;
  const hundredths = (2n * scaled + a.d) / (2n * a.d);
  return a.n < 0n ? -hundredths : hundredths;
}
