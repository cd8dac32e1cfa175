import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Criterion } from './criterion.entity';
import { ScoreRound } from './enums';
import { Unit } from './unit.entity';

/** One panelist's points (or not-applicable mark) for one unit, EXPERT leaf and round. */
@Entity({ name: 'expert_score' })
@Index('uq_expert_score', ['unitId', 'criterionId', 'round', 'panelist'], { unique: true })
// A name with no control character (src/util/text.ts): the recomputation splits a unit's scores on U+001E and U+001F.
@Check('ck_expert_score_panelist', `"panelist" !~ '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]'`)
@Check('ck_expert_score_points', `("not_applicable" AND "points" IS NULL) OR (NOT "not_applicable" AND "points" >= 0)`)
export class ExpertScore {
  @PrimaryGeneratedColumn('identity', { name: 'id', type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_expert_score_unit' })
  unit?: Unit;

  @Index('ix_expert_score_criterion')
  @Column('int', { name: 'criterion_id' })
  criterionId: number;

  @ManyToOne(() => Criterion, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'criterion_id', foreignKeyConstraintName: 'fk_expert_score_criterion' })
  criterion?: Criterion;

  @Column('enum', { name: 'round', enum: ScoreRound, enumName: 'score_round' })
  round: ScoreRound;

  @Column('text', { name: 'panelist' })
  panelist: string;

  @Column('numeric', { name: 'points', precision: 7, scale: 2, nullable: true })
  points: string | null;

  @Column('boolean', { name: 'not_applicable', default: false })
  notApplicable: boolean;

  @Column('text', { name: 'note', nullable: true })
  note: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** When its current value was typed (Unit.assessment's enteredAt). */
  @Column('timestamptz', { name: 'entered_at', default: () => 'now()' })
  enteredAt: Date;

  /** Who typed it: the request's token name (an ADMIN entering for a panelist is the ADMIN). */
  @Column('text', { name: 'entered_by' })
  enteredBy: string;
}
