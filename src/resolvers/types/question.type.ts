import { Field, Int, ObjectType } from 'type-graphql';
import { ServiceElement } from './enums';

@ObjectType('Question')
export class QuestionType {
  @Field() code: string;
  @Field() text: string;
  @Field(() => ServiceElement) element: ServiceElement;
  @Field(() => Int) scaleMax: number;
  @Field(() => Int) satisfiedMin: number;
}
