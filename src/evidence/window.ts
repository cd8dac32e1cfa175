import type { EntityManager } from 'typeorm';
import { closedFor, vietnamClock, vietnamSpan } from '../appraisal/round-windows';
import { CycleStatus, ScoreRound } from '../entities/enums';

/** An instant as Vietnam reads it: "2026-03-31 17:00 (giờ Việt Nam)". */
export function vietnamTime(instant: Date): string {
  return `${vietnamClock(instant)} (giờ Việt Nam)`;
}

export interface SelfAssessmentWindow {
  /** Whether evidence is taken now for the unit. */
  open: boolean;
  /** Why not, in words that give the window in Vietnam time. */
  reason: string;
}

/**
 * The unit's SELF_ASSESSMENT window of a cycle now, by the rule scores
 * follow (src/appraisal/round-windows.ts): a DRAFT or PUBLISHED cycle takes
 * nothing; a round without a window is open while the cycle is OPEN; with
 * one, from opens_at up to closes_at or the unit's extension. Read in the
 * caller's transaction, the cycle under a share lock.
 */
export async function selfAssessmentWindow(tx: EntityManager, cycle: { id: number; year: number; kind: string }, unitId: number): Promise<SelfAssessmentWindow> {
  const [row] = await tx.query('SELECT status FROM cycle WHERE id = $1 FOR SHARE', [cycle.id]) as { status: CycleStatus }[];
  const name = `the ${cycle.year} ${cycle.kind} cycle`;
  if (!row) return { open: false, reason: `${name} does not exist` };
  if (row.status !== CycleStatus.OPEN) return { open: false, reason: `${name} is ${row.status}` };
  const [closed] = await closedFor(tx, cycle.id, ScoreRound.SELF_ASSESSMENT, [unitId]);
  if (!closed) return { open: true, reason: '' };
  const extended = closed.extendedTo !== null && closed.extendedTo > closed.closesAt ? `, extended for this unit until ${vietnamTime(closed.extendedTo)}` : '';
  const when = closed.now < closed.opensAt ? 'has not opened yet' : 'has closed';
  return { open: false, reason: `the SELF_ASSESSMENT window of ${name} is ${vietnamSpan(closed.opensAt, closed.closesAt)}${extended} and ${when}` };
}
