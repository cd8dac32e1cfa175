import { Field, Float, Int, ObjectType } from 'type-graphql';
import { roundHalfUp2, toDecimal } from '../../scoring';
import type { BandRow, DomainResultRow, ResultRow } from '../../results/ranking.service';
import { rankChange } from '../../scoring';
import { BandType } from './cycle.type';
import { PageInfo } from './page-info.type';

@ObjectType('DomainResult', { description: "A unit's index in one domain, ranked among the cycle's units." })
export class DomainResultType {
  @Field() code: string;
  @Field() name: string;
  @Field(() => Float, { description: '0 when no leaf of the domain applies to the unit.' }) score: number;
  @Field(() => Float) earnedPoints: number;
  @Field(() => Float) maxPoints: number;
  @Field(() => Int) rank: number;
}

@ObjectType('IndexResult', { description: "A unit's index for a year: stored, recomputed as data arrive, frozen on publication." })
export class IndexResultType {
  cycleId: number;
  unitId: number;
  bandCode: string | null;
  @Field(() => Int) year: number;
  @Field(() => Float) score: number;
  @Field(() => Float, { nullable: true }) expertScore: number | null;
  @Field(() => Float, { nullable: true }) surveyScore: number | null;
  @Field(() => Float, { description: 'Rounded half-up to two decimals; bonus and penalty included.' }) earnedPoints: number;
  @Field(() => Float) maxPoints: number;
  @Field(() => Int) rank: number;
  @Field(() => Int, { nullable: true, description: "Rank in the previous year's ranking of the same kind." }) previousRank: number | null;
  @Field(() => Int, { nullable: true, description: 'previousRank − rank: positive when the unit moved up.' }) rankChange: number | null;
  @Field(() => Int, { description: 'Survey responses of the year counted for the unit (the most on any SURVEY leaf).' }) responses: number;
  @Field() surveyInsufficient: boolean;
  @Field() provisional: boolean;
  @Field() published: boolean;
}

@ObjectType('RankingEdge')
export class RankingEdgeType {
  @Field() cursor: string;
  @Field(() => Int) rank: number;
  @Field(() => Float) score: number;
  @Field(() => IndexResultType) node: IndexResultType;
}

@ObjectType('BandCount')
export class BandCountType {
  @Field(() => BandType) band: BandType;
  @Field(() => Int) count: number;
}

@ObjectType('RankingSummary')
export class RankingSummaryType {
  @Field(() => Int) count: number;
  @Field(() => Float, { nullable: true, description: 'Average of the rounded indices, rounded half-up.' }) average: number | null;
  @Field(() => IndexResultType, { nullable: true }) highest: IndexResultType | null;
  @Field(() => IndexResultType, { nullable: true }) lowest: IndexResultType | null;
  @Field(() => [BandCountType]) bands: BandCountType[];
}

@ObjectType('RankingConnection')
export class RankingConnectionType {
  @Field(() => [RankingEdgeType]) edges: RankingEdgeType[];
  @Field(() => PageInfo) pageInfo: PageInfo;
  @Field(() => Int) totalCount: number;
  @Field(() => RankingSummaryType) summary: RankingSummaryType;
}

/** Stored numeric strings become Floats only here, at the edge. */
const num = (v: string | null): number | null => (v === null ? null : Number(v));
const points = (v: string): number => roundHalfUp2(toDecimal(v)).toNumber();

export function toIndexResultType(r: ResultRow): IndexResultType {
  return {
    cycleId: r.cycle_id, unitId: r.unit_id, bandCode: r.band_code, year: r.year,
    score: Number(r.score), expertScore: num(r.expert_score), surveyScore: num(r.survey_score),
    earnedPoints: points(r.earned_points), maxPoints: points(r.max_points),
    rank: r.rank, previousRank: r.previous_rank, rankChange: rankChange(r.previous_rank, r.rank),
    responses: r.responses, surveyInsufficient: r.survey_insufficient, provisional: r.provisional, published: r.published,
  };
}

export function toDomainResultType(d: DomainResultRow): DomainResultType {
  return {
    code: d.code, name: d.name, score: d.score === null ? 0 : Number(d.score),
    earnedPoints: points(d.earned_points), maxPoints: points(d.max_points), rank: d.rank ?? 0,
  };
}

export function toBandType(b: BandRow): BandType {
  return { code: b.code, label: b.label, minScore: Number(b.min_score) };
}
