import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { Cycle } from './cycle.entity';
import { Unit } from './unit.entity';

/** A unit's computed index for a cycle (year and kind), stored so that reads never recompute. */
@Entity({ name: 'index_result' })
@Index('ix_index_result_position', ['cycleId', 'position'])
@Check('ck_index_result_score', `"score" BETWEEN 0 AND 100`)
export class IndexResult {
  @PrimaryColumn('int', { name: 'cycle_id' })
  cycleId: number;

  @ManyToOne(() => Cycle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cycle_id', foreignKeyConstraintName: 'fk_index_result_cycle' })
  cycle?: Cycle;

  @Index('ix_index_result_unit')
  @PrimaryColumn('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_index_result_unit' })
  unit?: Unit;

  /** The index, rounded half-up to two decimals. */
  @Column('numeric', { name: 'score', precision: 5, scale: 2 })
  score: string;

  @Column('numeric', { name: 'expert_score', precision: 5, scale: 2, nullable: true })
  expertScore: string | null;

  @Column('numeric', { name: 'survey_score', precision: 5, scale: 2, nullable: true })
  surveyScore: string | null;

  /** Exact earned and maximum points (unrounded). */
  @Column('numeric', { name: 'earned_points' })
  earnedPoints: string;

  @Column('numeric', { name: 'max_points' })
  maxPoints: string;

  @Column('int', { name: 'rank' })
  rank: number;

  /** Rank among communes of the same parent; null for other kinds. */
  @Column('int', { name: 'parent_rank', nullable: true })
  parentRank: number | null;

  /** Place in the cycle's ranking order (rank, then Vietnamese name, then code), from 1. */
  @Column('int', { name: 'position', default: 0 })
  position: number;

  /** Place among communes of the same parent; null for other kinds. */
  @Column('int', { name: 'parent_position', nullable: true })
  parentPosition: number | null;

  @Column('int', { name: 'previous_rank', nullable: true })
  previousRank: number | null;

  @Column('varchar', { name: 'band_code', length: 64, nullable: true })
  bandCode: string | null;

  @Column('int', { name: 'responses', default: 0 })
  responses: number;

  @Column('boolean', { name: 'survey_insufficient', default: false })
  surveyInsufficient: boolean;

  @Column('boolean', { name: 'provisional', default: true })
  provisional: boolean;

  @Column('boolean', { name: 'published', default: false })
  published: boolean;

  @UpdateDateColumn({ name: 'computed_at', type: 'timestamptz' })
  computedAt: Date;
}
