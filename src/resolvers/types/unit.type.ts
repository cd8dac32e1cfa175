import { Field, ID, Int, ObjectType } from 'type-graphql';
import { UnitKind } from './enums';
import { PageInfo } from './page-info.type';

@ObjectType('Unit')
export class UnitType {
  @Field(() => ID) id: string;
  @Field() code: string;
  @Field() name: string;
  @Field(() => UnitKind) kind: UnitKind;
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
