import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Kiosk } from './kiosk.entity';
import { Unit } from './unit.entity';

/**
 * One citizen's anonymous rating sent by a kiosk. (kiosk_id, client_id) is
 * unique: a resend is recognised, never stored twice. `year` is the
 * Asia/Ho_Chi_Minh year of submitted_at; `late` marks a response of a year
 * already published.
 */
@Entity({ name: 'survey_response' })
@Index('uq_survey_response_kiosk_client', ['kioskId', 'clientId'], { unique: true })
@Index('ix_survey_response_unit_year', ['unitId', 'year'])
// Partial index on the responses not yet rolled up (made by the TallyRollUp migration).
@Index('ix_survey_response_untallied', { synchronize: false })
@Check('ck_survey_response_comment', `"comment" IS NULL OR char_length("comment") <= 1000`)
@Check('ck_survey_response_year', `"year" BETWEEN 2000 AND 2100`)
export class SurveyResponse {
  @PrimaryGeneratedColumn('identity', { name: 'id', type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('int', { name: 'kiosk_id' })
  kioskId: number;

  @ManyToOne(() => Kiosk, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'kiosk_id', foreignKeyConstraintName: 'fk_survey_response_kiosk' })
  kiosk?: Kiosk;

  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_survey_response_unit' })
  unit?: Unit;

  @Column('uuid', { name: 'client_id' })
  clientId: string;

  @Column('int', { name: 'year' })
  year: number;

  @Column('timestamptz', { name: 'submitted_at' })
  submittedAt: Date;

  @Column('timestamptz', { name: 'received_at', default: () => 'now()' })
  receivedAt: Date;

  @Column('varchar', { name: 'procedure_code', length: 64, nullable: true })
  procedureCode: string | null;

  @Column('text', { name: 'comment', nullable: true })
  comment: string | null;

  @Column('boolean', { name: 'late', default: false })
  late: boolean;

  /** Added to the survey roll-ups yet? Set by the background roll-up, exactly once. */
  @Column('boolean', { name: 'tallied', default: false })
  tallied: boolean;
}
