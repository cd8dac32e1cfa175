import type { EntityManager } from 'typeorm';
import type { ScoreRound, UnitKind } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';

/**
 * Round windows ("thời hạn", DOMAIN.md "The year around the figures"): the
 * one rule of when a round takes scores, asked by every path that writes or
 * withdraws them (submitExpertScores, withdrawExpertScore, the Excel
 * appraisal import).
 *
 * A round with a window takes scores from opens_at up to (not including)
 * closes_at, or the unit's extension's closes_at when it has one. A round
 * without a window takes scores while its cycle is OPEN (the callers check
 * the cycle's status first: DRAFT and PUBLISHED take none). Bonus and
 * penalty are stored per round as the scores are, and move the figures as
 * they do: the window of the call's round applies to them too.
 *
 * The clock is the database's (the transaction's now()), so that every
 * instance of the service judges a window alike.
 */

const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;

/** "2026-03-01 08:00": an instant as a clock in Vietnam (UTC+7 all year) shows it. */
export function vietnamClock(instant: Date): string {
  return new Date(instant.getTime() + VIETNAM_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** "2026-03-01 08:00–2026-03-31 17:00 (giờ Việt Nam)". */
export function vietnamSpan(from: Date, to: Date): string {
  return `${vietnamClock(from)}–${vietnamClock(to)} (giờ Việt Nam)`;
}

/** A unit the round is closed for now, with its window as stored. */
export interface ClosedRound {
  unitId: number;
  opensAt: Date;
  closesAt: Date;
  /** The unit's extension, when it has one. */
  extendedTo: Date | null;
  now: Date;
}

/**
 * The units of `unitIds` for which `round` of the cycle is closed now
 * (empty: open for all, or the round has no window). One statement, for
 * one unit or a sheet's hundreds; it reads the window under a share lock,
 * so that setRoundWindow (which updates it) waits for scores being written.
 */
export async function closedFor(tx: EntityManager, cycleId: number, round: ScoreRound, unitIds: number[]): Promise<ClosedRound[]> {
  if (unitIds.length === 0) return [];
  const rows: { unit_id: number; opens_at: Date; closes_at: Date; extended_to: Date | null; now: Date }[] = await tx.query(
    `WITH w AS (SELECT cycle_id, round, opens_at, closes_at FROM round_window WHERE cycle_id = $1 AND round = $2::score_round FOR SHARE)
     SELECT u.id AS unit_id, w.opens_at, w.closes_at, e.closes_at AS extended_to, now() AS now
       FROM w CROSS JOIN unnest($3::int[]) AS u(id)
       LEFT JOIN round_window_extension e ON e.cycle_id = w.cycle_id AND e.round = w.round AND e.unit_id = u.id
      WHERE now() < w.opens_at OR now() >= greatest(w.closes_at, coalesce(e.closes_at, w.closes_at))
      ORDER BY u.id`,
    [cycleId, round, unitIds],
  );
  return rows.map((r) => ({ unitId: r.unit_id, opensAt: r.opens_at, closesAt: r.closes_at, extendedTo: r.extended_to, now: r.now }));
}

/** The refusal of a closed round, in the words of API.md: the window in Vietnam time. */
export function closedRoundMessage(
  closed: ClosedRound, cycle: { year: number; unitKind: UnitKind }, round: ScoreRound, unitCode: string,
): string {
  const extended = closed.extendedTo !== null && closed.extendedTo > closed.closesAt
    ? `, extended for unit ${unitCode} until ${vietnamClock(closed.extendedTo)} (giờ Việt Nam)` : '';
  const when = closed.now < closed.opensAt ? 'has not opened yet' : 'has closed';
  return `The ${round} round of ${cycle.year} ${cycle.unitKind} takes scores ${vietnamSpan(closed.opensAt, closed.closesAt)}${extended}; `
    + `it ${when} for unit ${unitCode} (now ${vietnamClock(closed.now)}, giờ Việt Nam): no score of this round is stored or withdrawn outside its window`;
}

/**
 * Refuses (CONFLICT, naming `field`) when the round is closed for the unit
 * now. The caller has read the cycle (FOR SHARE) and refused DRAFT and
 * PUBLISHED.
 */
export async function requireRoundOpen(
  tx: EntityManager, cycle: { id: number; year: number; unitKind: UnitKind }, round: ScoreRound,
  unit: { id: number; code: string }, field: string,
): Promise<void> {
  const [closed] = await closedFor(tx, cycle.id, round, [unit.id]);
  if (closed) throw new AppError(ErrorCode.ROUND_CLOSED, closedRoundMessage(closed, cycle, round, unit.code), field);
}
