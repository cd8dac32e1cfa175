import { Field, Float, InputType, Int } from 'type-graphql';
import { PanelAggregation, UnitKind } from '../types/enums';

@InputType({ description: 'A sensitivity analysis of a year and kind (DOMAIN.md, "Explaining and testing the figures").' })
export class SensitivityInput {
  @Field(() => Int) year: number;
  @Field(() => UnitKind) unitKind: UnitKind;
  @Field(() => Int, { nullable: true, defaultValue: 1000, description: '1 to 10,000.' }) draws?: number | null;
  @Field(() => Int, { nullable: true, defaultValue: 1, description: 'The same seed gives the same answer, on any instance.' }) seed?: number | null;
  @Field(() => [Float], { nullable: true, description: "[low, high] in percent of the maximum points (e.g. [20, 40]); one value fixes it; omitted: the framework's own share ± 10." })
  surveyShare?: number[] | null;
  @Field(() => Float, { nullable: true, defaultValue: 0.25, description: "Each domain's weight is multiplied by a factor drawn uniformly from 1 ± this (0 to below 1)." })
  domainWeightSpread?: number | null;
  @Field(() => [PanelAggregation], { nullable: true, description: "Drawn uniformly from these; omitted: the cycle's own only." })
  aggregations?: PanelAggregation[] | null;
}

@InputType({ description: "A leaf's points replaced in a what-if: points, or notApplicable." })
export class WhatIfScore {
  @Field() criterionCode: string;
  @Field(() => Float, { nullable: true }) points?: number | null;
  @Field(() => Boolean, { nullable: true }) notApplicable?: boolean | null;
}
