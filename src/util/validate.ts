import Decimal from 'decimal.js';
import { invalid } from '../errors/app-error';
import { CODE_PATTERN, CODE_RULE, hasControlCharacters, invisibleTextProblem, nfc, quoted, VISIBLE_TEXT_RULE } from './text';

/** Field checks that throw BAD_USER_INPUT naming the field and what is allowed. */

export function requireCode(field: string, raw: string): string {
  const code = nfc(raw);
  if (!CODE_PATTERN.test(code)) throw invalid(field, `${field} ${quoted(code)} is not a valid code: use ${CODE_RULE}`);
  return code;
}

export function requireText(field: string, raw: string, max: number): string {
  const text = nfc(raw);
  if (text.length === 0) throw invalid(field, `${field} must not be empty`);
  if (text.length > max) throw invalid(field, `${field} is ${text.length} characters long; at most ${max} are allowed`);
  if (hasControlCharacters(text)) throw invalid(field, `${field} contains control characters, which are not allowed`);
  // Names and labels are shown to people: none may be blank to the eye or display as another text.
  const problem = invisibleTextProblem(text);
  if (problem) throw invalid(field, `${field} ${problem}; use ${VISIBLE_TEXT_RULE}`);
  return text;
}

export function requireInt(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `${field} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function requireYear(field: string, year: number): number {
  return requireInt(field, year, 2000, 2100);
}

/**
 * A number with at most two decimals within [min, max], as an exact decimal
 * string. GraphQL floats arrive as JS numbers; their shortest decimal form
 * (what was typed) is what is checked: 7.25 passes, 7.255 does not.
 */
export function requirePoints(field: string, value: number, min: Decimal.Value, max: Decimal.Value, what = field): Decimal {
  if (!Number.isFinite(value)) throw invalid(field, `${what} must be a finite number`);
  const d = new Decimal(String(value));
  if (d.decimalPlaces() > 2) throw invalid(field, `${what} ${d.toString()} has more than two decimals`);
  if (d.lt(min) || d.gt(max)) throw invalid(field, `${what} ${d.toString()} is outside the allowed range [${new Decimal(min).toString()}, ${new Decimal(max).toString()}]`);
  return d;
}

export function truncate(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
