import { DateTimeResolver } from 'graphql-scalars';
import { Field, InputType, Int } from 'type-graphql';
import { ScoreRound, UnitKind } from '../types/enums';

@InputType({ description: "A round's window: scores of the round are accepted from opensAt up to closesAt." })
export class RoundWindowInput {
  @Field(() => Int) year: number;
  @Field(() => UnitKind) unitKind: UnitKind;
  @Field(() => ScoreRound) round: ScoreRound;
  @Field(() => DateTimeResolver) opensAt: Date;
  @Field(() => DateTimeResolver) closesAt: Date;
}
