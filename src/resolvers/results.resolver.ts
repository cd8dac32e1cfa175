import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Role, UnitKind } from '../entities/enums';
import { isVisible } from '../results/ranking.service';
import type { ResultsService } from '../results/results.service';
import { readableVersion } from '../results/versions';
import { requireInt } from '../util/validate';
import { toCycleType } from './mappers';
import { CycleType } from './types/cycle.type';
import { IndexResultType, toIndexResultType } from './types/result.type';
import { UnitType } from './types/unit.type';

/** Publication, and a unit's results as fields of Unit. */
@Resolver(() => UnitType)
export class ResultsResolver {
  constructor(private readonly resultsService: ResultsService) {}

  @Authorized(Role.ADMIN)
  @Mutation(() => CycleType, { description: 'Recomputes a last time and freezes the year and kind: its results never change again.' })
  async publishCycle(@Arg('year', () => Int) year: number, @Arg('unitKind', () => UnitKind) unitKind: UnitKind): Promise<CycleType> {
    return toCycleType(await this.resultsService.publish(year, unitKind));
  }

  @FieldResolver(() => IndexResultType, { nullable: true, description: "The unit's result for a year; null if none or not visible to the reader." })
  async result(
    @Root() unit: UnitType, @Arg('year', () => Int) year: number, @Ctx() ctx: Context,
    @Arg('version', () => Int, { nullable: true, description: 'A published version (amendments); omitted: the one the reader reads by default.' }) version?: number | null,
  ): Promise<IndexResultType | null> {
    // As rankings(version:) checks it: a version is a whole number from 1 (BAD_USER_INPUT on `version` otherwise).
    if (version != null) requireInt('version', version, 1, 2_147_483_647);
    const row = readableVersion(await ctx.loaders.results.byUnitYear.load({ unitId: unit.dbId, year, version }), (r) => isVisible(r.status, ctx.principal, r.unit_id));
    return row && toIndexResultType(row);
  }

  @FieldResolver(() => [IndexResultType], { description: "The unit's results the reader may see, latest year first." })
  async results(@Root() unit: UnitType, @Ctx() ctx: Context): Promise<IndexResultType[]> {
    const rows = await ctx.loaders.results.byUnit.load(unit.dbId);
    return rows.map((r) => readableVersion(r, (v) => isVisible(v.status, ctx.principal, v.unit_id))).filter((r) => r !== null).map(toIndexResultType);
  }
}
