import type Decimal from 'decimal.js';

import { ScoringDecimal } from './decimal';

/*
 * Helpers of the CENTS kernel (cents-kernel.ts): figures as integer counts
 * of hundredths ("cents") in plain JS numbers, exact because every operation
 * checks that it stays a safe integer (< 2^53), and fractions of such
 * integers. Whatever does not fit goes to the RATIONAL kernel (BigInt).
 */

/**
 * Cents of a figure written plainly ('7', '7.5', '07.50', 12.5): a
 * non-negative decimal of at most two decimals and 13 integer digits (so
 * cents < 10^15 < 2^53), or -1 when the figure is anything else (negative,
 * exponent, spaces, more decimals, a Decimal, ...): the caller then takes
 * the general path, which accepts or refuses exactly as before.
 */
export function plainCents(value: unknown): number {
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 1e13) return value * 100 + 0; // + 0: no -0
    text = String(value);
  } else {
    return -1;
  }
  const length = text.length;
  let whole = 0;
  let i = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
  }
  if (i === 0 || i > 13) return -1;
  if (i === length) return whole * 100;
  if (text.charCodeAt(i) !== 46 /* . */ || length - i < 2 || length - i > 3) return -1;
  const d1 = text.charCodeAt(i + 1) - 48;
  if (d1 < 0 || d1 > 9) return -1;
  if (length - i === 2) return whole * 100 + d1 * 10;
  const d2 = text.charCodeAt(i + 2) - 48;
  if (d2 < 0 || d2 > 9) return -1;
  return whole * 100 + d1 * 10 + d2;
}

