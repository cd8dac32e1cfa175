import type Decimal from 'decimal.js';

import { classify } from './bands';
import { ratioToDecimal, toRatio } from './decimal';
import { ScoringInputError } from './errors';
import { centsDecimal } from './fast-number';
import type { Kernel } from './kernel';
import { latestRank, PanelEntry, panelPoints, ROUND_OF_RANK, ROUNDS_LATEST_FIRST, roundRank, combine } from './panel';
import { cmp, type Ratio } from './ratio';
import type {
  Adjustment,
  Aggregation,
  BandSpec,
  DecimalInput,
  DomainOutcome,
  FrameworkSpec,
  LeafOutcome,
  LeafSpec,
  LeafStatus,
  PanelScore,
  Round,
  SurveyTally,
  UnitInput,
  UnitOutcome,
} from './types';
import { assertCount, assertValid, describeInvalidAdjustment, describeInvalidPoints } from './validation';

/*
 * The index method (DOMAIN.md, "The index"), its phases written once over an
 * arithmetic kernel (kernel.ts):
 *
 *   1. the framework, checked and prepared once (checkFramework);
 *   2. the unit's inputs, checked in input order: panel scores (criterion,
 *      round, duplicates, points), survey tallies, adjustments (rounds,
 *      duplicates, then every bonus, then every penalty);
 *   3. per EXPERT leaf, the round used and the panelists' points combined
 *      (panel.ts); per SURVEY leaf, the survey rule;
 *   4. bonus and penalty: the same round rule and combination, then the caps;
 *   5. totals, domain and component (expert, survey) sums, the indices
 *      (clamped, rounded half-up once), the band and the flags.
 *
 * The kernels differ only in their arithmetic, so the figures, refusals and
 * messages are the same whichever computes a unit.
 */

/** What a framework says when it says nothing. */
export const FRAMEWORK_DEFAULTS = Object.freeze({
  aggregation: 'MEAN' as Aggregation,
  minResponses: 30,
  maxBonus: '0',
  maxPenalty: '0',
});

/** A leaf of a checked framework. */
export interface MethodLeaf {
  readonly spec: LeafSpec;
  readonly id: string;
  readonly code: string;
  readonly expert: boolean;
  /** Index of the leaf's domain in the framework's domains. */
  readonly domain: number;
  readonly max: Ratio;
  /** The published maximum. */
  readonly maxDecimal: Decimal;
}

interface MethodBand {
  readonly band: BandSpec;
  /** The least rounded score, in hundredths, that reaches the band. */
  readonly min: number;
}

/** A framework checked and read exactly once, for any kernel. */
export interface MethodFramework {
  readonly spec: FrameworkSpec;
  /** In framework order. */
  readonly leaves: readonly MethodLeaf[];
  readonly leafIndex: ReadonlyMap<string, number>;
  readonly median: boolean;
  readonly minResponses: number;
  readonly maxBonus: Ratio;
  readonly maxPenalty: Ratio;
  /** Highest first, as classify orders them; null when classify must run (it then refuses a band). */
  readonly bands: readonly MethodBand[] | null;
}

/** A framework's figures in one kernel's form. */
export interface KernelFigures<V> {
  /** Per leaf, in framework order. */
  readonly max: readonly V[];
  readonly maxBonus: V;
  readonly maxPenalty: V;
}

function methodBands(bands: readonly BandSpec[]): MethodBand[] | null {
  try {
    const withMin = bands.map((band) => ({ band, min: toRatio(band.minScore) }));
    // Stable sort, highest first: the order classify gives.
    withMin.sort((a, b) => cmp(b.min, a.min));
    return withMin.map(({ band, min }) => {
      // ceil(min × 100): a rounded score in hundredths reaches min iff it reaches this.
      const scaled = min.n * 100n;
      let c = scaled / min.d;
      if (c * min.d < scaled) c += 1n;
      return { band, min: c > 1_000_000n ? Infinity : c < -1_000_000n ? -Infinity : Number(c) };
    });
  } catch {
    return null;
  }
}

