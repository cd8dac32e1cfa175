import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import type { EvidenceService } from '../evidence/evidence.service';
import type { ExplanationService } from '../evidence/explanation.service';
import { toUnitType } from './mappers';
import { RequestExplanationInput } from './inputs/explanation.inputs';
import { UnitKind } from './types/enums';
import { EvidenceType, ExplanationRequestType, ExplanationStatus, toEvidenceType, toExplanationRequestType } from './types/evidence.type';
import { UnitType } from './types/unit.type';

/**
 * Explanation requests (API.md, "Assessment, notes and explanation
 * requests"). Who may do what is the service's (src/evidence/access.ts):
 * a UNIT token acts for its own unit only, which a role list cannot say.
 */
@Resolver(() => ExplanationRequestType)
export class ExplanationRequestResolver {
  constructor(private readonly explanations: ExplanationService) {}

  @Query(() => [ExplanationRequestType], {
    description: 'A year\'s explanation requests by due date: every unit\'s to APPRAISER, ANALYST and ADMIN, its own to a UNIT token, none to anyone else.',
  })
  async explanationRequests(
    @Arg('year', () => Int) year: number,
    @Arg('unitKind', () => UnitKind, { nullable: true }) unitKind: UnitKind | null,
    @Arg('unitCode', () => String, { nullable: true }) unitCode: string | null,
    @Arg('status', () => ExplanationStatus, { nullable: true }) status: ExplanationStatus | null,
    @Ctx() ctx: Context,
  ): Promise<ExplanationRequestType[]> {
    return (await this.explanations.list(ctx.principal, { year, unitKind, unitCode, status })).map(toExplanationRequestType);
  }

  @Mutation(() => ExplanationRequestType, { description: 'APPRAISER, ADMIN: ask a unit to explain a leaf by a due date in the future.' })
  async requestExplanation(@Arg('input', () => RequestExplanationInput) input: RequestExplanationInput, @Ctx() ctx: Context): Promise<ExplanationRequestType> {
    return toExplanationRequestType(await this.explanations.request(ctx.principal, input));
  }

  @Mutation(() => ExplanationRequestType, {
    description: 'The UNIT token of the request\'s unit: answer before the due date (after it: CONFLICT), with its evidence files of that leaf.',
  })
  async answerExplanation(
    @Arg('id', () => ID) id: string,
    @Arg('answer') answer: string,
    @Arg('evidenceIds', () => [ID], { nullable: true }) evidenceIds: string[] | null,
    @Ctx() ctx: Context,
  ): Promise<ExplanationRequestType> {
    return toExplanationRequestType(await this.explanations.answer(ctx.principal, id, answer, evidenceIds));
  }

  @Mutation(() => ExplanationRequestType, { description: 'APPRAISER, ADMIN: close a request with a resolution.' })
  async closeExplanation(@Arg('id', () => ID) id: string, @Arg('resolution') resolution: string, @Ctx() ctx: Context): Promise<ExplanationRequestType> {
    return toExplanationRequestType(await this.explanations.close(ctx.principal, id, resolution));
  }

  @FieldResolver(() => UnitType)
  async unit(@Root() request: ExplanationRequestType, @Ctx() ctx: Context): Promise<UnitType> {
    return toUnitType((await ctx.loaders.unitById.load(request.unitId))!);
  }
}

/** A unit's evidence files (API.md, "Evidence files"), and their removal. */
@Resolver(() => UnitType)
export class UnitEvidenceResolver {
  constructor(private readonly files: EvidenceService) {}

  @FieldResolver(() => [EvidenceType], {
    description: 'The unit\'s evidence files of a year (one leaf\'s with criterionCode), oldest first: to the unit itself, APPRAISER, ANALYST and ADMIN; empty to anyone else.',
  })
  async evidence(
    @Root() unit: UnitType,
    @Arg('year', () => Int) year: number,
    @Arg('criterionCode', () => String, { nullable: true }) criterionCode: string | null,
    @Ctx() ctx: Context,
  ): Promise<EvidenceType[]> {
    return (await this.files.list(ctx.principal, unit.dbId, year, criterionCode)).map(toEvidenceType);
  }

  @Mutation(() => Boolean, { description: 'The uploader\'s unit while its self-assessment window is open, ADMIN: remove an evidence file no answer points to.' })
  async removeEvidence(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return this.files.remove(ctx.principal, id);
  }
}
