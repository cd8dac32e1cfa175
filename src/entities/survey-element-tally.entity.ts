import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ServiceElement } from './enums';
import { Kiosk } from './kiosk.entity';
import { Unit } from './unit.entity';

/**
 * Roll-up of responses per service element: how many responses answered at
 * least one question of the element, per year, unit, kiosk, Vietnam-local
 * day, procedure ('' when none) and late flag. Gives `responses` for the
 * ELEMENT cut (a response may answer several questions of one element).
 */
@Entity({ name: 'survey_element_tally' })
export class SurveyElementTally {
  @PrimaryColumn('int', { name: 'year', primaryKeyConstraintName: 'pk_survey_element_tally' })
  year: number;

  @PrimaryColumn('int', { name: 'unit_id', primaryKeyConstraintName: 'pk_survey_element_tally' })
  unitId: number;

  @PrimaryColumn('int', { name: 'kiosk_id', primaryKeyConstraintName: 'pk_survey_element_tally' })
  kioskId: number;

  @PrimaryColumn('date', { name: 'day', primaryKeyConstraintName: 'pk_survey_element_tally' })
  day: string;

  @PrimaryColumn('varchar', { name: 'procedure_code', length: 64, primaryKeyConstraintName: 'pk_survey_element_tally' })
  procedureCode: string;

  @PrimaryColumn('boolean', { name: 'late', primaryKeyConstraintName: 'pk_survey_element_tally' })
  late: boolean;

  @PrimaryColumn('enum', { name: 'element', enum: ServiceElement, enumName: 'service_element', primaryKeyConstraintName: 'pk_survey_element_tally' })
  element: ServiceElement;

  @Column('int', { name: 'responses' }) responses: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_survey_element_tally_unit' })
  unit?: Unit;

  @ManyToOne(() => Kiosk, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'kiosk_id', foreignKeyConstraintName: 'fk_survey_element_tally_kiosk' })
  kiosk?: Kiosk;
}
