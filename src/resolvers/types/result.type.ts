import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { BandRow, DomainResultRow, RankingPage, ResultRow } from '../../results/ranking.service';
import { rankChange } from '../../scoring';
import { BandType } from './cycle.type';
import { PageInfo } from './page-info.type';
import type { UnitType } from './unit.type';

/*
 * The types of results and rankings are read on the hot path of the
 * portals: their plain fields use graphql-js's default resolver
 * (simpleResolvers), no per-field middleware.
 */

@ObjectType('DomainResult', { simpleResolvers: true, description: "A unit's index in one domain, ranked among the cycle's units." })
export class DomainResultType {
  @Field() code: string;
  @Field() name: string;
  @Field(() => Float, { description: '0 when no leaf of the domain applies to the unit.' }) score: number;
  @Field(() => Float) earnedPoints: number;
  @Field(() => Float) maxPoints: number;
  @Field(() => Int) rank: number;
}

@ObjectType('IndexResult', { simpleResolvers: true, description: "A unit's index for a year: stored, recomputed as data arrive, frozen on publication." })
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
  /** Read with the result (rankings): the field resolvers of unit, band and domains then use these, not the loaders. */
  unit?: UnitType;
  band?: BandType | null;
  domains?: DomainResultType[];
}

@ObjectType('RankingEdge', { simpleResolvers: true })
export class RankingEdgeType {
  @Field() cursor: string;
  @Field(() => Int) rank: number;
  @Field(() => Float) score: number;
  @Field(() => IndexResultType) node: IndexResultType;
}

@ObjectType('BandCount', { simpleResolvers: true })
export class BandCountType {
  @Field(() => BandType) band: BandType;
  @Field(() => Int) count: number;
}

@ObjectType('RankingSummary', { simpleResolvers: true })
export class RankingSummaryType {
  @Field(() => Int) count: number;
  @Field(() => Float, { nullable: true, description: 'Average of the rounded indices, rounded half-up.' }) average: number | null;
  @Field(() => IndexResultType, { nullable: true }) highest: IndexResultType | null;
  @Field(() => IndexResultType, { nullable: true }) lowest: IndexResultType | null;
  @Field(() => [BandCountType]) bands: BandCountType[];
}

@ObjectType('RankingConnection', { simpleResolvers: true })
export class RankingConnectionType {
  @Field(() => [RankingEdgeType]) edges: RankingEdgeType[];
  @Field(() => PageInfo) pageInfo: PageInfo;
  @Field(() => Int) totalCount: number;
  @Field(() => RankingSummaryType) summary: RankingSummaryType;
}

/** Stored numeric strings become Floats only here, at the edge; the reads round them half-up to two decimals. */
const num = (v: string | null): number | null => (v === null ? null : Number(v));

export function toIndexResultType(r: ResultRow): IndexResultType {
  return {
    cycleId: r.cycle_id, unitId: r.unit_id, bandCode: r.band_code, year: r.year,
    score: Number(r.score), expertScore: num(r.expert_score), surveyScore: num(r.survey_score),
    earnedPoints: Number(r.earned_points), maxPoints: Number(r.max_points),
    rank: r.rank, previousRank: r.previous_rank, rankChange: rankChange(r.previous_rank, r.rank),
    responses: r.responses, surveyInsufficient: r.survey_insufficient, provisional: r.provisional, published: r.published,
  };
}

export function toDomainResultType(d: DomainResultRow): DomainResultType {
  return {
    code: d.code, name: d.name, score: d.score === null ? 0 : Number(d.score),
    earnedPoints: Number(d.earned_points), maxPoints: Number(d.max_points), rank: d.rank ?? 0,
  };
}

export function toBandType(b: BandRow): BandType {
  return { code: b.code, label: b.label, minScore: Number(b.min_score) };
}

/**
 * A rankings page as the connection. Its results were read already shaped
 * (RankedResult is an IndexResultType with its unit, band and domains), so
 * nothing is copied per row; the count and summary are there when they were read.
 */
export function toRankingConnectionType(page: RankingPage): RankingConnectionType {
  const edges = page.edges as RankingEdgeType[];
  // As instances, type-graphql hands them to the field resolvers (@Root) without copying them.
  for (const e of edges) Object.setPrototypeOf(e.node, IndexResultType.prototype);
  const s = page.summary;
  if (s?.highest) Object.setPrototypeOf(s.highest, IndexResultType.prototype);
  if (s?.lowest) Object.setPrototypeOf(s.lowest, IndexResultType.prototype);
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null, endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: page.totalCount ?? 0,
    summary: page.summary ?? { count: 0, average: null, highest: null, lowest: null, bands: [] },
  };
}
