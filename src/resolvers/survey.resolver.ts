import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Principal } from '../auth/principal';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';
import type { SurveyIngestionService } from '../survey/ingestion.service';
import { SubmitSurveyResponseInput } from './inputs/survey.inputs';
import { SurveySubmissionType } from './types/survey.type';

function kioskOf(principal: Principal | null): Extract<Principal, { kind: 'kiosk' }> {
  if (principal?.kind !== 'kiosk') throw new AppError(ErrorCode.FORBIDDEN, 'Only a kiosk token submits survey responses');
  return principal;
}

@Resolver()
export class SurveyResolver {
  constructor(private readonly surveys: SurveyIngestionService) {}

  @Authorized(Role.KIOSK)
  @Mutation(() => SurveySubmissionType, {
    description: "Stores one response for the kiosk's unit. Idempotent on (kiosk, clientId): a resend returns DUPLICATE with the first responseId, whatever its content.",
  })
  submitSurveyResponse(
    @Arg('input', { validate: false }) input: SubmitSurveyResponseInput,
    @Ctx() ctx: Context,
  ): Promise<SurveySubmissionType> {
    return this.surveys.submitOne(kioskOf(ctx.principal), input);
  }

  @Authorized(Role.KIOSK)
  @Mutation(() => [SurveySubmissionType], {
    description: 'Up to 500 responses of a kiosk that was offline, each judged on its own; the accepted ones are stored in one transaction.',
  })
  submitSurveyResponses(
    @Arg('inputs', () => [SubmitSurveyResponseInput], { validate: false }) inputs: SubmitSurveyResponseInput[],
    @Ctx() ctx: Context,
  ): Promise<SurveySubmissionType[]> {
    return this.surveys.submitMany(kioskOf(ctx.principal), inputs);
  }
}