export function gcd(a: number, b: number): number {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Thrown (and caught by computeUnitResult) when a figure leaves the safe integers: the unit then takes the RATIONAL kernel. */
export const OVERFLOW: unique symbol = Symbol('scoring overflow');

export function safe(x: number): number {
  if (!Number.isSafeInteger(x)) throw OVERFLOW;
  return x;
}

/**
 * An exact sum of fractions of cents: i + n / d, all safe integers (n / d
 * reduced, d > 0); throws OVERFLOW rather than leave them.
 */
export class CentsSum {
  i = 0;
  n = 0;
  d = 1;

  /** Adds p / q cents: p, q safe integers, q > 0, p / q reduced. */
  add(p: number, q: number): void {
    if (q === 1) {
      this.i = safe(this.i + p);
    } else if (this.n === 0) {
      this.n = p;
      this.d = q;
    } else {
      const g = gcd(this.d, q);
      const qg = q / g;
      const num = safe(safe(this.n * qg) + safe(p * (this.d / g)));
      const den = safe(this.d * qg);
      const h = gcd(num, den);
      this.n = num / h;
      this.d = den / h;
    }
  }

  /** The numerator over d of the whole sum. */
  numerator(): number {
    return this.d === 1 ? safe(this.i + this.n) : safe(safe(this.i * this.d) + this.n);
  }
}

/**
 * Decimals of whole cents, shared: Decimal instances are immutable, and the
 * same few thousand figures (indices 0.00 to 100.00, sums of points) recur
 * in every unit. Filled lazily; bounded.
 */
const DENSE_LIMIT = 100_000; // cents: figures 0.00 to 1,000.00, in an array
const denseCache: (Decimal | undefined)[] = Array.from({ length: DENSE_LIMIT + 1 }, () => undefined);
const CACHE_LIMIT = 1_000_000; // cents: figures up to 10,000.00, in a bounded map
const CACHE_MAX_ENTRIES = 200_000;
const centsCache = new Map<number, Decimal>();

function makeCentsDecimal(cents: number): Decimal {
  const negative = cents < 0;
  const abs = negative ? -cents : cents;
  const whole = Math.floor(abs / 100);
  const rest = abs - whole * 100;
  const text = rest === 0 ? String(whole) : `${whole}.${rest < 10 ? '0' : ''}${rest}`;
  return new ScoringDecimal(negative ? `-${text}` : text);
}

/** The Decimal of a whole number of cents (a safe integer), as ratioToDecimal would give it. */
export function centsDecimal(cents: number): Decimal {
  if (cents >= 0 && cents <= DENSE_LIMIT) {
    return (denseCache[cents] ??= makeCentsDecimal(cents));
  }
  if (cents > 0 && cents <= CACHE_LIMIT) {
    let d = centsCache.get(cents);
    if (d === undefined) {
      d = makeCentsDecimal(cents);
      if (centsCache.size < CACHE_MAX_ENTRIES) centsCache.set(cents, d);
    }
    return d;
  }
  return makeCentsDecimal(cents);
}

const SIGNIFICANT = 40; // ScoringDecimal's precision
const TEN = 10n;

/**
 * n / d (d > 0) as ratioToDecimal gives it — the quotient rounded half-up to
 * 40 significant digits — by one BigInt division and one parse instead of
 * two parses and a decimal division.
 */
export function quotientDecimal(n: bigint, d: bigint): Decimal {
  if (n === 0n) return new ScoringDecimal(0);
  const negative = n < 0n;
  const a = negative ? -n : n;
  // Scale a / d by 10^k so the integer quotient has SIGNIFICANT digits.
  let k = SIGNIFICANT - (a.toString().length - d.toString().length) - 1;
  let scaledA = k >= 0 ? a * TEN ** BigInt(k) : a;
  let scaledD = k >= 0 ? d : d * TEN ** BigInt(-k);
  let q = scaledA / scaledD;
  const low = TEN ** BigInt(SIGNIFICANT - 1);
  if (q < low) {
    k += 1;
    scaledA = k >= 0 ? a * TEN ** BigInt(k) : a;
    scaledD = k >= 0 ? d : d * TEN ** BigInt(-k);
    q = scaledA / scaledD;
  }
  const r = scaledA - q * scaledD;
  if (2n * r >= scaledD) q += 1n; // half-up: ties away from zero
  return new ScoringDecimal(`${negative ? '-' : ''}${q.toString()}e${-k}`);
}

/** Denominators up to this keep long division's remainders × 10 within the safe integers. */
const SMALL_DIVISOR = 900_000_000_000_000;
const SMALL_DIVIDEND = 2 ** 52;

/**
 * n / d (safe integers, d > 0) as ratioToDecimal gives it, like
 * quotientDecimal, by long division in JS numbers: the 40 significant
 * digits, then half-up (ties away from zero) on the next one. Null when d
 * or |n| is too large for that to stay exact; quotientDecimal then does it.
 */
export function smallQuotientDecimal(n: number, d: number): Decimal | null {
  if (d > SMALL_DIVISOR || n > SMALL_DIVIDEND || n < -SMALL_DIVIDEND) return null;
  if (n === 0) return new ScoringDecimal(0);
  const negative = n < 0;
  const a = negative ? -n : n;
  let q = Math.floor(a / d);
  let r = a - q * d;
  if (r < 0) {
    q -= 1;
    r += d;
  } else if (r >= d) {
    q += 1;
    r -= d;
  }
  // The digits: the integer part's (none when it is 0), then the fraction's.
  const digits: number[] = [];
  if (q > 0) {
    const text = String(q);
    for (let i = 0; i < text.length; i++) digits.push(text.charCodeAt(i) - 48);
  }
  let integerDigits = digits.length;
  let significant = integerDigits;
  while (r !== 0 && significant < SIGNIFICANT) {
    r *= 10;
    const digit = Math.floor(r / d);
    r -= digit * d;
    digits.push(digit);
    if (significant > 0 || digit !== 0) significant++;
  }
  if (r !== 0 && Math.floor((r * 10) / d) >= 5) {
    let i = digits.length - 1;
    while (i >= 0 && digits[i] === 9) digits[i--] = 0;
    if (i >= 0) digits[i] += 1;
    else {
      digits.unshift(1);
      integerDigits += 1;
    }
  }
  let text = negative ? '-' : '';
  if (integerDigits === 0) text += '0';
  for (let i = 0; i < integerDigits; i++) text += digits[i];
  if (digits.length > integerDigits) {
    text += '.';
    for (let i = integerDigits; i < digits.length; i++) text += digits[i];
  }
  return new ScoringDecimal(text);
}
