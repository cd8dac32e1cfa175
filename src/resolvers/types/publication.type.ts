import { DateTimeResolver } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('Publication', { description: "One published version of a year's decision: version 1 as first published, then each amendment." })
export class PublicationType {
  @Field(() => Int) version: number;
  @Field(() => DateTimeResolver) publishedAt: Date;
  @Field(() => String, { nullable: true, description: 'Why the decision was amended; null for the first publication.' }) reason: string | null;
  @Field(() => String, { nullable: true, description: 'The decision\'s reference ("Quyết định số …").' }) decisionRef: string | null;
}
