import type { GraphQLResolveInfo } from 'graphql';
import { Args, Ctx, Info, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import type { RenderedRoot } from '../http/rendered-queries';
import { planOfContext, type PlanField } from '../query-plan/plan';
import { rankingPages, type RankingPages, type RankingWants } from '../query-plan/rankings';
import type { RankingFilter, RankingService } from '../results/ranking.service';
import { RankingsArgs } from './inputs/results.inputs';
import { RankingConnectionType, toRankingConnectionType } from './types/result.type';

@Resolver()
export class RankingResolver {
  constructor(private readonly rankingService: RankingService) {}

  // Arguments are checked by the service (first 1..100, year, cursor): no class-validator pass per request.
  @Query(() => RankingConnectionType, {
    description: 'A ranking of a year and unit kind, overall or by domain, optionally within a parent or one band. '
      + 'What a reader may not see reads as absent: an unpublished year is an empty connection to anonymous readers. '
      + '(Kiosk tokens may call the survey mutations only.)',
  })
  async rankings(@Args({ validate: false }) args: RankingsArgs, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<RankingConnectionType> {
    return toRankingConnectionType(await rankingPages(this.rankingService).rankings(args, ctx.principal, rankingWants(info, ctx)));
  }
}

/**
 * `rankings` written whole by PostgreSQL when only RENDERED_FIELDS are
 * selected: the same arguments, checked by the same service, the same answer.
 */
export function renderedRankings(rankingPages: RankingPages): RenderedRoot {
  return (args, ctx, selected) => rankingPages.rankingsJson(args as unknown as RankingFilter, ctx.principal, selected);
}

/** Per planned field (plans are kept per document, operation and variables): what its selection reads. */
const wantsByField = new WeakMap<PlanField, RankingWants>();

/**
 * What a rankings field selects, so that the service computes only that:
 * the count, the summary, hasPreviousPage, domain results. Read from the
 * request's query plan (fragments inlined, @skip/@include decided); with
 * no plan (never on a request Apollo resolved), everything.
 */
export function rankingWants(info: Pick<GraphQLResolveInfo, 'path'>, ctx: object): RankingWants | undefined {
  const field = info.path.prev === undefined ? planOfContext(ctx)?.roots.find((f) => f.key === info.path.key) : undefined;
  if (!field) return undefined;
  const known = wantsByField.get(field);
  if (known) return known;
  // Every field of a name under any of `fields` (aliases may select one several times).
  const all = (fields: readonly PlanField[], name: string) => fields.flatMap((f) => f.fields ?? []).filter((g) => g.name === name);
  const names = (fields: readonly PlanField[]) => [...new Set(fields.flatMap((f) => f.fields ?? []).map((g) => g.name))];
  const nodes = all(all([field], 'edges'), 'node');
  const summaries = all([field], 'summary');
  const units = all(nodes, 'unit');
  const domains = all(nodes, 'domains');
  const ends = [...all(summaries, 'highest'), ...all(summaries, 'lowest')];
  const wants: RankingWants = {
    totalCount: all([field], 'totalCount').length > 0,
    summary: summaries.length > 0,
    hasPreviousPage: all(all([field], 'pageInfo'), 'hasPreviousPage').length > 0,
    node: {
      fields: names(nodes),
      unit: units.length ? names(units) : null,
      band: all(nodes, 'band').length > 0,
      domains: domains.length ? names(domains) : null,
    },
    summaryDomains: all(ends, 'domains').length > 0,
  };
  wantsByField.set(field, wants);
  return wants;
}
