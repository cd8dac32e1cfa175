import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Role } from './enums';
import { PageInfo } from './page-info.type';

@ObjectType('AuditEntry', { description: 'One accepted change: who typed it, as what role, which mutation, and the values it changed.' })
export class AuditEntryType {
  @Field(() => ID) id: string;
  @Field(() => DateTimeResolver) at: Date;
  @Field({ description: "The token's name (a kiosk's label), or 'system' for background work." }) actor: string;
  @Field(() => Role, { nullable: true, description: 'Null for the system.' }) role: Role | null;
  @Field({ description: "The mutation's (or upload's) name." }) operation: string;
  @Field(() => String, { nullable: true }) unitCode: string | null;
  @Field(() => Int, { nullable: true }) year: number | null;
  @Field(() => String, { nullable: true, description: 'What was changed (a criterion, a token, a round and panelist...).' }) target: string | null;
  @Field(() => JSONResolver, { nullable: true }) before: unknown;
  @Field(() => JSONResolver, { nullable: true }) after: unknown;
}

@ObjectType('AuditEdge')
export class AuditEdge {
  @Field() cursor: string;
  @Field(() => AuditEntryType) node: AuditEntryType;
}

@ObjectType('AuditConnection')
export class AuditConnection {
  @Field(() => [AuditEdge]) edges: AuditEdge[];
  @Field(() => PageInfo) pageInfo: PageInfo;
  @Field(() => Int) totalCount: number;
}
