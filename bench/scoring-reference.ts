/**
 * A frozen copy of the index method as it was before the speed-up
 * (src/scoring at that time: ratio.ts, panel.ts, decimal.ts, validation.ts,
 * bands.ts, index-method.ts, inlined). bench/scoring.bench.ts compares the
 * fast method against it, field by field. Do not "improve" this file.
 */
import type Decimal from 'decimal.js';

import { ScoringDecimal } from '../src/scoring/decimal';
import { ScoringInputError } from '../src/scoring/errors';
import type {
  Adjustment,
  Aggregation,
  BandSpec,
  DecimalInput,
  FrameworkSpec,
  LeafOutcome,
  LeafSpec,
  LeafStatus,
  PanelScore,
  Round,
  SurveyTally,
  UnitInput,
  UnitOutcome,
} from '../src/scoring/types';

// ---- ratio.ts ----

/**
 * An exact rational number: numerator over a positive denominator, reduced.
 *
 * The method divides (a mean of three panelists, satisfied / answers,
 * earned / max), so a decimal type alone would have to round in the middle
 * of the computation. Fractions of BigInts never do: every figure stays exact
 * until the single half-up rounding of a published figure.
 * Internal to src/scoring; the public API speaks Decimal (see decimal.ts).
 */
interface Ratio {
  readonly n: bigint;
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function ratio(n: bigint, d: bigint = 1n): Ratio {
  if (d === 0n) throw new RangeError('division by zero');
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

const ZERO: Ratio = ratio(0n);
const HUNDRED: Ratio = ratio(100n);

const fromInteger = (value: number): Ratio => ratio(BigInt(value));

/** A finite decimal is a fraction over a power of ten: exact. */
function fromDecimal(value: Decimal): Ratio {
  if (!value.isFinite()) throw new RangeError(`${value.toString()} is not finite`);
  const text = value.abs().toFixed(); // plain notation, every digit
  const [whole, fraction = ''] = text.split('.');
  const digits = BigInt(whole + fraction);
  return ratio(value.isNegative() ? -digits : digits, 10n ** BigInt(fraction.length));
}

const add = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d + b.n * a.d, a.d * b.d);
const sub = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.n, a.d * b.d);
const div = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d, a.d * b.n);
const sum = (values: readonly Ratio[]): Ratio => values.reduce(add, ZERO);
const isZero = (a: Ratio): boolean => a.n === 0n;

function cmp(a: Ratio, b: Ratio): number {
  const left = a.n * b.d;
  const right = b.n * a.d;
  return left < right ? -1 : left > right ? 1 : 0;
}

const min = (a: Ratio, b: Ratio): Ratio => (cmp(a, b) <= 0 ? a : b);
const clamp = (a: Ratio, lo: Ratio, hi: Ratio): Ratio =>
  cmp(a, lo) < 0 ? lo : cmp(a, hi) > 0 ? hi : a;

/**
 * The rounding rule of every published figure, on the exact value: half-up
 * (half away from zero) to hundredths, floor(|a| × 100 + 1/2) with the sign
 * restored. Returns the count of hundredths: 92.625 → 9263n.
 */
function roundHalfUpToHundredths(a: Ratio): bigint {
  const scaled = (a.n < 0n ? -a.n : a.n) * 100n;
  const hundredths = (2n * scaled + a.d) / (2n * a.d);
  return a.n < 0n ? -hundredths : hundredths;
}

// ---- panel.ts ----

/** Rounds from the one that wins to the one that yields: the latest round used is the first present. */
const ROUNDS_LATEST_FIRST: readonly Round[] = ['REAPPRAISAL', 'APPRAISAL', 'SELF_ASSESSMENT'];

/**
 * The latest round among those that hold an entry counting for the figure
 * (REAPPRAISAL, else APPRAISAL, else SELF_ASSESSMENT), or null if none does.
 */
function latestRound<T extends { round: Round }>(
  entries: readonly T[],
  counts: (entry: T) => boolean,
): Round | null {
  return ROUNDS_LATEST_FIRST.find((round) => entries.some((e) => e.round === round && counts(e))) ?? null;
}

/**
 * Combines the panelists' values of one round, exactly: MEAN is their sum
 * over their count; MEDIAN is the middle value, or for an even count the mean
 * of the two middle ones.
 */
