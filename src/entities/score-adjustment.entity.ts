import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Cycle } from './cycle.entity';
import { ScoreRound } from './enums';
import { Unit } from './unit.entity';

/** A panelist's bonus and penalty points ("điểm thưởng", "điểm trừ") for a unit in a round. */
@Entity({ name: 'score_adjustment' })
@Index('uq_score_adjustment', ['unitId', 'cycleId', 'round', 'panelist'], { unique: true })
@Check('ck_score_adjustment_points', `("bonus" IS NULL OR "bonus" >= 0) AND ("penalty" IS NULL OR "penalty" >= 0)`)
export class ScoreAdjustment {
  @PrimaryGeneratedColumn('identity', { name: 'id', type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_score_adjustment_unit' })
  unit?: Unit;

  @Index('ix_score_adjustment_cycle')
  @Column('int', { name: 'cycle_id' })
  cycleId: number;

  @ManyToOne(() => Cycle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cycle_id', foreignKeyConstraintName: 'fk_score_adjustment_cycle' })
  cycle?: Cycle;

  @Column('enum', { name: 'round', enum: ScoreRound, enumName: 'score_round' })
  round: ScoreRound;

  @Column('text', { name: 'panelist' })
  panelist: string;

  @Column('numeric', { name: 'bonus', precision: 7, scale: 2, nullable: true })
  bonus: string | null;

  @Column('numeric', { name: 'penalty', precision: 7, scale: 2, nullable: true })
  penalty: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
