import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Kiosk } from './kiosk.entity';
import { Unit } from './unit.entity';

/**
 * Roll-up of survey responses: how many responses per year, unit, kiosk,
 * Vietnam-local day, procedure ('' when none) and late flag. Maintained with
 * survey_tally; gives `responses` for the MONTH, KIOSK and PROCEDURE cuts and
 * per unit.
 */
@Entity({ name: 'survey_response_tally' })
export class SurveyResponseTally {
  @PrimaryColumn('int', { name: 'year', primaryKeyConstraintName: 'pk_survey_response_tally' })
  year: number;

  @PrimaryColumn('int', { name: 'unit_id', primaryKeyConstraintName: 'pk_survey_response_tally' })
  unitId: number;

  @PrimaryColumn('int', { name: 'kiosk_id', primaryKeyConstraintName: 'pk_survey_response_tally' })
  kioskId: number;

  @PrimaryColumn('date', { name: 'day', primaryKeyConstraintName: 'pk_survey_response_tally' })
  day: string;

  @PrimaryColumn('varchar', { name: 'procedure_code', length: 64, primaryKeyConstraintName: 'pk_survey_response_tally' })
  procedureCode: string;

  @PrimaryColumn('boolean', { name: 'late', primaryKeyConstraintName: 'pk_survey_response_tally' })
  late: boolean;

  @Column('int', { name: 'responses' }) responses: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_survey_response_tally_unit' })
  unit?: Unit;

  @ManyToOne(() => Kiosk, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'kiosk_id', foreignKeyConstraintName: 'fk_survey_response_tally_kiosk' })
  kiosk?: Kiosk;
}