function aggregate(values: readonly Ratio[], aggregation: Aggregation): Ratio {
  if (values.length === 0) throw new RangeError('nothing to aggregate');
  if (aggregation === 'MEAN') {
    return div(values.reduce(add), fromInteger(values.length));
  }
  const sorted = [...values].sort(cmp);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : div(add(sorted[middle - 1], sorted[middle]), fromInteger(2));
}

/** One panelist's entry for an EXPERT leaf, with points already read exactly. */
interface PanelEntry {
  round: Round;
  points: Ratio | null;
  notApplicable: boolean;
}

type PanelVerdict =
  | { kind: 'MISSING' }
  | { kind: 'NOT_APPLICABLE'; round: Round }
  | { kind: 'SCORED'; round: Round; points: Ratio };

/**
 * The panel's verdict on one EXPERT leaf for one unit. An entry counts when
 * it marks the leaf not applicable or gives points. In the latest round with
 * such an entry: if every counting entry marks the leaf not applicable, the
 * leaf is not applicable; otherwise the points of the others are combined.
 */
function panelVerdict(entries: readonly PanelEntry[], aggregation: Aggregation): PanelVerdict {
  const counts = (e: PanelEntry) => e.notApplicable || e.points !== null;
  const round = latestRound(entries, counts);
  if (round === null) return { kind: 'MISSING' };
  const points = entries
    .filter((e) => e.round === round && !e.notApplicable && e.points !== null)
    .map((e) => e.points as Ratio);
  if (points.length === 0) return { kind: 'NOT_APPLICABLE', round };
  return { kind: 'SCORED', round, points: aggregate(points, aggregation) };
}

/**
 * A bonus or a penalty: taken from the latest round in which some panelist
 * gave a value for it, the values of that round combined. Null when no
 * round gives one.
 */
function adjustmentVerdict(
  entries: readonly { round: Round; value: Ratio | null }[],
  aggregation: Aggregation,
): { round: Round; value: Ratio } | null {
  const round = latestRound(entries, (e) => e.value !== null);
  if (round === null) return null;
  const values = entries.filter((e) => e.round === round && e.value !== null).map((e) => e.value as Ratio);
  return { round, value: aggregate(values, aggregation) };
}

// ---- decimal.ts ----



/**
 * Reads a figure as it arrives (pg returns `numeric` as a string; a test may
 * write a number) and refuses anything that is not a finite number. `what`
 * names the figure in the error message.
 */
function toDecimal(value: DecimalInput, what = 'value'): Decimal {
  let parsed: Decimal;
  try {
    parsed = new ScoringDecimal(typeof value === 'string' ? value.trim() : value);
  } catch {
    throw new ScoringInputError(`${what} ${JSON.stringify(String(value))} is not a number`);
  }
  if (!parsed.isFinite()) {
    throw new ScoringInputError(`${what} ${String(value)} is not a finite number`);
  }
  return parsed;
}

/** An input figure as an exact fraction. */
function toRatio(value: DecimalInput, what = 'value'): Ratio {
  return fromDecimal(toDecimal(value, what));
}

/** An exact fraction as a Decimal: exact whenever it terminates within 40 digits. */
function ratioToDecimal(a: Ratio): Decimal {
  return new ScoringDecimal(a.n.toString()).div(a.d.toString());
}

/** The published figure of an exact value: rounded half-up to two decimals, once. */
function publish(a: Ratio): Decimal {
  return new ScoringDecimal(roundHalfUpToHundredths(a).toString()).div(100);
}

/**
 * Rounds half-up (half away from zero) to two decimals: the one rounding of
 * every published figure. 92.625 → 92.63; 90.004 and 89.995 → 90.00.
 * Idempotent, so rounding an already published figure changes nothing.
 */
function roundHalfUp2(d: Decimal): Decimal {
  return publish(toRatio(d, 'figure'));
}

// ---- validation.ts ----


/** Panel points, bonus and penalty carry at most this many decimals. */
const MAX_POINT_DECIMALS = 2;

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
function describeInvalidPoints(
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
function describeInvalidAdjustment(
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
function assertValid(problem: string | null): void {
  if (problem !== null) throw new ScoringInputError(problem);
}

/** A count of responses or answers: a non-negative integer. */
function assertCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ScoringInputError(`${what} ${String(value)} is not a non-negative whole number`);
  }
}

// ---- bands.ts ----



