import { Field, Float, Int, ObjectType } from 'type-graphql';
import { CriterionSource, CycleStatus, PanelAggregation, UnitKind } from './enums';

@ObjectType('Band')
export class BandType {
  @Field() code: string;
  @Field() label: string;
  @Field(() => Float) minScore: number;
}

@ObjectType('Criterion')
export class CriterionType {
  @Field() code: string;
  @Field() name: string;
  @Field(() => Float) maxPoints: number;
  @Field(() => CriterionSource, { nullable: true }) source: CriterionSource | null;
  @Field(() => [String]) questionCodes: string[];
  @Field(() => [CriterionType]) children: CriterionType[];
}

@ObjectType('Domain')
export class DomainType {
  @Field() code: string;
  @Field() name: string;
  @Field(() => Float) maxPoints: number;
  @Field(() => [CriterionType]) criteria: CriterionType[];
}

@ObjectType('Cycle', { description: "A year's framework for one unit kind." })
export class CycleType {
  id: number;
  @Field(() => Int) year: number;
  @Field(() => UnitKind) unitKind: UnitKind;
  @Field(() => CycleStatus) status: CycleStatus;
  @Field(() => Float) maxPoints: number;
  @Field(() => Float) expertMaxPoints: number;
  @Field(() => Float) surveyMaxPoints: number;
  @Field(() => Int) minResponses: number;
  @Field(() => PanelAggregation) panelAggregation: PanelAggregation;
  @Field(() => Float) maxBonus: number;
  @Field(() => Float) maxPenalty: number;
  @Field(() => [DomainType]) domains: DomainType[];
  @Field(() => [BandType]) bands: BandType[];
}
