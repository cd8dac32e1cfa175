import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SatisfactionGrouping } from '../../survey/satisfaction.service';
import { SubmissionStatus } from './enums';

registerEnumType(SatisfactionGrouping, {
  name: 'SatisfactionGrouping',
  description: 'How satisfaction statistics are cut: per question, service element, month (Asia/Ho_Chi_Minh, "YYYY-MM"), kiosk (its id; kiosks in registration order) or procedure code ("" for responses without one).',
});

export { SatisfactionGrouping };

@ObjectType('Kiosk', { description: "A survey device at a unit's reception desk." })
export class KioskType {
  @Field(() => ID) id: string;
  @Field() label: string;
  @Field() active: boolean;
  /** Resolved by KioskResolver.unit through the per-request loader. */
  unitId: number;
}

@ObjectType('KioskRegistration', { description: 'A registered kiosk and its bearer token, shown only this once.' })
export class KioskRegistrationType {
  @Field(() => KioskType) kiosk: KioskType;
  @Field() token: string;
}

@ObjectType('SubmissionError')
export class SubmissionErrorType {
  @Field({ description: 'The contract code: BAD_USER_INPUT for an invalid response.' }) code: string;
  @Field() message: string;
  @Field(() => String, { nullable: true, description: 'The field at fault, e.g. "inputs[3].answers[1].value".' }) field: string | null;
}

@ObjectType('SurveySubmission')
export class SurveySubmissionType {
  @Field(() => ID) clientId: string;
  @Field(() => SubmissionStatus) status: SubmissionStatus;
  @Field(() => ID, { nullable: true, description: 'The stored response; for DUPLICATE, the first one stored with this clientId.' }) responseId: string | null;
  @Field(() => SubmissionErrorType, { nullable: true }) error: SubmissionErrorType | null;
}

@ObjectType('SatisfactionStat', {
  description: 'Satisfaction of one group. rate, rateLow, rateHigh and mean are computed unrounded and rounded to 4 decimals at the end.',
})
export class SatisfactionStatType {
  @Field({ description: 'The group: question code, element, "YYYY-MM", kiosk id, or procedure code ("" for none).' }) key: string;
  @Field(() => Int, { description: 'Distinct responses in the group.' }) responses: number;
  @Field(() => Int, { description: 'Answers in the group.' }) answers: number;
  @Field(() => Int, { description: "Answers at or above their question's satisfied threshold." }) satisfied: number;
  @Field(() => Float, { description: 'satisfied / answers, rounded to 4 decimals.' }) rate: number;
  @Field(() => Float, { description: 'Lower bound of the Wilson 95% score interval of rate (z = 1.959964), rounded to 4 decimals.' }) rateLow: number;
  @Field(() => Float, { description: 'Upper bound of the Wilson 95% score interval of rate, rounded to 4 decimals.' }) rateHigh: number;
  @Field(() => Float, { description: 'Mean answer value, rounded to 4 decimals.' }) mean: number;
}
