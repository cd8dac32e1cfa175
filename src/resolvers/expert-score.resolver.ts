import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import type { ExpertScoreService } from '../results/expert-score.service';
import { SubmitExpertScoresInput } from './inputs/results.inputs';
import { IndexResultType, toIndexResultType } from './types/result.type';

@Resolver()
export class ExpertScoreResolver {
  constructor(private readonly expertScores: ExpertScoreService) {}

  @Authorized(Role.APPRAISER, Role.ADMIN)
  @Mutation(() => IndexResultType, {
    description: "Upserts one panelist's scores of a unit for a round; returns the unit's result after recomputation.",
  })
  async submitExpertScores(@Arg('input') input: SubmitExpertScoresInput, @Ctx() ctx: Context): Promise<IndexResultType> {
    return toIndexResultType(await this.expertScores.submit(input, ctx.principal!.name));
  }
}
