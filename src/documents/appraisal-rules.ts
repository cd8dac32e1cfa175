import { describeInvalidAdjustment, describeInvalidPoints } from '../scoring';

/**
 * The rules of submitExpertScores (points in [0, the leaf maximum] with at
 * most two decimals; bonus and penalty within the framework's caps), from
 * the same functions (src/scoring/validation.ts), said for a cell of the
 * sheet in Vietnamese and in English.
 */
export interface CellProblem { vi: string; en: string }

const vn = (s: string) => s.replace('.', ',');

/** A cell's content as a decimal string, null when empty, or the problem. */
export function numberIn(value: unknown): { value: string | null } | { problem: 'NOT_A_NUMBER'; shown: string } {
  if (value === null || value === undefined) return { value: null };
  if (typeof value === 'number') return Number.isFinite(value) ? { value: String(value) } : { problem: 'NOT_A_NUMBER', shown: String(value) };
  if (typeof value === 'string') {
    const t = value.trim();
    if (t === '') return { value: null };
    // Typed as text with a Vietnamese decimal comma ("7,5"): the same number.
    if (/^\d+([.,]\d+)?$/.test(t)) return { value: t.replace(',', '.') };
    return { problem: 'NOT_A_NUMBER', shown: t.slice(0, 64) };
  }
  return { problem: 'NOT_A_NUMBER', shown: value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 64) };
}

export function pointsProblem(points: string, max: string, code: string): CellProblem | null {
  const en = describeInvalidPoints(points, max, code);
  if (en === null) return null;
  const m = Number(max);
  const allowedVi = `cho phép: từ 0 đến ${vn(String(m))}, tối đa hai chữ số thập phân`;
  const allowedEn = `allowed: 0 to ${m} with at most two decimals`;
  const vi = /exceed/.test(en) ? `điểm ${vn(points)} vượt quá điểm tối đa ${vn(String(m))} của tiêu chí ${code}`
    : /negative/.test(en) ? `điểm ${vn(points)} của tiêu chí ${code} là số âm`
      : /decimals/.test(en) ? `điểm ${vn(points)} của tiêu chí ${code} có quá hai chữ số thập phân`
        : `điểm của tiêu chí ${code} không phải là số`;
  return { vi: `${vi}; ${allowedVi}`, en: `${en.replace(/; allowed: .*/, '')}; ${allowedEn}` };
}

export function notANumber(shown: string, what: { vi: string; en: string }, max: string): CellProblem {
  const m = Number(max);
  return {
    vi: `"${shown}" không phải là số (${what.vi}); cho phép: một số từ 0 đến ${vn(String(m))}, tối đa hai chữ số thập phân, hoặc để trống`,
    en: `"${shown}" is not a number (${what.en}); allowed: a number from 0 to ${m} with at most two decimals, or empty`,
  };
}

export function adjustmentProblem(kind: 'bonus' | 'penalty', amount: string, cap: string): CellProblem | null {
  const en = describeInvalidAdjustment(kind, amount, cap);
  if (en === null) return null;
  const c = Number(cap);
  const name = kind === 'bonus' ? 'điểm thưởng' : 'điểm trừ';
  const vi = /exceeds/.test(en) ? `${name} ${vn(amount)} vượt quá mức tối đa ${vn(String(c))} của khung chỉ số`
    : /negative/.test(en) ? `${name} ${vn(amount)} là số âm; nhập số điểm dương`
      : /decimals/.test(en) ? `${name} ${vn(amount)} có quá hai chữ số thập phân` : `${name} không phải là số`;
  return { vi: `${vi}; cho phép: từ 0 đến ${vn(String(c))}, tối đa hai chữ số thập phân`, en: `${en}; allowed: 0 to ${c} with at most two decimals` };
}
