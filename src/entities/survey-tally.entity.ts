import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Kiosk } from './kiosk.entity';
import { Question } from './question.entity';
import { Unit } from './unit.entity';

/**
 * Roll-up of survey answers, kept by the background roll-up (each stored
 * response added once, survey/tally-roller.ts): per year, unit, kiosk,
 * Vietnam-local day, procedure ('' when
 * none), late flag and question, how many answers gave each value (n1…n5).
 * `satisfaction` reads this table, never survey_answer. It can be rebuilt
 * from the raw rows (SatisfactionService.rebuildTallies).
 */
@Entity({ name: 'survey_tally' })
@Check('ck_survey_tally_counts', `"answers" = "n1" + "n2" + "n3" + "n4" + "n5"`)
export class SurveyTally {
  @PrimaryColumn('int', { name: 'year', primaryKeyConstraintName: 'pk_survey_tally' })
  year: number;

  @PrimaryColumn('int', { name: 'unit_id', primaryKeyConstraintName: 'pk_survey_tally' })
  unitId: number;

  @PrimaryColumn('int', { name: 'kiosk_id', primaryKeyConstraintName: 'pk_survey_tally' })
  kioskId: number;

  @PrimaryColumn('date', { name: 'day', primaryKeyConstraintName: 'pk_survey_tally' })
  day: string;

  @PrimaryColumn('varchar', { name: 'procedure_code', length: 64, primaryKeyConstraintName: 'pk_survey_tally' })
  procedureCode: string;

  @PrimaryColumn('boolean', { name: 'late', primaryKeyConstraintName: 'pk_survey_tally' })
  late: boolean;

  @PrimaryColumn('int', { name: 'question_id', primaryKeyConstraintName: 'pk_survey_tally' })
  questionId: number;

  @Column('int', { name: 'answers' }) answers: number;
  @Column('int', { name: 'n1', default: 0 }) n1: number;
  @Column('int', { name: 'n2', default: 0 }) n2: number;
  @Column('int', { name: 'n3', default: 0 }) n3: number;
  @Column('int', { name: 'n4', default: 0 }) n4: number;
  @Column('int', { name: 'n5', default: 0 }) n5: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_survey_tally_unit' })
  unit?: Unit;

  @ManyToOne(() => Kiosk, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'kiosk_id', foreignKeyConstraintName: 'fk_survey_tally_kiosk' })
  kiosk?: Kiosk;

  @ManyToOne(() => Question, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'question_id', foreignKeyConstraintName: 'fk_survey_tally_question' })
  question?: Question;
}
