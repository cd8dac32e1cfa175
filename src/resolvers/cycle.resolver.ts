import { Arg, Args, Authorized, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Role, UnitKind } from '../entities/enums';
import type { FrameworkService } from '../services/framework.service';
import { CycleArgs, DefineCycleInput } from './inputs/setup.inputs';
import { toCycleType } from './mappers';
import { CycleType } from './types/cycle.type';

@Resolver(() => CycleType)
export class CycleResolver {
  constructor(private readonly frameworks: FrameworkService) {}

  @Query(() => CycleType, { nullable: true, description: "A year's framework for a unit kind; null if none is defined." })
  async cycle(@Args() { year, unitKind }: CycleArgs): Promise<CycleType | null> {
    const framework = await this.frameworks.find(year, unitKind);
    return framework && toCycleType(framework);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CycleType, { description: 'Creates or replaces an unpublished framework; scores of leaves that still exist are kept.' })
  async defineCycle(@Arg('input') input: DefineCycleInput): Promise<CycleType> {
    return toCycleType(await this.frameworks.define(input));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CycleType)
  async openCycle(@Arg('year', () => Int) year: number, @Arg('unitKind', () => UnitKind) unitKind: UnitKind): Promise<CycleType> {
    return toCycleType(await this.frameworks.open(year, unitKind));
  }
}
