import { CriterionSource, ScoreRound, ServiceElement } from '../entities/enums';
import type { SubmitExpertScoresData } from '../results/expert-score.service';
import type { SurveyResponseData } from '../survey/submission';
import {
  DEMO_ADJUSTMENTS, DEMO_COMMENTS, DEMO_NOT_APPLICABLE, DEMO_PANELISTS, DEMO_PENDING, DEMO_REAPPRAISALS, DEMO_TWINS,
  demoFramework, demoLeaves, demoPerformance, demoProcedures, demoQuestionnaire, type DemoUnit, tableRole,
} from './demo-data';
import { DEMO_STREAM, type DemoYear } from './demo-years';

/**
 * The demo year's activity as pure data, generated from the hand-set tables
 * of demo-data.ts with a seeded generator (never Math.random): the same
 * submissions, points and ratings on every run.
 */

/** FNV-1a: a 32-bit seed from a string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: string): () => number {
  let a = hash(seed);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
/** Councils score in quarter points. */
const quarter = (x: number, max: number) => clamp(Math.round(x * 4) / 4, 0, max);

interface LeafPoints { code: string; max: number; self: number; panel: number[] }

/** The council's and the unit's own points per EXPERT leaf, before twins, pending leaves and re-appraisals. */
function basePoints({ year, role }: DemoYear, unit: DemoUnit, level: number): LeafPoints[] {
  const leaves = demoLeaves(demoFramework(year, unit.kind)).filter(({ leaf }) => leaf.source === CriterionSource.EXPERT);
  const random = seededRandom(`${DEMO_STREAM[role]}:${unit.code}:expert`);
  return leaves.map(({ leaf }) => {
    const max = leaf.maxPoints!;
    const leafLevel = clamp(level + (random() - 0.5) * 0.16, 0, 1);
    const panel = DEMO_PANELISTS.map(() => quarter(max * leafLevel + (random() - 0.5) * 0.14 * max, max));
    // Units rate themselves a little higher than the council does.
    const self = quarter(max * Math.min(1, leafLevel + 0.08), max);
    return { code: leaf.code, max, self, panel };
  });
}

/**
 * A twin's points: its original's, rotated among leaves of equal maximum:
 * the same total in other domains.
 */
function rotateAmongEqualMaxima(points: LeafPoints[]): LeafPoints[] {
  const groups = new Map<number, number[]>();
  points.forEach((p, i) => groups.set(p.max, [...(groups.get(p.max) ?? []), i]));
  const out = points.map((p) => ({ ...p }));
  for (const idx of groups.values()) {
    idx.forEach((to, k) => {
      const from = points[idx[(k + 1) % idx.length]];
      out[to] = { ...out[to], self: from.self, panel: [...from.panel] };
    });
  }
  return out;
}

/**
 * Every submitExpertScores call of a unit's year, in order: its
 * self-assessment, then each panelist's appraisal (with bonus and penalty),
 * then the re-appraisals. Empty when the unit has no framework or no
 * activity that year.
 */
