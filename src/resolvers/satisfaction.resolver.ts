import { Args, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import type { SatisfactionService } from '../survey/satisfaction.service';
import { SatisfactionArgs } from './inputs/survey.inputs';
import { SatisfactionStatType } from './types/survey.type';

@Resolver()
export class SatisfactionResolver {
  constructor(private readonly satisfactionService: SatisfactionService) {}

  @Query(() => [SatisfactionStatType], {
    description: 'Satisfaction of a year for a unit (unitCode), a kind (unitKind) or the province (neither), cut by groupBy. Anonymous readers see published cycles only.',
  })
  satisfaction(@Args() args: SatisfactionArgs, @Ctx() ctx: Context): Promise<SatisfactionStatType[]> {
    return this.satisfactionService.stats(ctx.principal, args);
  }
}
