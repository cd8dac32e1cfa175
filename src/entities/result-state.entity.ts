import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Cycle } from './cycle.entity';

/**
 * The version of a cycle's stored results: a fresh token at every write. A
 * process that remembers the rows it wrote under a token may send only the
 * rows that differ while the stored token is still its own.
 */
@Entity({ name: 'result_state' })
export class ResultState {
  @PrimaryColumn('int', { name: 'cycle_id', primaryKeyConstraintName: 'pk_result_state' })
  cycleId: number;

  @OneToOne(() => Cycle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cycle_id', foreignKeyConstraintName: 'fk_result_state_cycle' })
  cycle?: Cycle;

  @Column('uuid', { name: 'version' })
  version: string;

  @Column('timestamptz', { name: 'written_at' })
  writtenAt: Date;
}
