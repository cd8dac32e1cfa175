import { ArgsType, Field, Float, InputType, Int } from 'type-graphql';
import { CriterionSource, PanelAggregation, Role, ServiceElement, UnitKind } from '../types/enums';
import { DEFAULT_PAGE_SIZE } from '../../util/cursor';

@InputType()
export class CreateUnitInput {
  @Field() code: string;
  @Field() name: string;
  @Field(() => UnitKind) kind: UnitKind;
  @Field(() => String, { nullable: true, description: "A commune's district (up to 2024); none from 2025, when communes sit directly under the province." }) parentCode?: string | null;
  @Field(() => Int, { nullable: true, description: 'The first year the unit exists; omitted: no earlier limit.' }) firstYear?: number | null;
}

@InputType({ description: 'Units of one kind that exist in fromYear − 1 merged into a new unit from fromYear.' })
export class MergeUnitsInput {
  @Field(() => [String]) codes: string[];
  @Field(() => CreateUnitInput) into: CreateUnitInput;
  @Field(() => Int) fromYear: number;
}

@InputType()
export class CriterionInput {
  @Field() code: string;
  @Field() name: string;
  @Field(() => Float, { nullable: true }) maxPoints?: number | null;
  @Field(() => CriterionSource, { nullable: true }) source?: CriterionSource | null;
  @Field(() => [String], { nullable: true }) questionCodes?: string[] | null;
  @Field(() => [CriterionInput], { nullable: true }) children?: CriterionInput[] | null;
}

@InputType()
export class DomainInput {
  @Field() code: string;
  @Field() name: string;
  @Field(() => [CriterionInput]) criteria: CriterionInput[];
}

@InputType()
export class BandInput {
  @Field() code: string;
  @Field() label: string;
  @Field(() => Float) minScore: number;
}

@InputType()
export class DefineCycleInput {
  @Field(() => Int) year: number;
  @Field(() => UnitKind) unitKind: UnitKind;
  @Field(() => [DomainInput]) domains: DomainInput[];
  @Field(() => [BandInput], { nullable: true }) bands?: BandInput[] | null;
  @Field(() => Int, { nullable: true }) minResponses?: number | null;
  @Field(() => PanelAggregation, { nullable: true }) panelAggregation?: PanelAggregation | null;
  @Field(() => Float, { nullable: true }) maxBonus?: number | null;
  @Field(() => Float, { nullable: true }) maxPenalty?: number | null;
}

@InputType()
export class QuestionInput {
  @Field() code: string;
  @Field() text: string;
  @Field(() => ServiceElement) element: ServiceElement;
  @Field(() => Int) scaleMax: number;
  @Field(() => Int, { nullable: true }) satisfiedMin?: number | null;
}

@InputType()
export class IssueTokenInput {
  @Field(() => Role) role: Role;
  @Field({ description: "Who holds it; an APPRAISER token's name is its panelist." }) name: string;
  @Field(() => String, { nullable: true, description: 'The unit a UNIT token acts for: required for UNIT, refused for other roles.' }) unitCode?: string | null;
}

@ArgsType()
export class UnitsArgs {
  @Field(() => UnitKind, { nullable: true }) kind?: UnitKind | null;
  @Field(() => String, { nullable: true }) parentCode?: string | null;
  @Field(() => String, { nullable: true }) search?: string | null;
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: '1 to 100; null means the default.' }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => Int, { nullable: true, description: "Only the units that exist in that year, under that year's parents, with that year's names." }) year?: number | null;
}

@ArgsType()
export class CycleArgs {
  @Field(() => Int) year: number;
  @Field(() => UnitKind) unitKind: UnitKind;
}
