import { createHash } from 'node:crypto';
import { CriterionSource, type UnitKind } from '../entities/enums';
import { type Framework, type FrameworkNode, leavesOf } from '../services/framework.service';

/**
 * The layout of the appraisal sheet, shared by the template that writes it
 * and the import that reads it back (one definition of where things are).
 *
 *   row 1   title
 *   row 2   how to fill it in
 *   row 3   STT | Mã đơn vị | Đơn vị | one EXPERT leaf code per column … | Không áp dụng | Điểm thưởng | Điểm trừ
 *   row 4   the leaves' names
 *   row 5   the leaves' maxima (and the caps of bonus and penalty)
 *   row 6…  one row per unit of the kind
 *
 * A hidden sheet holds what the sheet was made for (year, kind and the
 * framework's fingerprint), so that a sheet made for another framework is
 * refused rather than read against the wrong maxima.
 */
export const APPRAISAL_SHEET = 'Thẩm định';
export const META_SHEET = 'par_index';
export const FORMAT_ID = 'par-index-appraisal/1';
export const ROW = { title: 1, help: 2, codes: 3, names: 4, maxima: 5, firstData: 6 } as const;
export const COL = { stt: 1, unitCode: 2, unitName: 3, firstLeaf: 4 } as const;
/** Rows of the hidden sheet: [label, value] in A and B. */
export const META_ROWS = { format: 1, year: 2, unitKind: 3, fingerprint: 4 } as const;

export interface SheetLayout {
  leaves: FrameworkNode[];
  /** Columns (1-based) of the not-applicable list, the bonus and the penalty. */
  notApplicableCol: number; bonusCol: number; penaltyCol: number;
  lastCol: number;
}

export function expertLeaves(framework: Framework): FrameworkNode[] {
  return leavesOf(framework).filter(({ node }) => node.source === CriterionSource.EXPERT).map(({ node }) => node);
}

export function layoutOf(framework: Framework): SheetLayout {
  const leaves = expertLeaves(framework);
  const notApplicableCol = COL.firstLeaf + leaves.length;
  return { leaves, notApplicableCol, bonusCol: notApplicableCol + 1, penaltyCol: notApplicableCol + 2, lastCol: notApplicableCol + 2 };
}

/**
 * What a filled sheet depends on: the year, the kind, every leaf's code,
 * source and maximum in order, and the caps. Redefining the framework with
 * the same leaves keeps it; any change of those makes a new one.
 */
export function frameworkFingerprint(framework: Framework, year: number, unitKind: UnitKind): string {
  const parts = [FORMAT_ID, String(year), unitKind, String(Number(framework.cycle.maxBonus)), String(Number(framework.cycle.maxPenalty))];
  for (const { node } of leavesOf(framework)) parts.push(`${node.code}|${node.source}|${Number(node.maxPoints)}`);
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/** "A1"-style name of a cell. */
export function cellName(row: number, col: number): string {
  let letters = '';
  for (let c = col; c > 0; c = Math.floor((c - 1) / 26)) letters = String.fromCharCode(65 + ((c - 1) % 26)) + letters;
  return `${letters}${row}`;
}