/** Checks a framework (ScoringInputError naming what is wrong) and reads its figures exactly. */
export function checkFramework(framework: FrameworkSpec): MethodFramework {
  const domainIndex = new Map<string, number>();
  framework.domains.forEach((domain, i) => {
    if (domainIndex.has(domain.code)) throw new ScoringInputError(`domain ${domain.code} appears twice`);
    domainIndex.set(domain.code, i);
  });
  if (framework.aggregation !== 'MEAN' && framework.aggregation !== 'MEDIAN') {
    throw new ScoringInputError(`aggregation ${String(framework.aggregation)} is not MEAN or MEDIAN`);
  }
  assertCount(framework.minResponses, 'minResponses');
  const cap = (kind: 'bonus' | 'penalty', given: DecimalInput): Ratio => {
    const value = toRatio(given, `${kind} cap`);
    if (value.n < 0n) throw new ScoringInputError(`${kind} cap ${String(given)} is negative`);
    return value;
  };
  const maxBonus = cap('bonus', framework.maxBonus);
  const maxPenalty = cap('penalty', framework.maxPenalty);
  const leaves: MethodLeaf[] = [];
  const leafIndex = new Map<string, number>();
  for (const spec of framework.leaves) {
    if (leafIndex.has(spec.id)) throw new ScoringInputError(`criterion ${spec.code} (${spec.id}) appears twice`);
    const domain = domainIndex.get(spec.domainCode);
    if (domain === undefined) throw new ScoringInputError(`criterion ${spec.code} names unknown domain ${spec.domainCode}`);
    if (spec.source !== 'EXPERT' && spec.source !== 'SURVEY') {
      throw new ScoringInputError(`criterion ${spec.code} has unknown source ${String(spec.source)}`);
    }
    const max = toRatio(spec.maxPoints, `maximum of criterion ${spec.code}`);
    if (max.n < 0n) throw new ScoringInputError(`maximum ${String(spec.maxPoints)} of criterion ${spec.code} is negative`);
    leafIndex.set(spec.id, leaves.length);
    leaves.push({ spec, id: spec.id, code: spec.code, expert: spec.source === 'EXPERT', domain, max, maxDecimal: ratioToDecimal(max) });
  }
  return {
    spec: framework,
    leaves,
    leafIndex,
    median: framework.aggregation === 'MEDIAN',
    minResponses: framework.minResponses,
    maxBonus,
    maxPenalty,
    bands: methodBands(framework.bands),
  };
}

/** The framework's figures in a kernel's form; null when the kernel cannot hold one of them. */
export function kernelFigures<V, S>(K: Kernel<V, S>, f: MethodFramework): KernelFigures<V> | null {
  const max: V[] = [];
  for (const leaf of f.leaves) {
    const v = K.fromRatio(leaf.max);
    if (v === null) return null;
    max.push(v);
  }
  const maxBonus = K.fromRatio(f.maxBonus);
  const maxPenalty = K.fromRatio(f.maxPenalty);
  if (maxBonus === null || maxPenalty === null) return null;
  return { max, maxBonus, maxPenalty };
}

// ---------------------------------------------------------------------------
// Checking a unit's inputs

function assertRound(round: Round, what: string): void {
  if (roundRank(round) < 0) {
    throw new ScoringInputError(`${what} has unknown round ${String(round)}; allowed: ${ROUNDS_LATEST_FIRST.join(', ')}`);
  }
}

/** The leaf an input names, which must be of `source`; throws otherwise. */
function leafOf(f: MethodFramework, leafId: string, source: LeafSpec['source'], what: string): number {
  const index = f.leafIndex.get(leafId);
  if (index === undefined) throw new ScoringInputError(`${what} names criterion ${leafId}, which is not in the framework`);
  const spec = f.leaves[index].spec;
  if (spec.source !== source) throw new ScoringInputError(`${what} for criterion ${spec.code}, whose source is ${spec.source}`);
  return index;
}

/** The duplicate rule: same round and panelist, as JSON.stringify sees them. */
function samePanelist(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return JSON.stringify([a]) === JSON.stringify([b]);
}

