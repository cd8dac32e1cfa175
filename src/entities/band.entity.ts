import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Cycle } from './cycle.entity';

/** A classification band of a framework; bands are ordered highest first by position. */
@Entity({ name: 'band' })
@Index('uq_band_cycle_code', ['cycleId', 'code'], { unique: true })
@Check('ck_band_min_score', `"min_score" >= 0 AND "min_score" <= 100`)
export class Band {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('int', { name: 'cycle_id' })
  cycleId: number;

  @ManyToOne(() => Cycle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cycle_id', foreignKeyConstraintName: 'fk_band_cycle' })
  cycle?: Cycle;

  @Column('varchar', { name: 'code', length: 64 })
  code: string;

  @Column('text', { name: 'label' })
  label: string;

  @Column('numeric', { name: 'min_score', precision: 5, scale: 2 })
  minScore: string;

  @Column('int', { name: 'position' })
  position: number;
}
