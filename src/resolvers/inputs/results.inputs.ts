import { ArgsType, Field, Float, InputType, Int } from 'type-graphql';
import { DEFAULT_PAGE_SIZE } from '../../util/cursor';
import { ScoreRound, UnitKind } from '../types/enums';

@InputType()
export class ExpertScoreInput {
  @Field() criterionCode: string;
  @Field(() => Float, { nullable: true, description: 'In [0, the leaf maximum], at most two decimals; omit when notApplicable.' })
  points?: number | null;
  @Field(() => Boolean, { nullable: true }) notApplicable?: boolean | null;
  @Field(() => String, { nullable: true }) note?: string | null;
}

@InputType()
export class SubmitExpertScoresInput {
  @Field(() => Int) year: number;
  @Field() unitCode: string;
  @Field(() => ScoreRound) round: ScoreRound;
  @Field(() => String, { nullable: true, description: "Defaults to the token's name." }) panelist?: string | null;
  @Field(() => [ExpertScoreInput]) scores: ExpertScoreInput[];
  @Field(() => Float, { nullable: true }) bonus?: number | null;
  @Field(() => Float, { nullable: true }) penalty?: number | null;
}

@ArgsType()
export class RankingsArgs {
  @Field(() => Int) year: number;
  @Field(() => UnitKind) unitKind: UnitKind;
  @Field(() => String, { nullable: true }) domainCode?: string | null;
  @Field(() => String, { nullable: true }) parentCode?: string | null;
  @Field(() => String, { nullable: true }) bandCode?: string | null;
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: '1 to 100; null means the default.' }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => Int, { nullable: true, description: "A published version of the year's results (amendments); omitted: the one the reader reads by default (while a year is amending, anonymous readers read its latest published version)." })
  version?: number | null;
}
