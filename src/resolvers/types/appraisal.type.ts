import { DateTimeResolver } from 'graphql-scalars';
import { Field, Float, ObjectType } from 'type-graphql';
import { ScoreRound } from './enums';

@ObjectType('RoundWindow', { description: 'When a round takes scores: from opensAt up to closesAt (a unit may have a later close: extendRoundWindow).' })
export class RoundWindowType {
  @Field(() => ScoreRound) round: ScoreRound;
  @Field(() => DateTimeResolver) opensAt: Date;
  @Field(() => DateTimeResolver) closesAt: Date;
}

@ObjectType('LeafScore', { description: 'One stored expert score of a unit: its leaf, round, panelist, note, and when and by whom its value was typed.' })
export class LeafScoreType {
  @Field() criterionCode: string;
  @Field(() => ScoreRound) round: ScoreRound;
  @Field() panelist: string;
  @Field(() => Float, { nullable: true, description: 'null when not applicable.' }) points: number | null;
  @Field() notApplicable: boolean;
  @Field(() => String, { nullable: true }) note: string | null;
  @Field(() => DateTimeResolver) enteredAt: Date;
  @Field({ description: "The token's name that typed it (an ADMIN entering for a panelist is the ADMIN)." }) enteredBy: string;
}
