import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import type { RankingService } from '../results/ranking.service';
import { RankingsArgs } from './inputs/results.inputs';
import { toUnitType } from './mappers';
import { BandType } from './types/cycle.type';
import {
  DomainResultType, IndexResultType, RankingConnectionType, toBandType, toDomainResultType, toIndexResultType,
} from './types/result.type';
import { UnitType } from './types/unit.type';

@Resolver(() => IndexResultType)
export class RankingResolver {
  constructor(private readonly rankingService: RankingService) {}

  @Query(() => RankingConnectionType, {
    description: 'A ranking of a year and unit kind, overall or by domain, optionally within a parent or one band. '
      + 'Unpublished years read as empty to anonymous readers and kiosks.',
  })
  async rankings(@Args() args: RankingsArgs, @Ctx() ctx: Context): Promise<RankingConnectionType> {
    const page = await this.rankingService.rankings(args, ctx.principal);
    const s = page.summary;
    return {
      edges: page.edges.map((e) => ({ cursor: e.cursor, rank: e.rank, score: Number(e.score), node: toIndexResultType(e.node) })),
      pageInfo: {
        hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage,
        startCursor: page.edges[0]?.cursor ?? null, endCursor: page.edges[page.edges.length - 1]?.cursor ?? null,
      },
      totalCount: page.totalCount,
      summary: {
        count: s.count, average: s.average === null ? null : Number(s.average),
        highest: s.highest && toIndexResultType(s.highest), lowest: s.lowest && toIndexResultType(s.lowest),
        bands: s.bands.map((b) => ({ band: toBandType(b.band), count: b.count })),
      },
    };
  }

  @FieldResolver(() => UnitType)
  async unit(@Root() result: IndexResultType, @Ctx() ctx: Context): Promise<UnitType> {
    return toUnitType((await ctx.loaders.unitById.load(result.unitId))!);
  }

  @FieldResolver(() => BandType, { nullable: true })
  async band(@Root() result: IndexResultType, @Ctx() ctx: Context): Promise<BandType | null> {
    const band = (await ctx.loaders.results.bands.load(result.cycleId)).find((b) => b.code === result.bandCode);
    return band ? toBandType(band) : null;
  }

  @FieldResolver(() => [DomainResultType])
  async domains(@Root() result: IndexResultType, @Ctx() ctx: Context): Promise<DomainResultType[]> {
    return (await ctx.loaders.results.domains.load({ cycleId: result.cycleId, unitId: result.unitId })).map(toDomainResultType);
  }
}
