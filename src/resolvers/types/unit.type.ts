import { Field, ID, Int, ObjectType } from 'type-graphql';
import { UnitKind } from './enums';
import { PageInfo } from './page-info.type';

@ObjectType('Unit', { description: 'A department, district or commune, with its years, names and parents over time.' })
export class UnitType {
  /** Opaque: the unit's public UUID, never its database key. */
  @Field(() => ID) id: string;
  @Field() code: string;
  @Field({ description: 'The current (latest) name; read through units(year:), the name of that year.' }) name: string;
  @Field(() => UnitKind) kind: UnitKind;
  @Field(() => Int, { description: 'The first year the unit exists; 2000 (the first year the service knows) when it has no earlier limit.' })
  firstYear: number;
  @Field(() => Int, { nullable: true, description: 'The last year the unit exists; null while it still does. A DISTRICT ends in 2024 at the latest.' })
  lastYear: number | null;
  /** The database key, for the resolvers of its other fields; never shown. */
  dbId: number;
  /** Resolved by UnitResolver.parent: the latest parent, or the parent in `year`. */
  parentId: number | null;
  /** The year the unit was read in (units(year:)): its name, parent and children are that year's. */
  year?: number;
}

@ObjectType('UnitName', { description: 'A name a unit had, from a year on (until its next name).' })
export class UnitNameType {
  @Field() name: string;
  @Field(() => Int) fromYear: number;
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
