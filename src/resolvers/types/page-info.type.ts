import { Field, ObjectType } from 'type-graphql';

@ObjectType()
export class PageInfo {
  @Field() hasNextPage: boolean;
  @Field(() => String, { nullable: true }) endCursor: string | null;
  @Field() hasPreviousPage: boolean;
  @Field(() => String, { nullable: true }) startCursor: string | null;
}
