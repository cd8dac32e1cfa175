import type Decimal from 'decimal.js';

import { toDecimal } from './decimal';
import { ScoringInputError } from './errors';
import type { DecimalInput } from './types';

/** Panel points, bonus and penalty carry at most this many decimals. */
export const MAX_POINT_DECIMALS = 2;

function parse(value: DecimalInput): Decimal | null {
  try {
    return toDecimal(value);
  } catch {
    return null;
  }
}

/**
 * Why a panelist's points for a criterion must be refused, or null when they
 * are fine: points lie in [0, maximum] with at most two decimals. Services
 * validate input with this; the method asserts the same and never clips.
 *   describeInvalidPoints('7.5', '5', 'LV3.2.1')
 *   → 'points 7.5 exceed the maximum 5 of criterion LV3.2.1'
 */
export function describeInvalidPoints(
  points: DecimalInput,
  maxPoints: DecimalInput,
  criterionCode: string,
): string | null {
  const value = parse(points);
  const max = toDecimal(maxPoints, `maximum of criterion ${criterionCode}`);
  if (value === null) {
    return `points ${JSON.stringify(String(points))} of criterion ${criterionCode} are not a number`;
  }
  if (value.isNegative() && !value.isZero()) {
    return `points ${value.toString()} of criterion ${criterionCode} are negative; allowed: 0 to ${max.toString()}`;
  }
  if (value.greaterThan(max)) {
    return `points ${value.toString()} exceed the maximum ${max.toString()} of criterion ${criterionCode}`;
  }
  if (value.decimalPlaces() > MAX_POINT_DECIMALS) {
    return `points ${value.toString()} of criterion ${criterionCode} have more than ${MAX_POINT_DECIMALS} decimals`;
  }
  return null;
}

/**
 * Why a bonus or penalty must be refused, or null: it is ≥ 0 with at most two
 * decimals, and, when a cap is given, at most the cap.
 *   describeInvalidAdjustment('bonus', '3', '2') → 'bonus 3 exceeds the cap 2 of the framework'
 */
export function describeInvalidAdjustment(
  kind: 'bonus' | 'penalty',
  amount: DecimalInput,
  cap?: DecimalInput,
): string | null {
  const value = parse(amount);
  if (value === null) return `${kind} ${JSON.stringify(String(amount))} is not a number`;
  if (value.isNegative() && !value.isZero()) {
    return `${kind} ${value.toString()} is negative; enter it as a positive number of points`;
  }
  if (value.decimalPlaces() > MAX_POINT_DECIMALS) {
    return `${kind} ${value.toString()} has more than ${MAX_POINT_DECIMALS} decimals`;
  }
  if (cap !== undefined) {
    const limit = toDecimal(cap, `${kind} cap`);
    if (value.greaterThan(limit)) {
      return `${kind} ${value.toString()} exceeds the cap ${limit.toString()} of the framework`;
    }
  }
  return null;
}

/** Throws ScoringInputError with the message when there is one. */
export function assertValid(problem: string | null): void {
  if (problem !== null) throw new ScoringInputError(problem);
}

/** A count of responses or answers: a non-negative integer. */
export function assertCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ScoringInputError(`${what} ${String(value)} is not a non-negative whole number`);
  }
}
