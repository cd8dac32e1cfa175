import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { Role } from './enums';

@ObjectType('ApiToken', { description: 'An API token as an ADMIN sees it: never its secret.' })
export class ApiTokenType {
  /** Opaque: the token's public UUID. */
  @Field(() => ID) id: string;
  @Field(() => Role) role: Role;
  @Field() name: string;
  @Field(() => DateTimeResolver) createdAt: Date;
  @Field(() => DateTimeResolver, { nullable: true, description: 'When a request last came with it, to about a minute; null: never used.' })
  lastUsedAt: Date | null;
  @Field(() => DateTimeResolver, { nullable: true }) revokedAt: Date | null;
  /** Resolved by TokenResolver.unit (a UNIT token's unit). */
  unitId: number | null;
}
