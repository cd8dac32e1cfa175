import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { RankedResult, RankingPage } from '../../query-plan/rankings';
import type { BandRow, DomainResultRow, ResultRow } from '../../results/ranking.service';
import { rankChange } from '../../scoring';
import { BandType } from './cycle.type';
import { PageInfo } from './page-info.type';
import type { Context } from '../../context';
import { toUnitType } from '../mappers';
import { nameIn } from '../../services/unit-years';
import { UnitType } from './unit.type';

/*
 * The types of results and rankings are read on the hot path of the
 * portals: their plain fields use graphql-js's default resolver
 * (simpleResolvers), no per-field middleware.
 */

@ObjectType('DomainResult', { simpleResolvers: true, description: "A unit's index in one domain, ranked among the cycle's units." })
export class DomainResultType {
  @Field() code: string;
  @Field() name: string;
  @Field(() => Float, { description: 'The domain index; 0 when no leaf of the domain applies to the unit, which then has no domain index, ranks after every unit that has one and is listed last.' }) score: number;
  @Field(() => Float) earnedPoints: number;
  @Field(() => Float) maxPoints: number;
  @Field(() => Int) rank: number;
}

@ObjectType('IndexResult', { simpleResolvers: true, description: "A unit's index for a year: stored, recomputed as data arrive, frozen on publication." })
export class IndexResultType {
  cycleId: number;
  unitId: number;
  bandCode: string | null;
  /** The archived version it was read from (its domain results are that version's too); null: the working copy. */
  archivedVersion: number | null;
  @Field(() => Int) year: number;
  @Field(() => Int, { description: "The version of the year's results it belongs to: 1 as first published, n + 1 for the nth amendment (amendPublication)." })
  version: number;
  @Field(() => Float) score: number;
  @Field(() => Float, { nullable: true }) expertScore: number | null;
  @Field(() => Float, { nullable: true }) surveyScore: number | null;
  @Field(() => Float, { description: 'Rounded half-up to two decimals; bonus and penalty included.' }) earnedPoints: number;
  @Field(() => Float) maxPoints: number;
  @Field(() => Int) rank: number;
  @Field(() => Int, { nullable: true, description: "Rank in the previous year's published ranking of the same kind; null while that year is unpublished, or when the unit was not ranked in it." }) previousRank: number | null;
  @Field(() => Int, { nullable: true, description: 'previousRank − rank: positive when the unit moved up.' }) rankChange: number | null;
  @Field(() => Int, { description: "The unit's survey responses of the year, late ones (stored after publication) left out, whichever questions they answered. A SURVEY leaf counts only those that answered its questions." }) responses: number;
  @Field() surveyInsufficient: boolean;
  @Field() provisional: boolean;
  @Field() published: boolean;
  @Field({ description: "True only in submitExpertScores' answer when its scores were stored but the recomputation after them failed: the figures are the last ones computed, and the background recomputation brings them up to date." })
  stale: boolean;
  /*
   * Either read with the result (a ranking reads them in its one statement)
   * or, for results read alone, a method that graphql-js's default resolver
   * calls with the request's context: a batch through its DataLoaders. No
   * per-field resolver wrapper on the hot path.
   */
  @Field(() => UnitType) unit: UnitType | ReadLater<UnitType>;
  @Field(() => String, { description: "The unit's name in this result's year (Unit.name is its current one)." })
  unitName: string | ReadLater<string>;
  @Field(() => BandType, { nullable: true }) band: BandType | null | ReadLater<BandType | null>;
  @Field(() => [DomainResultType]) domains: DomainResultType[] | ReadLater<DomainResultType[]>;
}

/** A field value read when the field is selected: graphql-js calls it as a method of the result with (args, context). */
type ReadLater<T> = (this: IndexResultType, args: unknown, ctx: Context) => Promise<T>;

function unitOf(this: IndexResultType, _args: unknown, ctx: Context): Promise<UnitType> {
  return ctx.loaders.unitById.load(this.unitId).then((u) => toUnitType(u!));
}
function unitNameOf(this: IndexResultType, _args: unknown, ctx: Context): Promise<string> {
  return ctx.loaders.unitNames.load(this.unitId).then((names) => nameIn(names, this.year) ?? names[0]?.name ?? '');
}
function bandOf(this: IndexResultType, _args: unknown, ctx: Context): Promise<BandType | null> {
  return ctx.loaders.results.bands.load(this.cycleId).then((bands) => {
    const band = bands.find((b) => b.code === this.bandCode);
    return band ? toBandType(band) : null;
  });
}
function domainsOf(this: IndexResultType, _args: unknown, ctx: Context): Promise<DomainResultType[]> {
  return ctx.loaders.results.domains.load({ cycleId: this.cycleId, unitId: this.unitId, version: this.archivedVersion })
    .then((rows) => rows.map(toDomainResultType));
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
    cycleId: r.cycle_id, unitId: r.unit_id, bandCode: r.band_code, archivedVersion: r.archived ? r.version! : null, year: r.year, version: r.version ?? 1,
    score: Number(r.score), expertScore: num(r.expert_score), surveyScore: num(r.survey_score),
    earnedPoints: Number(r.earned_points), maxPoints: Number(r.max_points),
    rank: r.rank, previousRank: r.previous_rank, rankChange: rankChange(r.previous_rank, r.rank),
    responses: r.responses, surveyInsufficient: r.survey_insufficient, provisional: r.provisional, published: r.published,
    // A scalar read with the row: graphql-jit reads scalars as values (never calls them), so the function is only for rows read without it.
    stale: false, unit: unitOf, unitName: r.unit_name ?? unitNameOf, band: bandOf, domains: domainsOf,
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
 * A result a ranking read already shaped (RankedResult has the fields of
 * IndexResultType): used as it is, nothing copied; a unit, band or domain
 * results it did not read (not selected) are read later through the loaders.
 */
function fromRanked(r: RankedResult): IndexResultType {
  const result = r as unknown as Omit<IndexResultType, 'unit' | 'unitName' | 'band' | 'domains'> & Partial<IndexResultType>;
  result.unit ??= unitOf;
  result.unitName ??= unitNameOf;
  if (result.band === undefined) result.band = bandOf;
  result.domains ??= domainsOf;
  return result as IndexResultType;
}

/** A rankings page as the connection; the count and summary are there when they were read. */
export function toRankingConnectionType(page: RankingPage): RankingConnectionType {
  const edges: RankingEdgeType[] = page.edges.map((e) => ({ cursor: e.cursor, rank: e.rank, score: e.score, node: fromRanked(e.node) }));
  const s = page.summary;
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null, endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: page.totalCount ?? 0,
    summary: s
      ? { count: s.count, average: s.average, highest: s.highest && fromRanked(s.highest), lowest: s.lowest && fromRanked(s.lowest), bands: s.bands }
      : { count: 0, average: null, highest: null, lowest: null, bands: [] },
  };
}
