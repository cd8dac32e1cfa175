import { KioskAlertRule } from '../../entities/kiosk-alert.entity';
import type { AlertRulesConfig } from '../config';

/** One stored response as the rules see it (one kiosk's, sorted by submittedAt then id). */
export interface ScannedResponse {
  id: number;
  year: number;
  unitId: number;
  submittedAt: number;
  receivedAt: number;
  /** The answers, as "question:value" joined in question order: equal strings, identical answers. */
  signature: string;
  /** How many responses of the kiosk arrived in the same request (same received_at): 1 means sent online, as it was given. */
  sameRequest: number;
  /** Whether the detector has looked at it before (older than its watermark). */
  seen: boolean;
}

/** Consecutive responses (indices into the sorted list) one rule flags as one alert. */
export interface Cluster { rule: KioskAlertRule; members: ScannedResponse[] }

const VIETNAM_OFFSET_MS = 7 * 3600 * 1000;

/** Vietnam time (UTC+7 all year): outside office hours or not a working day. */
export function isOffHours(at: number, rules: AlertRulesConfig): boolean {
  const local = new Date(at + VIETNAM_OFFSET_MS);
  if (!rules.officeDays.includes(local.getUTCDay())) return true;
  const seconds = local.getUTCHours() * 3600 + local.getUTCMinutes() * 60 + local.getUTCSeconds() + local.getUTCMilliseconds() / 1000;
  return seconds < rules.officeStartMinute * 60 || seconds > rules.officeEndMinute * 60;
}

/** Runs of consecutive indices for which `flag` holds, split where `split(prev, next)` says so. */
function runs(rows: ScannedResponse[], flag: boolean[], split: (a: ScannedResponse, b: ScannedResponse) => boolean): ScannedResponse[][] {
  const out: ScannedResponse[][] = [];
  let current: ScannedResponse[] = [];
  rows.forEach((r, i) => {
    if (!flag[i]) {
      if (current.length > 0) out.push(current);
      current = [];
      return;
    }
    if (current.length > 0 && split(current[current.length - 1], r)) {
      out.push(current);
      current = [];
    }
    current.push(r);
  });
  if (current.length > 0) out.push(current);
  return out;
}

/** Another year or unit starts another alert: an alert counts for one unit's year. */
const otherYearOrUnit = (a: ScannedResponse, b: ScannedResponse) => a.year !== b.year || a.unitId !== b.unitId;

/**
 * The four rules of DOMAIN.md over one kiosk's responses (sorted by
 * submittedAt, then id): every cluster that holds a response not seen
 * before. Pure, for the tests to drive with crafted streams.
 */
export function detect(rows: ScannedResponse[], rules: AlertRulesConfig): Cluster[] {
  const clusters: Cluster[] = [];
  const add = (rule: KioskAlertRule, groups: ScannedResponse[][]) => {
    for (const members of groups) if (members.some((m) => !m.seen)) clusters.push({ rule, members });
  };

  // BURST: every response inside a window of burstWindowSeconds holding more than burstResponses.
  const windowMs = rules.burstWindowSeconds * 1000;
  const burst = new Array<boolean>(rows.length).fill(false);
  for (let i = 0, j = 0; i < rows.length; i++) {
    if (j < i) j = i;
    while (j < rows.length && rows[j].submittedAt - rows[i].submittedAt < windowMs) j++;
    if (j - i > rules.burstResponses) for (let k = i; k < j; k++) burst[k] = true;
  }
  add(KioskAlertRule.BURST, runs(rows, burst, otherYearOrUnit));

  // STREAK: streakResponses or more consecutive responses with identical answers.
  const streak = new Array<boolean>(rows.length).fill(false);
  for (let i = 0; i < rows.length;) {
    let j = i + 1;
    while (j < rows.length && rows[j].signature === rows[i].signature) j++;
    if (j - i >= rules.streakResponses) for (let k = i; k < j; k++) streak[k] = true;
    i = j;
  }
  add(KioskAlertRule.STREAK, runs(rows, streak, (a, b) => otherYearOrUnit(a, b) || a.signature !== b.signature));

  // OFF_HOURS: consecutive responses stamped out of office hours; a gap of over 6 hours starts another alert.
  const off = rows.map((r) => isOffHours(r.submittedAt, rules));
  add(KioskAlertRule.OFF_HOURS, runs(rows, off, (a, b) => otherYearOrUnit(a, b) || b.submittedAt - a.submittedAt > 6 * 3600 * 1000));

  // CLOCK_SKEW: responses sent online (alone in their request) stamped further from their arrival than allowed.
  // A queue sent after an outage carries old stamps by right: a request of several responses is not judged.
  const skewMs = rules.clockSkewMinutes * 60 * 1000;
  const skew = rows.map((r) => r.sameRequest === 1 && Math.abs(r.receivedAt - r.submittedAt) > skewMs);
  add(KioskAlertRule.CLOCK_SKEW, runs(rows, skew, (a, b) => otherYearOrUnit(a, b) || b.submittedAt - a.submittedAt > 3600 * 1000));
  return clusters;
}
