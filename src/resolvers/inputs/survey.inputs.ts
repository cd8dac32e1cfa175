import { DateTimeResolver } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { UnitKind } from '../types/enums';
import { SatisfactionGrouping } from '../types/survey.type';

@InputType()
export class RegisterKioskInput {
  @Field() unitCode: string;
  @Field() label: string;
}

@InputType()
export class SurveyAnswerInput {
  @Field() questionCode: string;
  @Field(() => Int) value: number;
}

@InputType()
export class SubmitSurveyResponseInput {
  @Field(() => ID, { description: 'A UUID the kiosk makes once per response: resending it is recognised.' }) clientId: string;
  @Field(() => DateTimeResolver, { description: 'When the citizen rated; its Asia/Ho_Chi_Minh year is the response\'s year.' }) submittedAt: Date;
  @Field(() => [SurveyAnswerInput]) answers: SurveyAnswerInput[];
  @Field(() => String, { nullable: true }) procedureCode?: string | null;
  @Field(() => String, { nullable: true, description: 'At most 1,000 characters after NFC normalisation.' }) comment?: string | null;
}

@ArgsType()
export class SatisfactionArgs {
  @Field(() => Int) year: number;
  @Field(() => String, { nullable: true }) unitCode?: string | null;
  @Field(() => UnitKind, { nullable: true }) unitKind?: UnitKind | null;
  @Field(() => SatisfactionGrouping, { nullable: true, defaultValue: SatisfactionGrouping.QUESTION, description: 'null means the default, QUESTION.' })
  groupBy?: SatisfactionGrouping | null;
  @Field({ defaultValue: false, description: 'Count responses stored after their year and kind were published (left out by default, as from the published figures).' })
  includeLate: boolean;
}
