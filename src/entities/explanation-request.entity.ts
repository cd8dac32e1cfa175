import { Check, Column, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Criterion } from './criterion.entity';
import { Evidence } from './evidence.entity';
import { Unit } from './unit.entity';

/**
 * An appraiser asks a unit to explain ("giải trình") a leaf of a year by a
 * due date (DOMAIN.md, "The year around the figures"). Its status is read,
 * never stored: CLOSED once resolved, else ANSWERED once answered, else
 * OVERDUE past its due date, else OPEN.
 */
@Entity({ name: 'explanation_request' })
@Index('ix_explanation_request_unit_year', ['unitId', 'year'])
@Index('ix_explanation_request_year', ['year'])
@Check('ck_explanation_request_year', `"year" BETWEEN 2000 AND 2100`)
@Check('ck_explanation_request_answer', `("answer" IS NULL) = ("answered_at" IS NULL)`)
@Check('ck_explanation_request_closed', `("resolution" IS NULL) = ("closed_at" IS NULL)`)
export class ExplanationRequest {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_explanation_request' })
  id: number;

  @Index('uq_explanation_request_public_id', { unique: true })
  @Column('uuid', { name: 'public_id' })
  @Generated('uuid')
  publicId: string;

  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_explanation_request_unit' })
  unit?: Unit;

  @Column('int', { name: 'year' })
  year: number;

  @Index('ix_explanation_request_criterion')
  @Column('int', { name: 'criterion_id' })
  criterionId: number;

  @ManyToOne(() => Criterion, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'criterion_id', foreignKeyConstraintName: 'fk_explanation_request_criterion' })
  criterion?: Criterion;

  @Column('text', { name: 'question' })
  question: string;

  @Column('timestamptz', { name: 'due_at' })
  dueAt: Date;

  @Column('timestamptz', { name: 'requested_at', default: () => 'now()' })
  requestedAt: Date;

  /** The token's name of who asked. */
  @Column('text', { name: 'requested_by' })
  requestedBy: string;

  @Column('text', { name: 'answer', nullable: true })
  answer: string | null;

  @Column('timestamptz', { name: 'answered_at', nullable: true })
  answeredAt: Date | null;

  @Column('text', { name: 'answered_by', nullable: true })
  answeredBy: string | null;

  @Column('text', { name: 'resolution', nullable: true })
  resolution: string | null;

  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt: Date | null;

  @Column('text', { name: 'closed_by', nullable: true })
  closedBy: string | null;
}

/** The evidence files an answer points to (the unit's own, of the same leaf). */
@Entity({ name: 'explanation_request_evidence' })
export class ExplanationRequestEvidence {
  @PrimaryColumn('int', { name: 'request_id', primaryKeyConstraintName: 'pk_explanation_request_evidence' })
  requestId: number;

  @ManyToOne(() => ExplanationRequest, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'fk_explanation_request_evidence_request' })
  request?: ExplanationRequest;

  @Index('ix_explanation_request_evidence_evidence')
  @PrimaryColumn('int', { name: 'evidence_id', primaryKeyConstraintName: 'pk_explanation_request_evidence' })
  evidenceId: number;

  @ManyToOne(() => Evidence, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'evidence_id', foreignKeyConstraintName: 'fk_explanation_request_evidence_evidence' })
  evidence?: Evidence;
}
