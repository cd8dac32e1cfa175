import { Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { Args, Ctx, Info, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import type { RenderedRoot } from '../http/rendered-queries';
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
    return toRankingConnectionType(await rankingPages(this.rankingService).rankings(args, ctx.principal, rankingWants(info)));
  }
}

/**
 * `rankings` written whole by PostgreSQL when only RENDERED_FIELDS are
 * selected: the same arguments, checked by the same service, the same answer.
 */
export function renderedRankings(rankingPages: RankingPages): RenderedRoot {
  return (args, ctx, selected) => rankingPages.rankingsJson(args as unknown as RankingFilter, ctx.principal, selected);
}

/** Per field node of a (cached, parsed) document: what its selection reads. */
const wantsByNode = new WeakMap<FieldNode, RankingWants>();

/**
 * What a rankings field selects, so that the service computes only that:
 * the count, the summary, hasPreviousPage, domain results. Fragments are
 * followed; @skip/@include are ignored (reading more is always safe).
 */
export function rankingWants(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>): RankingWants {
  const known = wantsByNode.get(info.fieldNodes[0]);
  if (known && info.fieldNodes.length === 1) return known;
  const paths = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, prefix: string, depth: number, seen: Set<string>): void => {
    if (!set || depth > 3) return;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        const path = prefix + s.name.value;
        paths.add(path);
        visit(s.selectionSet, `${path}.`, depth + 1, seen);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        visit(s.selectionSet, prefix, depth, seen);
      } else if (!seen.has(s.name.value)) {
        const fragment: FragmentDefinitionNode | undefined = info.fragments[s.name.value];
        visit(fragment?.selectionSet, prefix, depth, new Set([...seen, s.name.value]));
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet, '', 0, new Set());
  const under = (prefix: string) => [...paths].filter((p) => p.startsWith(prefix) && !p.includes('.', prefix.length)).map((p) => p.slice(prefix.length));
  const wants: RankingWants = {
    totalCount: paths.has('totalCount'),
    summary: paths.has('summary'),
    hasPreviousPage: paths.has('pageInfo.hasPreviousPage'),
    node: {
      fields: under('edges.node.'),
      unit: paths.has('edges.node.unit') ? under('edges.node.unit.') : null,
      band: paths.has('edges.node.band'),
      domains: paths.has('edges.node.domains') ? under('edges.node.domains.') : null,
    },
    summaryDomains: paths.has('summary.highest.domains') || paths.has('summary.lowest.domains'),
  };
  if (info.fieldNodes.length === 1) wantsByNode.set(info.fieldNodes[0], wants);
  return wants;
}
