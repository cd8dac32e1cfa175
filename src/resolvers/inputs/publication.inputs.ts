import { Field, InputType, Int } from 'type-graphql';
import { UnitKind } from '../types/enums';

@InputType()
export class AmendPublicationInput {
  @Field(() => Int) year: number;
  @Field(() => UnitKind) unitKind: UnitKind;
  @Field({ description: 'Why the published decision is amended (at most 2,000 characters).' }) reason: string;
  @Field(() => String, { nullable: true, description: 'The amending decision\'s reference (at most 200 characters).' }) decisionRef?: string | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Whether survey responses stored after the first publication (late) count in the amendment.' })
  includeLateResponses?: boolean | null;
}