/** Points as given, read by the kernel: plainly when it can, else after the validation functions accepted them. */
function readPoints<V, S>(K: Kernel<V, S>, points: DecimalInput, leaf: MethodLeaf, max: V): V {
  const plain = K.readPlain(points, max);
  if (plain !== null) return plain;
  assertValid(describeInvalidPoints(points, leaf.spec.maxPoints, leaf.code));
  return K.read(points);
}

/** Each EXPERT leaf's panel entries (by leaf index), checked in input order. */
function panelEntries<V, S>(
  K: Kernel<V, S>,
  f: MethodFramework,
  figures: KernelFigures<V>,
  scores: readonly PanelScore[],
): (PanelEntry<V> | undefined)[] {
  const entries: (PanelEntry<V> | undefined)[] = new Array(f.leaves.length);
  for (const score of scores) {
    let index = f.leafIndex.get(score.leafId);
    if (index === undefined || !f.leaves[index].expert) index = leafOf(f, score.leafId, 'EXPERT', 'a panel score');
    const leaf = f.leaves[index];
    const rank = roundRank(score.round);
    if (rank < 0) assertRound(score.round, `the score of panelist ${score.panelist} for criterion ${leaf.code}`);
    const previous = entries[index];
    for (let e = previous; e !== undefined; e = e.next) {
      if (e.rank === rank && samePanelist(e.panelist, score.panelist)) {
        throw new ScoringInputError(`panelist ${score.panelist} scored criterion ${leaf.code} twice in ${score.round}`);
      }
    }
    const notApplicable = !!score.notApplicable;
    const points = score.points;
    const value = points === null || points === undefined || notApplicable ? null : readPoints(K, points, leaf, figures.max[index]);
    entries[index] = new PanelEntry(rank, score.panelist, value, notApplicable, previous);
  }
  return entries;
}

