import DataLoader from 'dataloader';
import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import type { PublicationRow, PublicationService } from '../results/publication.service';
import { AmendPublicationInput } from './inputs/publication.inputs';
import { toCycleType } from './mappers';
import { CycleType } from './types/cycle.type';
import { PublicationType } from './types/publication.type';

/** Per request: a cycle's publications, one query for every cycle the request reads. */
const loaders = new WeakMap<Context, DataLoader<number, PublicationRow[]>>();
function publicationsOf(ctx: Context, service: PublicationService): DataLoader<number, PublicationRow[]> {
  let loader = loaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids) => {
      const rows = await service.publicationsOf(ids);
      return ids.map((id) => rows.filter((r) => r.cycle_id === id));
    });
    loaders.set(ctx, loader);
  }
  return loader;
}

/** Amending a published year, and a cycle's versions. */
@Resolver(() => CycleType)
export class PublicationResolver {
  constructor(private readonly service: PublicationService) {}

  @Authorized(Role.ADMIN)
  @Mutation(() => CycleType, {
    description: 'Reopens a published year as version n + 1: scores, adjustments and withdrawals are accepted as in an OPEN year and its results recomputed for the amendment only, while other readers keep reading version n until publishCycle publishes the amendment.',
  })
  async amendPublication(@Arg('input') input: AmendPublicationInput): Promise<CycleType> {
    return toCycleType(await this.service.amend(input));
  }

  @FieldResolver(() => [PublicationType], { description: 'Its published versions, oldest first (an amendment in progress is not one yet).' })
  async publications(@Root() cycle: CycleType, @Ctx() ctx: Context): Promise<PublicationType[]> {
    const rows = await publicationsOf(ctx, this.service).load(cycle.id);
    return rows.filter((r) => r.published_at !== null)
      .map((r) => ({ version: r.version, publishedAt: r.published_at!, reason: r.reason, decisionRef: r.decision_ref }));
  }

  @FieldResolver(() => Boolean, { description: 'Whether a published year is reopened by amendPublication and its amendment not yet published.' })
  async amending(@Root() cycle: CycleType, @Ctx() ctx: Context): Promise<boolean> {
    return (await publicationsOf(ctx, this.service).load(cycle.id)).some((r) => r.published_at === null);
  }
}
