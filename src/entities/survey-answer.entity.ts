import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Question } from './question.entity';
import { SurveyResponse } from './survey-response.entity';

/** One answer of a response: a value on its question's scale. */
@Entity({ name: 'survey_answer' })
@Check('ck_survey_answer_value', `"value" BETWEEN 1 AND 5`)
export class SurveyAnswer {
  @PrimaryColumn('bigint', { name: 'response_id' })
  responseId: string;

  @Index('ix_survey_answer_question')
  @PrimaryColumn('int', { name: 'question_id' })
  questionId: number;

  @ManyToOne(() => SurveyResponse, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'response_id', foreignKeyConstraintName: 'fk_survey_answer_response' })
  response?: SurveyResponse;

  @ManyToOne(() => Question, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'question_id', foreignKeyConstraintName: 'fk_survey_answer_question' })
  question?: Question;

  @Column('smallint', { name: 'value' })
  value: number;
}