/**
 * The band of a score: the first band, highest first, whose minimum the
 * score rounded half-up to 2 decimals reaches (89.995 → 90.00 → EXCELLENT).
 * Null when it reaches none (bands that do not start at 0).
 */
function classify(score: Decimal, bands: readonly BandSpec[]): BandSpec | null {
  const rounded = roundHalfUp2(score);
  const highestFirst = [...bands].sort((a, b) =>
    toDecimal(b.minScore, `minimum of band ${b.code}`).comparedTo(toDecimal(a.minScore, `minimum of band ${a.code}`)),
  );
  return highestFirst.find((band) => rounded.greaterThanOrEqualTo(toDecimal(band.minScore))) ?? null;
}

// ---- index-method.ts ----


/** What a framework says when it says nothing. */
const FRAMEWORK_DEFAULTS = Object.freeze({
  aggregation: 'MEAN' as Aggregation,
  minResponses: 30,
  maxBonus: '0',
  maxPenalty: '0',
});

/**
 * The index of earned over max points: 100 × earned / max, clamped to
 * [0, 100], rounded half-up to two decimals; null when max is 0. The one
 * formula behind the unit's index, its domain indices and its component
 * indices.
 */
function indexOf(earned: Ratio, max: Ratio): Decimal | null {
  if (isZero(max)) return null;
  return publish(clamp(div(mul(HUNDRED, earned), max), ZERO, HUNDRED));
}

interface LeafResult {
  spec: LeafSpec;
  status: LeafStatus;
  earned: Ratio; // contribution: 0 when not applicable
  max: Ratio; // contribution: 0 when not applicable
  round: Round | null;
  selfAssessed: boolean;
}

const applicable = (leaf: LeafResult) => leaf.status === 'SCORED' || leaf.status === 'MISSING';

function expertLeaf(spec: LeafSpec, max: Ratio, entries: PanelEntry[], aggregation: Aggregation): LeafResult {
  const verdict = panelVerdict(entries, aggregation);
  switch (verdict.kind) {
    case 'MISSING':
      return { spec, status: 'MISSING', earned: ZERO, max, round: null, selfAssessed: false };
    case 'NOT_APPLICABLE':
      return {
        spec,
        status: 'NOT_APPLICABLE',
        earned: ZERO,
        max: ZERO,
        round: verdict.round,
        selfAssessed: verdict.round === 'SELF_ASSESSMENT',
      };
    case 'SCORED':
      return {
        spec,
        status: 'SCORED',
        earned: verdict.points,
        max,
        round: verdict.round,
        selfAssessed: verdict.round === 'SELF_ASSESSMENT',
      };
  }
}

/**
 * A SURVEY leaf earns maximum × satisfied / answers, provided at least
 * minResponses responses answered its questions; otherwise it is not
 * applicable (no imputation) and the result is flagged.
 */
function surveyLeaf(spec: LeafSpec, max: Ratio, tally: SurveyTally | undefined, minResponses: number): LeafResult {
  const responses = tally?.responses ?? 0;
  const answers = tally?.answers ?? 0;
  if (responses < minResponses || answers === 0) {
    return { spec, status: 'SURVEY_INSUFFICIENT', earned: ZERO, max: ZERO, round: null, selfAssessed: false };
  }
  const rate = ratio(BigInt(tally?.satisfied ?? 0), BigInt(answers));
  return { spec, status: 'SCORED', earned: mul(max, rate), max, round: null, selfAssessed: false };
}

