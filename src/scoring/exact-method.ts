import type Decimal from 'decimal.js';

import { classify } from './bands';
import { publish, ratioToDecimal, toRatio } from './decimal';
import { ScoringInputError } from './errors';
import { adjustmentVerdict, type PanelEntry, panelVerdict, ROUNDS_LATEST_FIRST } from './panel';
import {
  add,
  clamp,
  div,
  HUNDRED,
  isZero,
  min,
  mul,
  type Ratio,
  ratio,
  sub,
  sum,
  ZERO,
} from './ratio';
import type {
  Adjustment,
  Aggregation,
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

/** What a framework says when it says nothing. */
export const FRAMEWORK_DEFAULTS = Object.freeze({
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

export function checkFramework(framework: FrameworkSpec): Map<string, { spec: LeafSpec; max: Ratio }> {
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

export function assertRound(round: Round, what: string): void {
  if (!ROUNDS_LATEST_FIRST.includes(round)) {
    throw new ScoringInputError(`${what} has unknown round ${String(round)}; allowed: ${ROUNDS_LATEST_FIRST.join(', ')}`);
  }
}

export function leafOf(
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
export function adjustment(
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

export function checkAdjustments(adjustments: readonly Adjustment[]): void {
  const seen = new Set<string>();
  for (const a of adjustments) {
    assertRound(a.round, `the adjustment of panelist ${a.panelist}`);
    const key = JSON.stringify([a.round, a.panelist]);
    if (seen.has(key)) throw new ScoringInputError(`panelist ${a.panelist} gave two adjustments in ${a.round}`);
    seen.add(key);
  }
}

/**
 * The straightforward form of the method, on BigInt fractions throughout.
 * computeUnitResult (index-method.ts) runs a faster form with the same
 * results and falls back to this one for frameworks it does not handle
 * (a leaf maximum with more than two decimals). Also the yardstick of the
 * tests that compare both.
 *
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
export function computeUnitResultExact(framework: FrameworkSpec, input: UnitInput): UnitOutcome {
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
  // No applicable leaf: no index, so no band.
  const score = indexOf(earned, all.max);

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
    band: score === null ? null : classify(score, framework.bands),
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
