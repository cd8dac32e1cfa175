import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { AnalysisService } from '../analysis/analysis.service';
import type { Context } from '../context';
import { Role, UnitKind } from '../entities/enums';
import { SensitivityInput, WhatIfScore } from './inputs/analysis.inputs';
import type { ExplanationRow } from '../analysis/explanation';
import {
  ExplanationType, toExplanationType, WHAT_IF_EXPLANATION,
  toUnitSensitivityType, toWhatIfResultType, toYearSummaryType, UnitSensitivityType, YearSummaryType,
} from './types/analysis.type';
import { IndexResultType } from './types/result.type';

/** Analysts' questions: sensitivity to the weighting, what-if, the average over the years. */
@Resolver()
export class AnalysisResolver {
  constructor(private readonly analysis: AnalysisService) {}

  @Authorized(Role.ANALYST, Role.ADMIN)
  @Query(() => [UnitSensitivityType], { description: 'Seeded Monte Carlo over the survey share, domain weights and panel aggregation: per ranked unit, its rank interval and band shares, in ranking order.' })
  async sensitivity(@Arg('input', () => SensitivityInput) input: SensitivityInput): Promise<UnitSensitivityType[]> {
    return (await this.analysis.sensitivity(input)).map(toUnitSensitivityType);
  }

  // A UNIT token for its own unit only (mayAskWhatIf in src/analysis/analysis.service.ts).
  @Authorized(Role.ANALYST, Role.ADMIN, Role.UNIT)
  @Query(() => IndexResultType, { description: "The unit's index, band and ranks with some leaf points replaced, against the other units as they stand; nothing is stored." })
  async whatIf(
    @Arg('year', () => Int) year: number, @Arg('unitCode') unitCode: string,
    @Arg('scores', () => [WhatIfScore]) scores: WhatIfScore[], @Ctx() ctx: Context,
  ): Promise<IndexResultType> {
    return toWhatIfResultType(await this.analysis.whatIf(ctx.principal, year, unitCode, scores));
  }

  @Query(() => [YearSummaryType], { description: "The kind's average, highest and lowest index per year the reader may see, oldest first." })
  async yearSummaries(@Arg('unitKind', () => UnitKind) unitKind: UnitKind, @Ctx() ctx: Context): Promise<YearSummaryType[]> {
    return (await this.analysis.yearSummaries(ctx.principal, unitKind)).map(toYearSummaryType);
  }
}

/** IndexResult.explanation: the stored result's, or the what-if's own. */
@Resolver(() => IndexResultType)
export class ExplanationResolver {
  @FieldResolver(() => ExplanationType, { nullable: true, description: "Every leaf with its figures, then bonus, penalty, totals, the unrounded index and the score: the method's own intermediate values (exact decimals as strings). Null for a version read from the archive of published versions (an earlier version, or the published one while an amendment is in progress): the stored inputs are the amendment's." })
  async explanation(@Root() result: IndexResultType, @Ctx() ctx: Context): Promise<ExplanationType | null> {
    const own = (result as unknown as Record<symbol, ExplanationRow | undefined>)[WHAT_IF_EXPLANATION];
    // An archived version (amendments) is explained by no stored input: they are the working copy's now.
    if (!own && result.archivedVersion != null) return null;
    // Batched per request and cycle (src/context.ts): a ranking page reads its units' inputs once, not once per unit.
    const row = own ?? await ctx.loaders.explanations.load({ cycleId: result.cycleId, unitId: result.unitId });
    return row ? toExplanationType(row) : null;
  }
}