function checkFramework(framework: FrameworkSpec): Map<string, { spec: LeafSpec; max: Ratio }> {
  const domainCodes = new Set<string>();
  for (const domain of framework.domains) {
    if (domainCodes.has(domain.code)) throw new ScoringInputError(`domain ${domain.code} appears twice`);
    domainCodes.add(domain.code);
  }
  if (framework.aggregation !== 'MEAN' && framework.aggregation !== 'MEDIAN') {
    throw new ScoringInputError(`aggregation ${String(framework.aggregation)} is not MEAN or MEDIAN`);
  }
  assertCount(framework.minResponses, 'minResponses');
  for (const [kind, cap] of [
    ['bonus', framework.maxBonus],
    ['penalty', framework.maxPenalty],
  ] as const) {
    if (toRatio(cap, `${kind} cap`).n < 0n) throw new ScoringInputError(`${kind} cap ${String(cap)} is negative`);
  }
  const leaves = new Map<string, { spec: LeafSpec; max: Ratio }>();
  for (const spec of framework.leaves) {
    if (leaves.has(spec.id)) throw new ScoringInputError(`criterion ${spec.code} (${spec.id}) appears twice`);
    if (!domainCodes.has(spec.domainCode)) {
      throw new ScoringInputError(`criterion ${spec.code} names unknown domain ${spec.domainCode}`);
    }
    if (spec.source !== 'EXPERT' && spec.source !== 'SURVEY') {
      throw new ScoringInputError(`criterion ${spec.code} has unknown source ${String(spec.source)}`);
    }
    const max = toRatio(spec.maxPoints, `maximum of criterion ${spec.code}`);
    if (max.n < 0n) throw new ScoringInputError(`maximum ${String(spec.maxPoints)} of criterion ${spec.code} is negative`);
    leaves.set(spec.id, { spec, max });
  }
  return leaves;
}

function assertRound(round: Round, what: string): void {
  if (!ROUNDS_LATEST_FIRST.includes(round)) {
    throw new ScoringInputError(`${what} has unknown round ${String(round)}; allowed: ${ROUNDS_LATEST_FIRST.join(', ')}`);
  }
}

function leafOf(
  leaves: Map<string, { spec: LeafSpec; max: Ratio }>,
  leafId: string,
  source: LeafSpec['source'],
  what: string,
): { spec: LeafSpec; max: Ratio } {
  const leaf = leaves.get(leafId);
  if (!leaf) throw new ScoringInputError(`${what} names criterion ${leafId}, which is not in the framework`);
  if (leaf.spec.source !== source) {
    throw new ScoringInputError(`${what} for criterion ${leaf.spec.code}, whose source is ${leaf.spec.source}`);
  }
  return leaf;
}

function panelEntriesByLeaf(
  leaves: Map<string, { spec: LeafSpec; max: Ratio }>,
  scores: readonly PanelScore[],
): Map<string, PanelEntry[]> {
  const byLeaf = new Map<string, PanelEntry[]>();
  const seen = new Set<string>();
  for (const score of scores) {
    const { spec } = leafOf(leaves, score.leafId, 'EXPERT', 'a panel score');
    assertRound(score.round, `the score of panelist ${score.panelist} for criterion ${spec.code}`);
    const key = JSON.stringify([score.leafId, score.round, score.panelist]);
    if (seen.has(key)) {
      throw new ScoringInputError(`panelist ${score.panelist} scored criterion ${spec.code} twice in ${score.round}`);
    }
    seen.add(key);
    let points: Ratio | null = null;
    if (score.points !== null && score.points !== undefined && !score.notApplicable) {
      assertValid(describeInvalidPoints(score.points, spec.maxPoints, spec.code));
      points = toRatio(score.points);
    }
    const entries = byLeaf.get(score.leafId) ?? [];
    entries.push({ round: score.round, points, notApplicable: score.notApplicable });
    byLeaf.set(score.leafId, entries);
  }
  return byLeaf;
}

function talliesByLeaf(
  leaves: Map<string, { spec: LeafSpec; max: Ratio }>,
  tallies: readonly SurveyTally[],
): Map<string, SurveyTally> {
  const byLeaf = new Map<string, SurveyTally>();
  for (const tally of tallies) {
    const { spec } = leafOf(leaves, tally.leafId, 'SURVEY', 'a survey tally');
    if (byLeaf.has(tally.leafId)) throw new ScoringInputError(`criterion ${spec.code} has two survey tallies`);
    assertCount(tally.responses, `responses of criterion ${spec.code}`);
    assertCount(tally.answers, `answers of criterion ${spec.code}`);
    assertCount(tally.satisfied, `satisfied answers of criterion ${spec.code}`);
    if (tally.satisfied > tally.answers) {
      throw new ScoringInputError(
        `criterion ${spec.code} has ${tally.satisfied} satisfied answers out of only ${tally.answers} answers`,
      );
    }
    byLeaf.set(tally.leafId, tally);
  }
  return byLeaf;
}

