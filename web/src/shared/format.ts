/** Figures the Vietnamese way on screen: decimal comma, dot between thousands ("1.234,56"). */
const two = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const one = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 });

export const score = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : two.format(x));
export const count = (x: number): string => whole.format(x);
/** A rate in [0, 1] as a percentage with one decimal: 0.8734 → "87,3 %". */
export const percent = (x: number): string => `${one.format(x * 100)} %`;

/**
 * Text folded for search the way the service folds it: no case, no
 * diacritics, đ as d ("phong dien" finds "Phong Điền"). Every word of the
 * query must occur.
 */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
}

export function matches(name: string, query: string): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  const folded = fold(name);
  return words.every((w) => folded.includes(w));
}
