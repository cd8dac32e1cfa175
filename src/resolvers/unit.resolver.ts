import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import type { UnitService } from '../services/unit.service';
import { CreateUnitInput, UnitsArgs } from './inputs/setup.inputs';
import { toUnitType } from './mappers';
import { UnitConnection, UnitType } from './types/unit.type';

@Resolver(() => UnitType)
export class UnitResolver {
  constructor(private readonly unitService: UnitService) {}

  @Query(() => UnitType, { nullable: true, description: 'A unit by its code; null if none has it.' })
  async unit(@Arg('code') code: string): Promise<UnitType | null> {
    const unit = await this.unitService.findByCode(code);
    return unit && toUnitType(unit);
  }

  @Query(() => UnitConnection, { description: 'Units in Vietnamese name order; search ignores diacritics.' })
  async units(@Args() args: UnitsArgs): Promise<UnitConnection> {
    const page = await this.unitService.list(args);
    return {
      edges: page.items.map((i) => ({ cursor: i.cursor, node: toUnitType(i.node) })),
      pageInfo: {
        hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage,
        startCursor: page.items[0]?.cursor ?? null, endCursor: page.items[page.items.length - 1]?.cursor ?? null,
      },
      totalCount: page.totalCount,
    };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => UnitType)
  async createUnit(@Arg('input') input: CreateUnitInput): Promise<UnitType> {
    return toUnitType(await this.unitService.create(input));
  }

  @FieldResolver(() => UnitType, { nullable: true })
  async parent(@Root() unit: UnitType, @Ctx() ctx: Context): Promise<UnitType | null> {
    if (unit.parentId === null) return null;
    const parent = await ctx.loaders.unitById.load(unit.parentId);
    return parent && toUnitType(parent);
  }

  @FieldResolver(() => [UnitType])
  async children(@Root() unit: UnitType, @Ctx() ctx: Context): Promise<UnitType[]> {
    return (await ctx.loaders.childrenByParentId.load(unit.dbId)).map(toUnitType);
  }
}