export function demoExpertSubmissions(demoYear: DemoYear, unit: DemoUnit): SubmitExpertScoresData[] {
  const { year, role } = demoYear;
  const performance = demoPerformance(role, unit.code);
  if (!performance || performance.expert <= 0) return [];
  const twin = DEMO_TWINS.find((t) => t.role === role && t.unitCode === unit.code);
  // A twin is scored exactly like its original, leaf values rotated: the tie holds by construction.
  const points = twin
    ? rotateAmongEqualMaxima(basePoints(demoYear, { ...unit, code: twin.of }, demoPerformance(role, twin.of)!.expert))
    : basePoints(demoYear, unit, performance.expert);
  const mine = <T extends { role: string; unitCode: string }>(list: readonly T[]) => list.filter((x) => x.role === tableRole(role) && x.unitCode === unit.code);
  const notApplicable = mine(DEMO_NOT_APPLICABLE);
  const pending = new Set(mine(DEMO_PENDING).flatMap((p) => p.criteria));
  const naOf = (code: string, panelist: number | 'self') => notApplicable.find((n) =>
    n.criterion === code && (n.panelists === 'all' || (panelist !== 'self' && n.panelists.includes(panelist))));

  const calls: SubmitExpertScoresData[] = [{
    year, unitCode: unit.code, round: ScoreRound.SELF_ASSESSMENT, panelist: `${unit.name} (tự đánh giá)`,
    scores: points.map((p) => (naOf(p.code, 'self')
      ? { criterionCode: p.code, notApplicable: true, note: naOf(p.code, 'self')!.note }
      : { criterionCode: p.code, points: p.self })),
  }];
  const adjustment = mine(DEMO_ADJUSTMENTS)[0];
  DEMO_PANELISTS.forEach((panelist, i) => {
    calls.push({
      year, unitCode: unit.code, round: ScoreRound.APPRAISAL, panelist,
      scores: points.filter((p) => !pending.has(p.code)).map((p) => {
        const na = naOf(p.code, i);
        return na ? { criterionCode: p.code, notApplicable: true, note: na.note } : { criterionCode: p.code, points: p.panel[i] };
      }),
      bonus: adjustment?.bonus?.[i] ?? null,
      penalty: adjustment?.penalty?.[i] ?? null,
    });
  });
  for (const re of mine(DEMO_REAPPRAISALS)) {
    DEMO_PANELISTS.forEach((panelist, i) => {
      calls.push({
        year, unitCode: unit.code, round: ScoreRound.REAPPRAISAL, panelist,
        scores: re.criteria.map((code) => {
          const p = points.find((x) => x.code === code)!;
          return { criterionCode: code, points: quarter(p.panel[i] + re.delta, p.max), note: re.note };
        }),
      });
    });
  }
  return calls;
}

/** How satisfied citizens are with each service element, around a unit's overall satisfaction. */
const ELEMENT_OFFSET: Record<ServiceElement, number> = {
  [ServiceElement.ACCESS]: 0.02,
  [ServiceElement.PROCEDURE]: -0.03,
  [ServiceElement.CIVIL_SERVANT]: 0.03,
  [ServiceElement.RESULT]: 0,
  [ServiceElement.FEEDBACK]: -0.08,
};

/** A UUID unique by construction: year, unit and response number, then random hex. */
function clientId(year: number, unitIndex: number, k: number, random: () => number): string {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const r = (width: number) => Array.from({ length: width }, () => hex(Math.floor(random() * 16), 1)).join('');
  return `${hex(year, 4)}${hex(unitIndex, 4)}-${hex(k, 4)}-4${r(3)}-${'89ab'[Math.floor(random() * 4)]}${r(3)}-${r(12)}`;
}

export interface DemoRating { kioskIndex: number; response: SurveyResponseData }

/** Vietnam keeps UTC+7 all year. */
const VIETNAM_HOURS = 7;
/** Office hours in Huế: a rating starts between 8:00 and 16:59. */
const OFFICE_FIRST_HOUR = 8;
const OFFICE_HOURS = 9;

/**
 * The office days of `year` (Monday to Friday, Vietnam time) that have
 * begun by `until`, with the office hours of each that are already over:
 * where the open year's ratings may fall, none of them in the future. A
 * day whose first office hour is not over yet is left out.
 */
export function demoOfficeDays(year: number, until: Date): { month: number; day: number; hours: number }[] {
  const out: { month: number; day: number; hours: number }[] = [];
  for (let d = new Date(Date.UTC(year, 0, 1)); d.getUTCFullYear() === year; d = new Date(d.getTime() + 86_400_000)) {
    const weekday = d.getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const opens = Date.UTC(year, d.getUTCMonth(), d.getUTCDate(), OFFICE_FIRST_HOUR - VIETNAM_HOURS);
    const hours = Math.min(OFFICE_HOURS, Math.floor((until.getTime() - opens) / 3_600_000));
    if (hours < 1) break;
    out.push({ month: d.getUTCMonth(), day: d.getUTCDate(), hours });
  }
  return out;
}

/**
 * A unit's kiosk ratings of a year, spread over its months (working hours,
 * Monday to Friday, Asia/Ho_Chi_Minh). Every rating answers the five
 * 3-level kiosk questions and some of the 5-level ones. The answer values
 * depend only on the unit's satisfaction profile (a twin uses its
 * original's, so their counts are equal); times, kiosks, procedures and
 * comments on the unit itself.
 *
 * The open year is the current one: its ratings are spread over the office
 * hours already over at `now`, never later (a rating ahead of the server
 * clock is refused). In the first hours of a year, before any office hour
 * is over, they fall evenly between New Year and `now`.
 */
