import { Field, ID, Int, ObjectType } from 'type-graphql';
import { UnitKind } from './enums';
import { PageInfo } from './page-info.type';

@ObjectType('Unit')
export class UnitType {
  /** Opaque: the unit's public UUID, never its database key. */
  @Field(() => ID) id: string;
  @Field() code: string;
  @Field() name: string;
  @Field(() => UnitKind) kind: UnitKind;
  /** The database key, for the resolvers of its other fields; never shown. */
  dbId: number;
  /** Resolved by UnitResolver.parent. */
  parentId: number | null;
}

@ObjectType()
export class UnitEdge {
  @Field() cursor: string;
  @Field(() => UnitType) node: UnitType;
}

@ObjectType()
export class UnitConnection {
  @Field(() => [UnitEdge]) edges: UnitEdge[];
  @Field(() => PageInfo) pageInfo: PageInfo;
  @Field(() => Int) totalCount: number;
}
