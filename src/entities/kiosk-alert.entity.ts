import { Check, Column, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Kiosk } from './kiosk.entity';
import { SurveyResponse } from './survey-response.entity';
import { Unit } from './unit.entity';

export enum KioskAlertRule { BURST = 'BURST', STREAK = 'STREAK', OFF_HOURS = 'OFF_HOURS', CLOCK_SKEW = 'CLOCK_SKEW' }
export enum KioskAlertStatus { OPEN = 'OPEN', DISMISSED = 'DISMISSED', QUARANTINED = 'QUARANTINED' }

/**
 * Ratings no citizen could have given (DOMAIN.md, "Kiosk alerts"), flagged
 * by the background detector (src/live/alerts/detector.ts) for a person to
 * judge. One alert covers one kiosk's responses of one year and unit; which
 * responses exactly is kiosk_alert_response. While QUARANTINED its
 * responses are out of every figure (still stored).
 */
@Entity({ name: 'kiosk_alert' })
@Index('ix_kiosk_alert_kiosk', ['kioskId', 'rule'])
@Index('ix_kiosk_alert_unit_year', ['unitId', 'year'])
@Check('ck_kiosk_alert_rule', `"rule" IN ('BURST', 'STREAK', 'OFF_HOURS', 'CLOCK_SKEW')`)
@Check('ck_kiosk_alert_status', `"status" IN ('OPEN', 'DISMISSED', 'QUARANTINED')`)
@Check('ck_kiosk_alert_range', `"from_at" <= "to_at" AND "responses" >= 1`)
export class KioskAlert {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_kiosk_alert' })
  id: number;

  /** What the API shows as the alert's ID (opaque, as every ID). */
  @Index('uq_kiosk_alert_public_id', { unique: true })
  @Column('uuid', { name: 'public_id' })
  @Generated('uuid')
  publicId: string;

  @Column('int', { name: 'kiosk_id' })
  kioskId: number;

  @ManyToOne(() => Kiosk, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'kiosk_id', foreignKeyConstraintName: 'fk_kiosk_alert_kiosk' })
  kiosk?: Kiosk;

  /** The unit the responses count for, and their year. */
  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_kiosk_alert_unit' })
  unit?: Unit;

  @Column('int', { name: 'year' })
  year: number;

  @Column('varchar', { name: 'rule', length: 16 })
  rule: KioskAlertRule;

  @Column('varchar', { name: 'status', length: 16, default: KioskAlertStatus.OPEN })
  status: KioskAlertStatus;

  @Column('timestamptz', { name: 'detected_at', default: () => 'now()' })
  detectedAt: Date;

  /** The first and last submittedAt of its responses. */
  @Column('timestamptz', { name: 'from_at' })
  fromAt: Date;

  @Column('timestamptz', { name: 'to_at' })
  toAt: Date;

  @Column('int', { name: 'responses' })
  responses: number;

  @Column('timestamptz', { name: 'resolved_at', nullable: true })
  resolvedAt: Date | null;

  /** Who resolved it last (the token's name); the audit history keeps every resolution. */
  @Column('text', { name: 'resolved_by', nullable: true })
  resolvedBy: string | null;
}

/** The responses of an alert, exactly: what QUARANTINE takes out and RELEASE puts back. */
@Entity({ name: 'kiosk_alert_response' })
export class KioskAlertResponse {
  @PrimaryColumn('int', { name: 'alert_id', primaryKeyConstraintName: 'pk_kiosk_alert_response' })
  alertId: number;

  @ManyToOne(() => KioskAlert, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'alert_id', foreignKeyConstraintName: 'fk_kiosk_alert_response_alert' })
  alert?: KioskAlert;

  @Index('ix_kiosk_alert_response_response')
  @PrimaryColumn('bigint', { name: 'response_id', primaryKeyConstraintName: 'pk_kiosk_alert_response' })
  responseId: string;

  @ManyToOne(() => SurveyResponse, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'response_id', foreignKeyConstraintName: 'fk_kiosk_alert_response_response' })
  response?: SurveyResponse;
}

/** How far the detector has looked: responses with a higher id are new to it. One row. */
@Entity({ name: 'kiosk_alert_scan' })
@Check('ck_kiosk_alert_scan_one', `"id" = 1`)
export class KioskAlertScan {
  @PrimaryColumn('smallint', { name: 'id', primaryKeyConstraintName: 'pk_kiosk_alert_scan' })
  id: number;

  @Column('bigint', { name: 'last_response_id', default: 0 })
  lastResponseId: string;
}
