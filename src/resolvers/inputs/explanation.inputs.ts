import { DateTimeResolver } from 'graphql-scalars';
import { Field, InputType, Int } from 'type-graphql';

@InputType()
export class RequestExplanationInput {
  @Field(() => Int) year: number;
  @Field() unitCode: string;
  @Field({ description: 'A leaf of that year\'s framework for the unit\'s kind.' }) criterionCode: string;
  @Field({ description: 'At most 4,000 characters.' }) question: string;
  @Field(() => DateTimeResolver, { description: 'In the future; an answer after it is CONFLICT.' }) dueAt: Date;
}
