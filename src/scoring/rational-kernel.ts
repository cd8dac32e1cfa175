import { ratioToDecimal, toRatio } from './decimal';
import type { Kernel } from './kernel';
import {
  add,
  clamp,
  cmp,
  div,
  fromInteger,
  HUNDRED,
  isZero,
  mul,
  type Ratio,
  ratio,
  roundHalfUpToHundredths,
  sub,
  ZERO,
} from './ratio';

/** A mutable exact sum. */
export class RatioSum {
  constructor(public value: Ratio) {}
}

/**
 * The exact kernel: BigInt fractions throughout (ratio.ts), for any figure.
 * The method's reference arithmetic, and the fallback of the CENTS kernel
 * for figures it cannot hold.
 */
export const RATIONAL: Kernel<Ratio, RatioSum> = {
  name: 'rational',
  zero: ZERO,

  fromRatio: (r) => r,
  // Nothing is taken as plainly valid: every figure goes through the validation functions.
  readPlain: () => null,
  read: (raw) => toRatio(raw),

  add,
  divide: (a, n) => div(a, fromInteger(n)),
  compare: cmp,
  isZero,
  share: (max, satisfied, answers) => mul(max, ratio(BigInt(satisfied), BigInt(answers))),

  sum: () => new RatioSum(ZERO),
  accumulate(sum, v, sign) {
    sum.value = sign === 1 ? add(sum.value, v) : sub(sum.value, v);
  },
  merge(sum, other) {
    sum.value = add(sum.value, other.value);
  },
  index: (earned, max) => Number(roundHalfUpToHundredths(clamp(div(mul(HUNDRED, earned.value), max), ZERO, HUNDRED))),

  decimal: ratioToDecimal,
  costly: () => false,
  sumDecimal: (sum) => ratioToDecimal(sum.value),
};
