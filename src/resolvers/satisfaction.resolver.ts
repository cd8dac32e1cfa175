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
    // Aliases of the field with the same arguments are read once per request (a flood of 30 of them, one statement).
    const key = JSON.stringify(['satisfaction', args.year, args.unitCode ?? null, args.unitKind ?? null, args.groupBy ?? null, args.includeLate]);
    return ctx.loaders.once(key, () => this.satisfactionService.stats(ctx.principal, args));
  }
}
