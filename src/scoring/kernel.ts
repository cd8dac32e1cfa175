import type Decimal from 'decimal.js';

import type { Ratio } from './ratio';
import type { DecimalInput } from './types';

/**
 * The arithmetic of the index method, and nothing else: the method's phases
 * (method.ts: checking inputs, choosing the round, combining panelists, the
 * survey rule, caps, totals, indices, bands, flags) are written once over
 * this interface, and two kernels implement it:
 *
 * - CENTS (cents-kernel.ts): whole hundredths in JS numbers, fractions of
 *   them when a mean or a survey rate does not divide; every operation
 *   checks it stays within the safe integers and throws OVERFLOW otherwise,
 *   and the unit is then computed again by
 * - RATIONAL (rational-kernel.ts): BigInt fractions, exact for any figure.
 *
 * Both are exact, so they give the same figures; they differ in speed only.
 *
 * `V` is an exact figure (points, a maximum, a cap); `S` a mutable exact sum
 * of such figures (a domain's earned points, the unit's). Figures are never
 * negative except in a sum (earned points after a penalty).
 */
export interface Kernel<V, S> {
  readonly name: string;
  readonly zero: V;

  /**
   * A figure of the framework (a leaf's maximum, a cap) that checkFramework
   * read exactly; null when this kernel cannot hold it (the framework's units
   * then go to the RATIONAL kernel).
   */
  fromRatio(r: Ratio): V | null;
  /**
   * Panel points or an adjustment as given, when the kernel can read it
   * without the validation functions because it is certainly valid: written
   * plainly (digits, at most two decimals), and at most `max` when one is
   * given. Null for anything else: the phases then validate it
   * (validation.ts, the one source of refusals) and call `read`.
   */
  readPlain(raw: unknown, max: V | null): V | null;
  /** A figure the validation functions accepted. */
  read(raw: DecimalInput): V;

  add(a: V, b: V): V;
  /** a / n for a whole n > 0: a mean. */
  divide(a: V, n: number): V;
  /** Negative, zero or positive as a <, =, > b. */
  compare(a: V, b: V): number;
  isZero(a: V): boolean;
  /** max × satisfied / answers, for 0 ≤ satisfied ≤ answers, answers > 0: a survey leaf's points. */
  share(max: V, satisfied: number, answers: number): V;

  /** A new sum, 0. */
  sum(): S;
  /** sum += v (sign 1) or sum −= v (sign −1). */
  accumulate(sum: S, v: V, sign: 1 | -1): void;
  /** sum += other. */
  merge(sum: S, other: S): void;
  /**
   * The published index of earned over max (max > 0): 100 × earned / max,
   * clamped to [0, 100], rounded half-up, as a whole number of hundredths
   * (0 to 10000).
   */
  index(earned: S, max: V): number;

  /** The Decimal of a figure, as ratioToDecimal shows it (40 significant digits). */
  decimal(v: V): Decimal;
  /** Whether `decimal(v)` is costly enough to make only when read (a leaf's points that are not whole hundredths). */
  costly(v: V): boolean;
  sumDecimal(sum: S): Decimal;
}