/** Bonus or penalty after the round rule, the aggregation and the cap. */
function adjustment(
  framework: FrameworkSpec,
  adjustments: readonly Adjustment[],
  kind: 'bonus' | 'penalty',
): { value: Ratio; round: Round | null } {
  const entries = adjustments.map((a) => {
    const given = a[kind];
    if (given === null || given === undefined) return { round: a.round, value: null };
    assertValid(describeInvalidAdjustment(kind, given));
    return { round: a.round, value: toRatio(given) };
  });
  const verdict = adjustmentVerdict(entries, framework.aggregation);
  if (verdict === null) return { value: ZERO, round: null };
  const cap = toRatio(kind === 'bonus' ? framework.maxBonus : framework.maxPenalty);
  return { value: min(verdict.value, cap), round: verdict.round };
}

function checkAdjustments(adjustments: readonly Adjustment[]): void {
  const seen = new Set<string>();
  for (const a of adjustments) {
    assertRound(a.round, `the adjustment of panelist ${a.panelist}`);
    const key = JSON.stringify([a.round, a.panelist]);
    if (seen.has(key)) throw new ScoringInputError(`panelist ${a.panelist} gave two adjustments in ${a.round}`);
    seen.add(key);
  }
}

/**
 * The index of one unit in one year under one framework (DOMAIN.md, "The
 * index"):
 *
 *     earned = Σ earned points of applicable leaves + bonus − penalty
 *     max    = Σ maximum points of applicable leaves
 *     index  = 100 × earned / max, clamped to [0, 100]
 *
 * with domain and component (expert, survey) indices as the same ratio
 * without bonus and penalty. Exact throughout; each published figure is
 * rounded half-up to two decimals once, at the end. Pure: refuses invalid
 * figures with a ScoringInputError, never clips them.
 */
export function referenceComputeUnitResult(framework: FrameworkSpec, input: UnitInput): UnitOutcome {
  const leafSpecs = checkFramework(framework);
  const panel = panelEntriesByLeaf(leafSpecs, input.panelScores);
  const tallies = talliesByLeaf(leafSpecs, input.surveyTallies);
  checkAdjustments(input.adjustments);

  const leaves = [...leafSpecs.values()].map(({ spec, max }) =>
    spec.source === 'EXPERT'
      ? expertLeaf(spec, max, panel.get(spec.id) ?? [], framework.aggregation)
      : surveyLeaf(spec, max, tallies.get(spec.id), framework.minResponses),
  );
  const bonus = adjustment(framework, input.adjustments, 'bonus');
  const penalty = adjustment(framework, input.adjustments, 'penalty');

  const totals = (selected: LeafResult[]) => ({
    earned: sum(selected.filter(applicable).map((l) => l.earned)),
    max: sum(selected.filter(applicable).map((l) => l.max)),
  });
  const all = totals(leaves);
  const earned = sub(add(all.earned, bonus.value), penalty.value);
  const expert = totals(leaves.filter((l) => l.spec.source === 'EXPERT'));
  const survey = totals(leaves.filter((l) => l.spec.source === 'SURVEY'));
  const score = indexOf(earned, all.max) ?? publish(ZERO);

  return {
    earned: ratioToDecimal(earned),
    max: ratioToDecimal(all.max),
    score,
    expertScore: indexOf(expert.earned, expert.max),
    surveyScore: indexOf(survey.earned, survey.max),
    bonus: ratioToDecimal(bonus.value),
    penalty: ratioToDecimal(penalty.value),
    domains: framework.domains.map((domain) => {
      const d = totals(leaves.filter((l) => l.spec.domainCode === domain.code));
      return {
        code: domain.code,
        name: domain.name,
        earned: ratioToDecimal(d.earned),
        max: ratioToDecimal(d.max),
        score: indexOf(d.earned, d.max),
      };
    }),
    band: classify(score, framework.bands),
    provisional:
      leaves.some((l) => l.status === 'MISSING' || l.selfAssessed) ||
      bonus.round === 'SELF_ASSESSMENT' ||
      penalty.round === 'SELF_ASSESSMENT',
    surveyInsufficient: leaves.some((l) => l.status === 'SURVEY_INSUFFICIENT'),
    leaves: leaves.map(
      (l): LeafOutcome => ({
        leafId: l.spec.id,
        code: l.spec.code,
        source: l.spec.source,
        status: l.status,
        applicable: applicable(l),
        earned: ratioToDecimal(l.earned),
        max: ratioToDecimal(l.max),
        round: l.round,
      }),
    ),
  };
}
