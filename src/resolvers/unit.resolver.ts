import { Arg, Args, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import { isVisible } from '../results/ranking.service';
import { readableVersion } from '../results/versions';
import type { UnitService } from '../services/unit.service';
import { nameIn } from '../services/unit-years';
import { CreateUnitInput, MergeUnitsInput, UnitsArgs } from './inputs/setup.inputs';
import { toUnitType } from './mappers';
import { IndexResultType, toIndexResultType } from './types/result.type';
import { UnitConnection, UnitNameType, UnitType } from './types/unit.type';

/** Ties of a history's year: Vietnamese order, numbers by value (as everywhere). */
const collator = new Intl.Collator('vi', { numeric: true });

@Resolver(() => UnitType)
export class UnitResolver {
  constructor(private readonly unitService: UnitService) {}

  @Query(() => UnitType, { nullable: true, description: 'A unit by its code; null if none has it.' })
  async unit(@Arg('code') code: string): Promise<UnitType | null> {
    const unit = await this.unitService.findByCode(code);
    return unit && toUnitType(unit);
  }

  @Query(() => UnitConnection, {
    description: "Units in Vietnamese name order; search ignores diacritics and finds former names. With year: the units that exist in that year, under that year's parents, with that year's names.",
  })
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

  @Authorized(Role.ADMIN)
  @Mutation(() => UnitType, { description: 'Units of one kind that exist in fromYear − 1 end then; the new unit starts in fromYear with them as predecessors, and their kiosks serve it.' })
  async mergeUnits(@Arg('input') input: MergeUnitsInput): Promise<UnitType> {
    return toUnitType(await this.unitService.merge(input));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => UnitType, { description: 'The unit is called name from fromYear on (until its next rename); earlier years keep their names.' })
  async renameUnit(@Arg('code') code: string, @Arg('name') name: string, @Arg('fromYear', () => Int) fromYear: number): Promise<UnitType> {
    return toUnitType(await this.unitService.rename(code, name, fromYear));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => UnitType, { description: 'The commune sits under parentCode (a district, up to 2024) from fromYear on; null: directly under the province.' })
  async moveUnit(
    @Arg('code') code: string, @Arg('parentCode', () => String, { nullable: true }) parentCode: string | null,
    @Arg('fromYear', () => Int) fromYear: number,
  ): Promise<UnitType> {
    return toUnitType(await this.unitService.move(code, parentCode, fromYear));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => UnitType, { description: 'The unit exists up to lastYear.' })
  async retireUnit(@Arg('code') code: string, @Arg('lastYear', () => Int) lastYear: number): Promise<UnitType> {
    return toUnitType(await this.unitService.retire(code, lastYear));
  }

  @FieldResolver(() => UnitType, { nullable: true, description: 'Its parent (latest; read through units(year:), that year\'s); null: directly under the province.' })
  async parent(@Root() unit: UnitType, @Ctx() ctx: Context): Promise<UnitType | null> {
    if (unit.parentId === null) return null;
    const parent = await ctx.loaders.unitById.load(unit.parentId);
    if (!parent) return null;
    if (unit.year === undefined) return toUnitType(parent);
    const name = nameIn(await ctx.loaders.unitNames.load(parent.id), unit.year) ?? parent.name;
    return toUnitType({ ...parent, name, year: unit.year });
  }

  @FieldResolver(() => [UnitType], { description: 'The units under it: in year, or in the year it was read in, else by their latest parent.' })
  async children(
    @Root() unit: UnitType, @Ctx() ctx: Context, @Arg('year', () => Int, { nullable: true }) year?: number | null,
  ): Promise<UnitType[]> {
    const y = year ?? unit.year;
    if (y === undefined) return (await ctx.loaders.childrenByParentId.load(unit.dbId)).map(toUnitType);
    return (await ctx.loaders.childrenInYear.load({ parentId: unit.dbId, year: y })).map(toUnitType);
  }

  @FieldResolver(() => [UnitNameType], { description: 'Every name it had, oldest first.' })
  async names(@Root() unit: UnitType, @Ctx() ctx: Context): Promise<UnitNameType[]> {
    return (await ctx.loaders.unitNames.load(unit.dbId)).map((n) => ({ name: n.name, fromYear: n.fromYear }));
  }

  @FieldResolver(() => String, { nullable: true, description: 'Its name in that year; null when it did not exist then.' })
  async nameIn(@Root() unit: UnitType, @Arg('year', () => Int) year: number, @Ctx() ctx: Context): Promise<string | null> {
    if (year < unit.firstYear || (unit.lastYear !== null && year > unit.lastYear)) return null;
    return nameIn(await ctx.loaders.unitNames.load(unit.dbId), year);
  }

  @FieldResolver(() => [UnitType], { description: 'The units it was formed from (a merger or split), in Vietnamese order.' })
  async predecessors(@Root() unit: UnitType, @Ctx() ctx: Context): Promise<UnitType[]> {
    const edges = (await ctx.loaders.lineage.load(unit.dbId)).filter((e) => e.successorId === unit.dbId);
    return this.unitsOf(edges.map((e) => e.predecessorId), ctx);
  }

  @FieldResolver(() => [UnitType], { description: 'The units it was merged (or split) into, in Vietnamese order.' })
  async successors(@Root() unit: UnitType, @Ctx() ctx: Context): Promise<UnitType[]> {
    const edges = (await ctx.loaders.lineage.load(unit.dbId)).filter((e) => e.predecessorId === unit.dbId);
    return this.unitsOf(edges.map((e) => e.successorId), ctx);
  }

  @FieldResolver(() => [IndexResultType], {
    description: "Its results and its predecessors' (transitively) that the reader may see, newest first; each result's unit and unitName are its own.",
  })
  async history(@Root() unit: UnitType, @Ctx() ctx: Context): Promise<IndexResultType[]> {
    const ids = (await this.unitService.ancestryOf([unit.dbId])).get(unit.dbId) ?? [unit.dbId];
    const [rows, names] = await Promise.all([
      Promise.all(ids.map((id) => ctx.loaders.results.byUnit.load(id))).then((r) => r.flat()),
      Promise.all(ids.map((id) => ctx.loaders.unitNames.load(id))),
    ]);
    const nameOf = new Map(ids.map((id, i) => [id, names[i]]));
    const label = (unitId: number, year: number) => nameIn(nameOf.get(unitId) ?? [], year) ?? '';
    return rows
      .map((r) => readableVersion(r, (v) => isVisible(v.status, ctx.principal, v.unit_id)))
      .filter((r) => r !== null)
      .sort((a, b) => b.year - a.year || collator.compare(label(a.unit_id, a.year), label(b.unit_id, b.year)) || a.unit_id - b.unit_id)
      .map(toIndexResultType);
  }

  private async unitsOf(ids: number[], ctx: Context): Promise<UnitType[]> {
    const units = (await Promise.all(ids.map((id) => ctx.loaders.unitById.load(id)))).filter((u) => u !== null);
    return units.map((u) => toUnitType(u)).sort((a, b) => collator.compare(a.name, b.name) || (a.code < b.code ? -1 : 1));
  }
}
