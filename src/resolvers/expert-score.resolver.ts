import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import type { ExpertScoreService } from '../results/expert-score.service';
import { SubmitExpertScoresInput } from './inputs/results.inputs';
import { IndexResultType, toIndexResultType } from './types/result.type';

@Resolver()
export class ExpertScoreResolver {
  constructor(private readonly expertScores: ExpertScoreService) {}

  @Authorized(Role.APPRAISER, Role.UNIT, Role.ADMIN)
  @Mutation(() => IndexResultType, {
    description: "Upserts one panelist's scores of a unit for a round; returns the unit's result after recomputation (`stale` if the scores were stored but the recomputation failed). Refused (CONFLICT) while the cycle is DRAFT or PUBLISHED. An APPRAISER signs as its token's name (APPRAISAL, REAPPRAISAL); a UNIT token enters its own unit's SELF_ASSESSMENT, signed by the unit's code; ADMIN for anyone.",
  })
  async submitExpertScores(@Arg('input') input: SubmitExpertScoresInput, @Ctx() ctx: Context): Promise<IndexResultType> {
    const stored = await this.expertScores.submit(input, ctx.principal!);
    return { ...toIndexResultType(stored), stale: stored.stale };
  }
}