/** Each SURVEY leaf's tally (by leaf index), checked in input order. */
function surveyTallies(f: MethodFramework, tallies: readonly SurveyTally[]): (SurveyTally | undefined)[] {
  const byLeaf: (SurveyTally | undefined)[] = new Array(f.leaves.length);
  for (const tally of tallies) {
    let index = f.leafIndex.get(tally.leafId);
    if (index === undefined || f.leaves[index].expert) index = leafOf(f, tally.leafId, 'SURVEY', 'a survey tally');
    const code = f.leaves[index].code;
    if (byLeaf[index] !== undefined) throw new ScoringInputError(`criterion ${code} has two survey tallies`);
    assertCount(tally.responses, `responses of criterion ${code}`);
    assertCount(tally.answers, `answers of criterion ${code}`);
    assertCount(tally.satisfied, `satisfied answers of criterion ${code}`);
    if (tally.satisfied > tally.answers) {
      throw new ScoringInputError(`criterion ${code} has ${tally.satisfied} satisfied answers out of only ${tally.answers} answers`);
    }
    byLeaf[index] = tally;
  }
  return byLeaf;
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

// ---------------------------------------------------------------------------
// Bonus and penalty

interface Adjusted<V> {
  value: V;
  round: Round | null;
}

/**
 * The bonus or the penalty: every given value read (and refused) in input
 * order; taken from the latest round in which some panelist gave one, the
 * values of that round combined as panel points are; then at most the cap.
 */
function adjustment<V, S>(
  K: Kernel<V, S>,
  f: MethodFramework,
  cap: V,
  adjustments: readonly Adjustment[],
  kind: 'bonus' | 'penalty',
): Adjusted<V> {
  const values: (V | null)[] = new Array(adjustments.length);
  let best = -1;
  for (let i = 0; i < adjustments.length; i++) {
    const given = adjustments[i][kind];
    if (given === null || given === undefined) {
      values[i] = null;
      continue;
    }
    let value = K.readPlain(given, null);
    if (value === null) {
      assertValid(describeInvalidAdjustment(kind, given));
      value = K.read(given);
    }
    values[i] = value;
    best = Math.max(best, roundRank(adjustments[i].round));
  }
  if (best < 0) return { value: K.zero, round: null };
  const chosen: V[] = [];
  for (let i = 0; i < adjustments.length; i++) {
    if (values[i] !== null && roundRank(adjustments[i].round) === best) chosen.push(values[i] as V);
  }
  const value = combine(K, chosen, f.median);
  return { value: K.compare(value, cap) <= 0 ? value : cap, round: ROUND_OF_RANK[best] };
}

// ---------------------------------------------------------------------------
// What a leaf's figure was made from

/** One panel score of a leaf as the method read it. */
export interface PanelInput {
  panelist: string;
  round: Round;
  /** Null when none were given or the panelist marked the leaf not applicable. */
  points: Decimal | null;
  notApplicable: boolean;
  /** Combined into the leaf's earned points: in the round used, with points, not marked not applicable. */
  counted: boolean;
}

/**
 * What a leaf's figure rests on, beside what LeafOutcome says (status,
 * applicable, round used, earned and maximum points).
 */
export interface LeafInputs {
  /** EXPERT leaves: every panel score of the leaf, in input order (any round); empty for SURVEY leaves. */
  panel: PanelInput[];
  /**
   * SURVEY leaves: the tally the rule read (zeros without one) and the
   * framework's minResponses; the leaf earns max × satisfied / answers when
   * responses ≥ minResponses and answers > 0. Null for EXPERT leaves.
   */
  survey: { responses: number; answers: number; satisfied: number; minResponses: number } | null;
}

const TRACE = Symbol('UnitTrace');

/** A leaf's status and round, packed: status × 4 + round rank + 1. */
const STATUSES: readonly LeafStatus[] = ['SCORED', 'NOT_APPLICABLE', 'MISSING', 'SURVEY_INSUFFICIENT'];
const SCORED = 0;
const NOT_APPLICABLE = 4;
const MISSING = 8;
const SURVEY_INSUFFICIENT = 12;

const ZERO_DECIMAL = centsDecimal(0);

/**
 * What the phases kept of one unit, per leaf: its status, the round used and
 * its exact earned points in the kernel's form, with the inputs they came
 * from. The outcome's `leaves` are made from it when first read (most
 * callers never read them), and leafInputs reads it back through a leaf.
 * One object per unit, shared by its leaves; its fields are private, so the
 * leaves' own properties stay what LeafOutcome lists.
 */
class UnitTrace<V, S> {
  readonly #kernel: Kernel<V, S>;
  readonly #framework: MethodFramework;
  readonly #figures: KernelFigures<V>;
  readonly #input: UnitInput;
  readonly #codes: readonly number[];
  readonly #earned: readonly (V | null)[];

  constructor(
    kernel: Kernel<V, S>,
    framework: MethodFramework,
    figures: KernelFigures<V>,
    input: UnitInput,
    codes: readonly number[],
    earned: readonly (V | null)[],
  ) {
    this.#kernel = kernel;
    this.#framework = framework;
    this.#figures = figures;
    this.#input = input;
    this.#codes = codes;
    this.#earned = earned;
  }

  /** The outcome's leaves, in framework order. */
  leaves(): LeafOutcome[] {
    const K = this.#kernel;
    return this.#framework.leaves.map((leaf, i): LeafOutcome => {
      const code = this.#codes[i];
      const status = STATUSES[code >> 2];
      const rank = (code & 3) - 1;
      const applicable = status === 'SCORED' || status === 'MISSING';
      const earned = this.#earned[i];
      return {
        leafId: leaf.id,
        code: leaf.code,
        source: leaf.spec.source,
        status,
        applicable,
        earned: earned === null ? ZERO_DECIMAL : K.decimal(earned),
        max: applicable ? leaf.maxDecimal : ZERO_DECIMAL,
        round: rank < 0 ? null : ROUND_OF_RANK[rank],
        [TRACE]: this,
      } as LeafOutcome;
    });
  }

  inputsOf(leaf: LeafOutcome): LeafInputs | null {
    const K = this.#kernel;
    const f = this.#framework;
    const index = f.leafIndex.get(leaf.leafId);
    if (index === undefined) return null;
    const spec = f.leaves[index];
    if (!spec.expert) {
      const tally = this.#input.surveyTallies.find((t) => t.leafId === leaf.leafId);
      return {
        panel: [],
        survey: {
          responses: tally?.responses ?? 0,
          answers: tally?.answers ?? 0,
          satisfied: tally?.satisfied ?? 0,
          minResponses: f.minResponses,
        },
      };
    }
    const code = this.#codes[index];
    const rank = (code & 3) - 1;
    const panel = this.#input.panelScores
      .filter((s) => s.leafId === leaf.leafId)
      .map((s): PanelInput => {
        const notApplicable = !!s.notApplicable;
        const given = s.points === null || s.points === undefined || notApplicable ? null : s.points;
        return {
          panelist: s.panelist,
          round: s.round,
          points: given === null ? null : K.decimal(readPoints(K, given, spec, this.#figures.max[index])),
          notApplicable,
          counted: code >> 2 === SCORED >> 2 && given !== null && roundRank(s.round) === rank,
        };
      });
    return { panel, survey: null };
  }
}

/**
 * What a leaf of an outcome of computeUnitResult (or computeUnitResultExact)
 * was computed from: the panel scores with their points as read and which of
 * them were combined into its earned points, or the survey counts. Null for
 * a leaf that did not come from the method. Reads the UnitInput the outcome
 * was computed from: do not change it in between.
 */
export function leafInputs(leaf: LeafOutcome): LeafInputs | null {
  const trace = (leaf as { [TRACE]?: unknown })[TRACE];
  return trace instanceof UnitTrace ? trace.inputsOf(leaf) : null;
}

// ---------------------------------------------------------------------------
// The unit

/** 100 × earned / max, clamped to [0, 100], rounded half-up, in hundredths; null when max is 0 (no index). */
function indexOf<V, S>(K: Kernel<V, S>, earned: S, max: V): number | null {
  return K.isZero(max) ? null : K.index(earned, max);
}

/** A published index: hundredths as a Decimal (shared between units). */
function published(hundredths: number | null): Decimal | null {
  return hundredths === null ? null : centsDecimal(hundredths);
}

/**
 * The outcome of one unit under a checked framework, computed with kernel K
 * (whose form of the framework's figures is `figures`). Throws
 * ScoringInputError for inputs the method refuses, and whatever K throws
 * when a figure leaves its range (the CENTS kernel's OVERFLOW).
 */
export function computeOutcome<V, S>(K: Kernel<V, S>, f: MethodFramework, figures: KernelFigures<V>, input: UnitInput): UnitOutcome {
  const framework = f.spec;
  const leaves = f.leaves;
  const count = leaves.length;

  // 2. The inputs, checked in the order they are read.
  const entries = panelEntries(K, f, figures, input.panelScores);
  const tallies = surveyTallies(f, input.surveyTallies);
  checkAdjustments(input.adjustments);
  // 4. Bonus and penalty (read before the leaves, so that their refusals come first).
  const none: Adjusted<V> = { value: K.zero, round: null };
  const bonus = input.adjustments.length === 0 ? none : adjustment(K, f, figures.maxBonus, input.adjustments, 'bonus');
  const penalty = input.adjustments.length === 0 ? none : adjustment(K, f, figures.maxPenalty, input.adjustments, 'penalty');

  // 3. The leaves, summed by domain and by component.
  const domainCount = framework.domains.length;
  const domainEarned: S[] = new Array(domainCount);
  const domainMax: V[] = new Array(domainCount);
  for (let i = 0; i < domainCount; i++) {
    domainEarned[i] = K.sum();
    domainMax[i] = K.zero;
  }
  const expertEarned = K.sum();
  const surveyEarned = K.sum();
  let expertMax = K.zero;
  let surveyMax = K.zero;
  let provisional = bonus.round === 'SELF_ASSESSMENT' || penalty.round === 'SELF_ASSESSMENT';
  let surveyInsufficient = false;
  // Per leaf, what the outcome's leaves are made of: status and round (packed), earned points (null: none).
  const codes: number[] = new Array(count);
  const earnedOf: (V | null)[] = new Array(count);

  for (let i = 0; i < count; i++) {
    const leaf = leaves[i];
    const max = figures.max[i];
    let earned: V;
    earnedOf[i] = null;
    if (leaf.expert) {
      const list = entries[i];
      const rank = latestRank(list);
      if (rank < 0) {
        // No score in any round: earns 0, stays in the maximum, and the result is provisional.
        provisional = true;
        expertMax = K.add(expertMax, max);
        domainMax[leaf.domain] = K.add(domainMax[leaf.domain], max);
        codes[i] = MISSING;
        continue;
      }
      if (rank === 0) provisional = true;
      const points = panelPoints(K, list, rank, f.median);
      if (points === null) {
        codes[i] = NOT_APPLICABLE + rank + 1;
        continue;
      }
      codes[i] = SCORED + rank + 1;
      earned = points;
      K.accumulate(expertEarned, earned, 1);
      expertMax = K.add(expertMax, max);
    } else {
      // A SURVEY leaf earns max × satisfied / answers when at least minResponses responses answered
      // its questions; otherwise it is not applicable (no imputation) and the result is flagged.
      const tally = tallies[i];
      const responses = tally?.responses ?? 0;
      const answers = tally?.answers ?? 0;
      if (responses < f.minResponses || answers === 0) {
        surveyInsufficient = true;
        codes[i] = SURVEY_INSUFFICIENT;
        continue;
      }
      codes[i] = SCORED;
      earned = K.share(max, (tally as SurveyTally).satisfied, answers);
      K.accumulate(surveyEarned, earned, 1);
      surveyMax = K.add(surveyMax, max);
    }
    earnedOf[i] = earned;
    K.accumulate(domainEarned[leaf.domain], earned, 1);
    domainMax[leaf.domain] = K.add(domainMax[leaf.domain], max);
  }

  // 5. Totals: earned = Σ applicable leaves + bonus − penalty; max = Σ applicable maxima.
  const earned = K.sum();
  K.merge(earned, expertEarned);
  K.merge(earned, surveyEarned);
  K.accumulate(earned, bonus.value, 1);
  K.accumulate(earned, penalty.value, -1);
  const max = K.add(expertMax, surveyMax);
  const scoreHundredths = indexOf(K, earned, max);
  const score = published(scoreHundredths);
  // No applicable leaf: no index, so no band (DOMAIN.md, API.md "applicable maximum is 0").
  let band: BandSpec | null = null;
  if (scoreHundredths !== null && score !== null) {
    if (f.bands === null) {
      band = classify(score, framework.bands);
    } else {
      for (const b of f.bands) {
        if (scoreHundredths >= b.min) {
          band = b.band;
          break;
        }
      }
    }
  }

  const domains: DomainOutcome[] = new Array(domainCount);
  for (let i = 0; i < domainCount; i++) {
    const spec = framework.domains[i];
    domains[i] = {
      code: spec.code,
      name: spec.name,
      earned: K.sumDecimal(domainEarned[i]),
      max: K.decimal(domainMax[i]),
      score: published(indexOf(K, domainEarned[i], domainMax[i])),
    };
  }

  const trace = new UnitTrace(K, f, figures, input, codes, earnedOf);
  let shown: LeafOutcome[] | undefined;
  return {
    earned: K.sumDecimal(earned),
    max: K.decimal(max),
    score,
    expertScore: published(indexOf(K, expertEarned, expertMax)),
    surveyScore: published(indexOf(K, surveyEarned, surveyMax)),
    bonus: K.decimal(bonus.value),
    penalty: K.decimal(penalty.value),
    domains,
    band,
    provisional,
    surveyInsufficient,
    // Made when first read: most callers never read the leaves (the index engine does not).
    get leaves(): LeafOutcome[] {
      return (shown ??= trace.leaves());
    },
    set leaves(value: LeafOutcome[]) {
      shown = value;
    },
  };
}