export function demoRatings(demoYear: DemoYear, unit: DemoUnit, unitIndex: number, kiosks: number, now: Date = new Date()): DemoRating[] {
  const { year, role } = demoYear;
  const twin = DEMO_TWINS.find((t) => t.role === role && t.unitCode === unit.code);
  const profile = twin ? twin.of : unit.code;
  const performance = demoPerformance(role, profile);
  if (!performance || kiosks === 0) return [];
  const values = seededRandom(`${DEMO_STREAM[role]}:${profile}:ratings`);
  const meta = seededRandom(`${DEMO_STREAM[role]}:${unit.code}:meta`);
  const questions = demoQuestionnaire(role);
  const procedures = demoProcedures(unit);
  const officeDays = role === 'open' ? demoOfficeDays(year, now) : null;
  const n = performance.responses;
  const out: DemoRating[] = [];
  for (let k = 0; k < n; k++) {
    const answers: { questionCode: string; value: number }[] = [];
    let satisfied = 0;
    for (const q of questions) {
      if (q.scaleMax === 5 && values() >= 0.55) continue;
      const threshold = q.satisfiedMin ?? (q.scaleMax === 5 ? 4 : 2);
      // In the open year only "Rất hài lòng" counts for Q10: fewer answers reach the raised bar.
      const stricter = threshold === q.scaleMax && q.scaleMax === 3 ? 0.8 : 1;
      const p = clamp((performance.satisfaction + ELEMENT_OFFSET[q.element]) * stricter, 0.02, 0.99);
      const ok = values() < p;
      const u = values();
      const value = ok
        ? threshold + Math.floor(u * (q.scaleMax - threshold + 1))
        : u < 0.6 ? threshold - 1 : 1 + Math.floor(((u - 0.6) / 0.4) * (threshold - 1));
      if (ok) satisfied++;
      answers.push({ questionCode: q.code, value });
    }
    // Month by month through the year; a weekday between 8:00 and 16:59 in Huế.
    let day = 3 + Math.floor(meta() * 26);
    const hourDraw = meta();
    const minute = Math.floor(meta() * 60);
    const second = Math.floor(meta() * 60);
    let submittedAt: Date;
    if (officeDays === null) {
      const month = Math.floor((k * 12) / n);
      const weekday = new Date(Date.UTC(year, month, day)).getUTCDay();
      if (weekday === 6) day -= 1;
      if (weekday === 0) day -= 2;
      const hour = OFFICE_FIRST_HOUR + Math.floor(hourDraw * OFFICE_HOURS);
      submittedAt = new Date(Date.UTC(year, month, day, hour - VIETNAM_HOURS, minute, second));
    } else if (officeDays.length > 0) {
      // From the year's first office day to its latest (the last rating on it): every month so far has ratings,
      // the current one too from its first office hour on.
      const office = officeDays[n > 1 ? Math.floor((k * (officeDays.length - 1)) / (n - 1)) : officeDays.length - 1];
      const hour = OFFICE_FIRST_HOUR + Math.floor(hourDraw * office.hours);
      submittedAt = new Date(Date.UTC(year, office.month, office.day, hour - VIETNAM_HOURS, minute, second));
    } else {
      const newYear = Date.UTC(year, 0, 1, -VIETNAM_HOURS);
      submittedAt = new Date(newYear + Math.floor(((k + 1) * (now.getTime() - newYear)) / (n + 1)));
    }
    const procedureCode = procedures.length > 0 && meta() < 0.6 ? procedures[Math.floor(meta() * procedures.length)] : null;
    const pool = satisfied * 2 >= answers.length ? DEMO_COMMENTS.satisfied : DEMO_COMMENTS.unsatisfied;
    const comment = meta() < 0.06 ? pool[Math.floor(meta() * pool.length)] : null;
    out.push({
      kioskIndex: Math.floor(meta() * kiosks),
      response: { clientId: clientId(year, unitIndex, k, meta), submittedAt, answers, procedureCode, comment },
    });
  }
  return out;
}
