import Decimal from 'decimal.js';

import { ScoringInputError } from './errors';
import { fromDecimal, type Ratio, roundHalfUpToHundredths } from './ratio';
import type { DecimalInput } from './types';

/**
 * The Decimal constructor of the index method: its own clone, so nothing
 * else's `Decimal.set(...)` changes how scores come out. Inputs, exact
 * intermediate figures and published figures are all ScoringDecimals; the
 * computation in between runs on exact fractions (ratio.ts), so the
 * precision only bounds how a non-terminating figure (a mean of three
 * panelists' points) is shown.
 */
export const ScoringDecimal = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 40,
});

/**
 * Reads a figure as it arrives (pg returns `numeric` as a string; a test may
 * write a number) and refuses anything that is not a finite number. `what`
 * names the figure in the error message.
 */
export function toDecimal(value: DecimalInput, what = 'value'): Decimal {
  let parsed: Decimal;
  try {
    parsed = new ScoringDecimal(typeof value === 'string' ? value.trim() : value);
  } catch {
    throw new ScoringInputError(`${what} ${JSON.stringify(String(value))} is not a number`);
  }
  if (!parsed.isFinite()) {
    throw new ScoringInputError(`${what} ${String(value)} is not a finite number`);
  }
  return parsed;
}

/** An input figure as an exact fraction. */
export function toRatio(value: DecimalInput, what = 'value'): Ratio {
  return fromDecimal(toDecimal(value, what));
}

/** An exact fraction as a Decimal: exact whenever it terminates within 40 digits. */
export function ratioToDecimal(a: Ratio): Decimal {
  return new ScoringDecimal(a.n.toString()).div(a.d.toString());
}

/** The published figure of an exact value: rounded half-up to two decimals, once. */
export function publish(a: Ratio): Decimal {
  return new ScoringDecimal(roundHalfUpToHundredths(a).toString()).div(100);
}

/**
 * Rounds half-up (half away from zero) to two decimals: the one rounding of
 * every published figure. 92.625 → 92.63; 90.004 and 89.995 → 90.00.
 * Idempotent, so rounding an already published figure changes nothing.
 */
export function roundHalfUp2(d: Decimal): Decimal {
  return publish(toRatio(d, 'figure'));
}
