import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Unit } from './unit.entity';

/**
 * Roll-up of survey responses by the set of questions they answered (sorted
 * question ids), per year, unit and late flag. The index engine's
 * minResponses rule counts "responses that answered any of a leaf's
 * questions": the sum over sets that overlap the leaf's questions, read
 * from this small table instead of counting distinct raw responses.
 */
@Entity({ name: 'survey_question_set_tally' })
export class SurveyQuestionSetTally {
  @PrimaryColumn('int', { name: 'year', primaryKeyConstraintName: 'pk_survey_question_set_tally' })
  year: number;

  @PrimaryColumn('int', { name: 'unit_id', primaryKeyConstraintName: 'pk_survey_question_set_tally' })
  unitId: number;

  @PrimaryColumn('boolean', { name: 'late', primaryKeyConstraintName: 'pk_survey_question_set_tally' })
  late: boolean;

  @PrimaryColumn('int', { name: 'question_ids', array: true, primaryKeyConstraintName: 'pk_survey_question_set_tally' })
  questionIds: number[];

  @Column('int', { name: 'responses' }) responses: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_survey_question_set_tally_unit' })
  unit?: Unit;
}
