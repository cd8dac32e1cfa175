import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { BandRef, UnitSensitivityRow, WhatIfResult, YearSummaryRow } from '../../analysis/analysis.service';
import type { Context } from '../../context';
import { toUnitType } from '../mappers';
import { BandType } from './cycle.type';
import { UnitKind } from './enums';
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
  return { ...toIndexResultType(r.row), domains: r.domains.map(toDomainResultType) };
}
