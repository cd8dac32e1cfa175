import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { BandRef, UnitSensitivityRow, WhatIfResult, YearSummaryRow } from '../../analysis/analysis.service';
import type { ExplanationRow, LeafExplanationRow } from '../../analysis/explanation';
import type { Context } from '../../context';
import { toUnitType } from '../mappers';
import { BandType } from './cycle.type';
import { CriterionSource, ScoreRound, UnitKind } from './enums';
import { IndexResultType, toDomainResultType, toIndexResultType } from './result.type';
import { UnitType } from './unit.type';

@ObjectType('BandShare', { simpleResolvers: true })
export class BandShareType {
  @Field(() => BandType) band: BandType;
  @Field(() => Float, { description: 'The share of the draws in which the unit reached this band, 0 to 1.' }) share: number;
}

@ObjectType('UnitSensitivity', { simpleResolvers: true, description: "How a unit's rank moves when the weighting does." })
export class UnitSensitivityType {
  unitId: number;
  @Field(() => UnitType) unit: UnitType | ((args: unknown, ctx: Context) => Promise<UnitType>);
  @Field(() => Int, { description: 'Its stored rank (under the framework as defined).' }) rank: number;
  @Field(() => Float) medianRank: number;
  @Field(() => Int, { description: 'The 5th percentile of its ranks over the draws (nearest rank): its best usual place.' }) rankLow: number;
  @Field(() => Int, { description: 'The 95th percentile of its ranks over the draws (nearest rank).' }) rankHigh: number;
  @Field(() => [BandShareType], { description: "Every band of the framework, in the framework's order." }) bandShares: BandShareType[];
}

@ObjectType('YearSummary', { simpleResolvers: true, description: "A kind's figures in one year: the line a portal draws over the years." })
export class YearSummaryType {
  @Field(() => Int) year: number;
  @Field(() => UnitKind) unitKind: UnitKind;
  @Field() published: boolean;
  @Field(() => Int, { description: 'Units with an index that year.' }) count: number;
  @Field(() => Float, { nullable: true, description: 'Average of the rounded indices, rounded half-up (the ranking summary’s rule).' }) average: number | null;
  @Field(() => Float, { nullable: true }) highest: number | null;
  @Field(() => Float, { nullable: true }) lowest: number | null;
}

@ObjectType('LeafExplanation', { simpleResolvers: true, description: 'One leaf of the framework for the unit: exact figures as decimal strings.' })
export class LeafExplanationType {
  @Field() criterionCode: string;
  @Field() domainCode: string;
  @Field(() => CriterionSource) source: CriterionSource;
  @Field(() => Float) maxPoints: number;
  @Field({ description: 'Whether the leaf counts in the earned and maximum points (not applicable, or a SURVEY leaf below minResponses: it does not).' }) applicable: boolean;
  @Field(() => ScoreRound, { nullable: true, description: 'The panel round used; null for SURVEY leaves and leaves never scored.' }) round: ScoreRound | null;
  @Field(() => [Float], { description: "The panelists' points combined into the leaf (the round used, not marked not applicable)." }) panelPoints: number[];
  @Field(() => Int, { nullable: true, description: "SURVEY leaves: answers to the leaf's questions." }) answers: number | null;
  @Field(() => Int, { nullable: true, description: 'SURVEY leaves: satisfied answers among them.' }) satisfied: number | null;
  @Field({ description: 'Exact (40 significant digits when it does not terminate); 0 when not applicable.' }) earnedPoints: string;
}

@ObjectType('Explanation', { simpleResolvers: true, description: "How the unit's index comes out of its leaves: the leaves add up to earnedPoints (with bonus − penalty), and 100 × earnedPoints / applicableMaxPoints, clamped to [0, 100], is rawIndex, which rounded half-up is the score." })
export class ExplanationType {
  @Field(() => Float) score: number;
  @Field() rawIndex: string;
  @Field() earnedPoints: string;
  @Field() applicableMaxPoints: string;
  @Field() bonus: string;
  @Field() penalty: string;
  @Field(() => [LeafExplanationType]) leaves: LeafExplanationType[];
}

const toLeaf = (l: LeafExplanationRow): LeafExplanationType => ({
  criterionCode: l.criterionCode, domainCode: l.domainCode, source: l.source as CriterionSource, maxPoints: Number(l.maxPoints),
  applicable: l.applicable, round: l.round as ScoreRound | null, panelPoints: l.panelPoints.map(Number),
  answers: l.answers, satisfied: l.satisfied, earnedPoints: l.earnedPoints,
});

export function toExplanationType(e: ExplanationRow): ExplanationType {
  return {
    score: Number(e.score), rawIndex: e.rawIndex, earnedPoints: e.earnedPoints, applicableMaxPoints: e.applicableMaxPoints,
    bonus: e.bonus, penalty: e.penalty, leaves: e.leaves.map(toLeaf),
  };
}

/** A what-if's explanation travels with its result (nothing stored to explain). */
export const WHAT_IF_EXPLANATION = Symbol('whatIfExplanation');

const num = (v: string | null): number | null => (v === null ? null : Number(v));
const toBand = (b: BandRef): BandType => ({ code: b.code, label: b.label, minScore: Number(b.minScore) });

export function toUnitSensitivityType(r: UnitSensitivityRow): UnitSensitivityType {
  const unitId = r.unitId;
  return {
    unitId, rank: r.rank, medianRank: r.medianRank, rankLow: r.rankLow, rankHigh: r.rankHigh,
    unit: (_args: unknown, ctx: Context) => ctx.loaders.unitById.load(unitId).then((u) => toUnitType(u!)),
    bandShares: r.bandShares.map((s) => ({ band: toBand(s.band), share: s.share })),
  };
}

export function toYearSummaryType(r: YearSummaryRow): YearSummaryType {
  return { year: r.year, unitKind: r.unitKind, published: r.published, count: r.count, average: num(r.average), highest: num(r.highest), lowest: num(r.lowest) };
}

/** A what-if as an IndexResult: its figures and domain ranks computed, not stored. */
export function toWhatIfResultType(r: WhatIfResult): IndexResultType {
  return { ...toIndexResultType(r.row), domains: r.domains.map(toDomainResultType), [WHAT_IF_EXPLANATION]: r.explanation } as IndexResultType;
}
