import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Question } from './question.entity';
import { Unit } from './unit.entity';

/**
 * Roll-up of survey answers per year, unit, late flag and question, with the
 * count per value (n1…n5): what the index engine's SURVEY leaves earn from
 * (satisfied = the counts at or above the question's threshold).
 */
@Entity({ name: 'survey_question_tally' })
@Check('ck_survey_question_tally_counts', `"answers" = "n1" + "n2" + "n3" + "n4" + "n5"`)
export class SurveyQuestionTally {
  @PrimaryColumn('int', { name: 'year', primaryKeyConstraintName: 'pk_survey_question_tally' })
  year: number;

  @PrimaryColumn('int', { name: 'unit_id', primaryKeyConstraintName: 'pk_survey_question_tally' })
  unitId: number;

  @PrimaryColumn('boolean', { name: 'late', primaryKeyConstraintName: 'pk_survey_question_tally' })
  late: boolean;

  @PrimaryColumn('int', { name: 'question_id', primaryKeyConstraintName: 'pk_survey_question_tally' })
  questionId: number;

  @Column('int', { name: 'answers' }) answers: number;
  @Column('int', { name: 'n1', default: 0 }) n1: number;
  @Column('int', { name: 'n2', default: 0 }) n2: number;
  @Column('int', { name: 'n3', default: 0 }) n3: number;
  @Column('int', { name: 'n4', default: 0 }) n4: number;
  @Column('int', { name: 'n5', default: 0 }) n5: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_survey_question_tally_unit' })
  unit?: Unit;

  @ManyToOne(() => Question, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'question_id', foreignKeyConstraintName: 'fk_survey_question_tally_question' })
  question?: Question;
}
