import { Arg, Authorized, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Role } from '../entities/enums';
import type { QuestionnaireService } from '../services/questionnaire.service';
import { QuestionInput } from './inputs/setup.inputs';
import { toQuestionType } from './mappers';
import { QuestionType } from './types/question.type';

@Resolver(() => QuestionType)
export class QuestionnaireResolver {
  constructor(private readonly questionnaires: QuestionnaireService) {}

  @Query(() => [QuestionType], { description: "A year's satisfaction questionnaire, in order." })
  async questionnaire(@Arg('year', () => Int) year: number): Promise<QuestionType[]> {
    return (await this.questionnaires.list(year)).map(toQuestionType);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => [QuestionType])
  async defineQuestionnaire(
    @Arg('year', () => Int) year: number,
    @Arg('questions', () => [QuestionInput]) questions: QuestionInput[],
  ): Promise<QuestionType[]> {
    return (await this.questionnaires.define(year, questions)).map(toQuestionType);
  }
}
