import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Cycle } from './cycle.entity';
import { ScoreRound } from './enums';
import { Unit } from './unit.entity';

/**
 * When a round of a cycle takes scores ("thời hạn", DOMAIN.md "The year
 * around the figures"): from opens_at, up to (not including) closes_at. A
 * round without a row takes scores while its cycle is OPEN.
 */
@Entity({ name: 'round_window' })
@Check('ck_round_window_range', `"opens_at" < "closes_at"`)
export class RoundWindow {
  @PrimaryColumn('int', { name: 'cycle_id', primaryKeyConstraintName: 'pk_round_window' })
  cycleId: number;

  @ManyToOne(() => Cycle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cycle_id', foreignKeyConstraintName: 'fk_round_window_cycle' })
  cycle?: Cycle;

  @PrimaryColumn('enum', { name: 'round', enum: ScoreRound, enumName: 'score_round', primaryKeyConstraintName: 'pk_round_window' })
  round: ScoreRound;

  @Column('timestamptz', { name: 'opens_at' })
  opensAt: Date;

  @Column('timestamptz', { name: 'closes_at' })
  closesAt: Date;
}

/** A later close of a round's window for one unit (an extension the province grants a late unit). */
@Entity({ name: 'round_window_extension' })
export class RoundWindowExtension {
  @PrimaryColumn('int', { name: 'cycle_id', primaryKeyConstraintName: 'pk_round_window_extension' })
  cycleId: number;

  @ManyToOne(() => Cycle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cycle_id', foreignKeyConstraintName: 'fk_round_window_extension_cycle' })
  cycle?: Cycle;

  @PrimaryColumn('enum', { name: 'round', enum: ScoreRound, enumName: 'score_round', primaryKeyConstraintName: 'pk_round_window_extension' })
  round: ScoreRound;

  @PrimaryColumn('int', { name: 'unit_id', primaryKeyConstraintName: 'pk_round_window_extension' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_round_window_extension_unit' })
  unit?: Unit;

  @Column('timestamptz', { name: 'closes_at' })
  closesAt: Date;
}
