import type Decimal from 'decimal.js';

import { toRatio } from './decimal';
import { CentsSum, centsDecimal, gcd, OVERFLOW, plainCents, quotientDecimal, safe, smallQuotientDecimal } from './fast-number';
import type { Kernel } from './kernel';
import type { Ratio } from './ratio';

/*
 * The fast kernel: figures are counts of hundredths ("cents") in JS numbers,
 * whole (a number) or, when a mean or a survey rate does not divide, a
 * fraction of them (Frac). Every operation checks that it stays within the
 * safe integers (< 2^53), where JS arithmetic is exact, and throws OVERFLOW
 * otherwise: computeUnitResult then computes the unit with the RATIONAL
 * kernel. Decimals are made for published figures only, shared between
 * units for whole cents (Decimals are immutable).
 */

/** n / d hundredths: d > 1, reduced, both safe integers. */
export class Frac {
  constructor(
    readonly n: number,
    readonly d: number,
  ) {}
}

/** A figure in hundredths: a whole number of them, or a fraction. */
export type Cents = number | Frac;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** n / d hundredths (d > 0, both safe integers), reduced. */
function cents(n: number, d: number): Cents {
  if (d === 1) return n;
  const g = gcd(n, d);
  return g === d ? n / g : new Frac(n / g, d / g);
}

const num = (a: Cents): number => (typeof a === 'number' ? a : a.n);
const den = (a: Cents): number => (typeof a === 'number' ? 1 : a.d);

/** A fraction of cents (d > 1) as ratioToDecimal shows it: a Decimal of 40 significant digits. */
function fractionDecimal(n: number, d: number): Decimal {
  const g = gcd(n, d);
  const small = Number.isSafeInteger((d / g) * 100) ? smallQuotientDecimal(n / g, (d / g) * 100) : null;
  if (small !== null) return small;
  let top = BigInt(n / g);
  let bottom = BigInt(d / g) * 100n;
  // Reduce by what 100 shares with the numerator.
  for (const f of [2n, 2n, 5n, 5n]) {
    if (top % f === 0n && bottom % f === 0n) {
      top /= f;
      bottom /= f;
    }
  }
  return quotientDecimal(top, bottom);
}

/**
 * 100 × (n / d) / max as a published index in hundredths: clamped to
 * [0, 100], rounded half-up. d > 0, max > 0.
 */
function indexHundredths(n: number, d: number, max: number): number {
  if (n <= 0) return 0;
  const dm = safe(d * max);
  if (n >= dm) return 10000;
  // floor((20000 n + d m) / (2 d m)), exactly
  const top = safe(safe(20000 * n) + dm);
  const bottom = safe(2 * dm);
  let q = Math.floor(top / bottom);
  const r = top - q * bottom;
  if (r < 0) q -= 1;
  else if (r >= bottom) q += 1;
  return q;
}

function fromRatio(r: Ratio): Cents | null {
  const scaled = r.n * 100n;
  let a = scaled < 0n ? -scaled : scaled;
  let b = r.d;
  while (b !== 0n) [a, b] = [b, a % b];
  const n = scaled / a;
  const d = r.d / a;
  if (n > MAX_SAFE || n < -MAX_SAFE || d > MAX_SAFE) return null;
  return d === 1n ? Number(n) : new Frac(Number(n), Number(d));
}

export const CENTS: Kernel<Cents, CentsSum> = {
  name: 'cents',
  zero: 0,

  fromRatio,

  readPlain(raw: unknown, max: Cents | null): Cents | null {
    const c = plainCents(raw);
    if (c < 0) return null;
    if (max === null) return c;
    if (typeof max === 'number') return c <= max ? c : null;
    const scaled = c * max.d;
    return Number.isSafeInteger(scaled) && scaled <= max.n ? c : null;
  },

  read(raw) {
    const value = fromRatio(toRatio(raw));
    if (value === null) throw OVERFLOW;
    return value;
  },

  add(a, b) {
    if (typeof a === 'number' && typeof b === 'number') return safe(a + b);
    const ad = den(a);
    const bd = den(b);
    return cents(safe(safe(num(a) * bd) + safe(num(b) * ad)), safe(ad * bd));
  },

  divide(a, n) {
    return typeof a === 'number' ? cents(a, n) : cents(a.n, safe(a.d * n));
  },

  compare(a, b) {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return safe(num(a) * den(b)) - safe(num(b) * den(a));
  },

  isZero: (a) => a === 0,

  share(max, satisfied, answers) {
    const g = gcd(satisfied, answers);
    const s = satisfied / g;
    const a = answers / g;
    return typeof max === 'number' ? cents(safe(max * s), a) : cents(safe(max.n * s), safe(max.d * a));
  },

  sum: () => new CentsSum(),

  accumulate(sum, v, sign) {
    if (typeof v === 'number') sum.add(sign === 1 ? v : -v, 1);
    else sum.add(sign === 1 ? v.n : -v.n, v.d);
  },

  merge(sum, other) {
    sum.add(other.i, 1);
    if (other.n !== 0) sum.add(other.n, other.d);
  },

  index(earned, max) {
    const n = earned.numerator();
    // 100 × (n / d) / (mn / md) = 100 × (n × md / d) / mn
    return typeof max === 'number' ? indexHundredths(n, earned.d, max) : indexHundredths(safe(n * max.d), earned.d, max.n);
  },

  decimal: (v) => (typeof v === 'number' ? centsDecimal(v) : fractionDecimal(v.n, v.d)),
  costly: (v) => typeof v !== 'number',
  sumDecimal(sum) {
    const n = sum.numerator();
    return sum.d === 1 ? centsDecimal(n) : fractionDecimal(n, sum.d);
  },
};
