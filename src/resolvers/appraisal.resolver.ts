import DataLoader from 'dataloader';
import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { mayReadAssessment, type AssessmentService, type LeafScoreRow } from '../appraisal/assessment.service';
import type { RoundWindowRow, RoundWindowService } from '../appraisal/round-window.service';
import type { Context } from '../context';
import { Role, ScoreRound, UnitKind } from '../entities/enums';
import type { ExpertScoreService } from '../results/expert-score.service';
import { requireYear } from '../util/validate';
import { RoundWindowInput } from './inputs/appraisal.inputs';
import { toCycleType } from './mappers';
import { LeafScoreType, RoundWindowType } from './types/appraisal.type';
import { CycleType } from './types/cycle.type';
import { IndexResultType, toIndexResultType } from './types/result.type';
import { UnitType } from './types/unit.type';

/** Per-request batching of this file's fields, kept beside the request's context (one query per request, whatever the list). */
interface AppraisalLoaders {
  windows: DataLoader<number, RoundWindowRow[]>;
  assessment: DataLoader<{ unitId: number; year: number }, LeafScoreRow[], string>;
}
const loadersOf = new WeakMap<Context, AppraisalLoaders>();

function loaders(ctx: Context, windows: RoundWindowService, assessment: AssessmentService): AppraisalLoaders {
  let l = loadersOf.get(ctx);
  if (!l) {
    l = {
      windows: new DataLoader(async (ids) => {
        const byCycle = await windows.windowsOf(ids);
        return ids.map((id) => byCycle.get(id) ?? []);
      }),
      assessment: new DataLoader(async (keys) => {
        const byYear = new Map<number, Map<number, LeafScoreRow[]>>();
        for (const year of new Set(keys.map((k) => k.year))) {
          byYear.set(year, await assessment.of(keys.filter((k) => k.year === year).map((k) => k.unitId), year));
        }
        return keys.map((k) => byYear.get(k.year)!.get(k.unitId) ?? []);
      }, { cacheKeyFn: (k) => `${k.unitId}:${k.year}` }),
    };
    loadersOf.set(ctx, l);
  }
  return l;
}

/** Round windows: Cycle.rounds, setRoundWindow, extendRoundWindow (src/appraisal). */
@Resolver(() => CycleType)
export class RoundWindowResolver {
  constructor(private readonly windows: RoundWindowService, private readonly assessment: AssessmentService) {}

  @FieldResolver(() => [RoundWindowType], { description: "The windows of its rounds, in the year's order; a round without one takes scores while the cycle is OPEN." })
  async rounds(@Root() cycle: CycleType, @Ctx() ctx: Context): Promise<RoundWindowType[]> {
    return loaders(ctx, this.windows, this.assessment).windows.load(cycle.id);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CycleType, { description: "Creates or replaces a round's window (opensAt before closesAt); refused once the cycle is PUBLISHED." })
  async setRoundWindow(@Arg('input') input: RoundWindowInput): Promise<CycleType> {
    return toCycleType(await this.windows.set(input));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CycleType, { description: "The round closes later for one unit of the cycle's kind (closesAt after the window's close)." })
  async extendRoundWindow(
    @Arg('year', () => Int) year: number, @Arg('unitKind', () => UnitKind) unitKind: UnitKind,
    @Arg('round', () => ScoreRound) round: ScoreRound, @Arg('unitCode') unitCode: string,
    @Arg('closesAt', () => DateTimeResolver) closesAt: Date,
  ): Promise<CycleType> {
    return toCycleType(await this.windows.extend(year, unitKind, round, unitCode, closesAt));
  }
}

/** Unit.assessment and withdrawExpertScore. */
@Resolver(() => UnitType)
export class AssessmentResolver {
  constructor(
    private readonly windows: RoundWindowService,
    private readonly assessments: AssessmentService,
    private readonly expertScores: ExpertScoreService,
  ) {}

  @FieldResolver(() => [LeafScoreType], {
    description: 'Its stored expert scores of the year (every round and panelist, notes, who typed them and when), by criterion code, round, panelist. The unit itself (UNIT), APPRAISER, ANALYST, ADMIN; empty for anyone else.',
  })
  async assessment(@Root() unit: UnitType, @Arg('year', () => Int) year: number, @Ctx() ctx: Context): Promise<LeafScoreType[]> {
    requireYear('year', year);
    if (!mayReadAssessment(ctx.principal, unit.dbId)) return [];
    const rows = await loaders(ctx, this.windows, this.assessments).assessment.load({ unitId: unit.dbId, year });
    return rows.map((r) => ({ ...r, points: r.points === null ? null : Number(r.points) }));
  }

  @Authorized(Role.APPRAISER, Role.UNIT, Role.ADMIN)
  @Mutation(() => IndexResultType, {
    description: "Removes a stored score from the method and returns the unit's result after recomputation. Who may, and when, as for submitExpertScores: an APPRAISER its own scores, a UNIT its unit's SELF_ASSESSMENT, ADMIN any; while the round's window is open.",
  })
  async withdrawExpertScore(
    @Arg('year', () => Int) year: number, @Arg('unitCode') unitCode: string, @Arg('criterionCode') criterionCode: string,
    @Arg('round', () => ScoreRound) round: ScoreRound, @Arg('panelist', () => String, { nullable: true }) panelist: string | null,
    @Ctx() ctx: Context,
  ): Promise<IndexResultType> {
    const stored = await this.expertScores.withdraw({ year, unitCode, criterionCode, round, panelist }, ctx.principal!);
    return { ...toIndexResultType(stored), stale: stored.stale };
  }
}
