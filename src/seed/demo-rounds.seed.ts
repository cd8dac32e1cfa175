import type { DataSource } from 'typeorm';
import type { RoundWindowService } from '../appraisal/round-window.service';
import type { Logger } from '../config/logger';
import { ScoreRound, UnitKind } from '../entities/enums';
import { existsInYearSql } from '../services/unit-years';
import { demoFrameworkKinds } from './demo-data';
import { demoYears } from './demo-years';

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;

/** `days` from `now`'s Vietnam date at `hour`:00 Vietnam time (UTC+7). */
function vietnamDay(now: Date, days: number, hour: number): Date {
  const local = new Date(now.getTime() + 7 * HOUR);
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days, hour - 7));
}

/** The demo's windows, around the day it is seeded on: self-assessment closed, appraisal open now, re-appraisal later. */
export function demoRoundWindows(now: Date): { round: ScoreRound; opensAt: Date; closesAt: Date }[] {
  return [
    { round: ScoreRound.SELF_ASSESSMENT, opensAt: vietnamDay(now, -60, 8), closesAt: vietnamDay(now, -8, 17) },
    { round: ScoreRound.APPRAISAL, opensAt: vietnamDay(now, -7, 8), closesAt: vietnamDay(now, 21, 17) },
    { round: ScoreRound.REAPPRAISAL, opensAt: vietnamDay(now, 28, 8), closesAt: vietnamDay(now, 42, 17) },
  ];
}

/** The late unit's self-assessment extension: a week from the day the demo is seeded on. */
export const demoExtensionCloses = (now: Date): Date => vietnamDay(now, 7, 17);

/**
 * The demo's round windows (issue 14), a step of its own after the demo
 * seed (whose scores were stored before any window existed): each framework
 * of the open year gets the three windows above through the service (as an
 * ADMIN's setRoundWindow, audited as the system), and the first commune
 * of the open year (by code) a self-assessment extension, so that a
 * newcomer sees a closed, an open and a coming round and one late unit.
 * Returns false when the open year already has windows.
 */
export async function seedDemoRounds(
  db: DataSource, windows: RoundWindowService, logger: Logger, now: Date = new Date(),
): Promise<boolean> {
  const { open } = demoYears(now);
  const [known] = await db.query(
    'SELECT 1 FROM round_window w JOIN cycle c ON c.id = w.cycle_id WHERE c.year = $1 LIMIT 1', [open]);
  if (known) return false;
  const kinds: { unit_kind: UnitKind }[] = await db.query(
    'SELECT unit_kind FROM cycle WHERE year = $1 AND unit_kind = ANY($2::unit_kind[]) ORDER BY unit_kind', [open, demoFrameworkKinds(open)]);
  for (const { unit_kind: unitKind } of kinds) {
    for (const w of demoRoundWindows(now)) await windows.set({ year: open, unitKind, ...w });
  }
  const [late]: { code: string }[] = await db.query(
    `SELECT u.code FROM unit u WHERE u.kind = 'COMMUNE' AND ${existsInYearSql('u', '$1')} ORDER BY u.code LIMIT 1`, [open]);
  if (late && kinds.some((k) => k.unit_kind === UnitKind.COMMUNE)) {
    await windows.extend(open, UnitKind.COMMUNE, ScoreRound.SELF_ASSESSMENT, late.code, demoExtensionCloses(now));
  }
  logger.info('demo round windows set', { year: open, kinds: kinds.map((k) => k.unit_kind), extendedFor: late?.code ?? null });
  return true;
}
