import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Unit } from './unit.entity';

/**
 * Lineage as a graph: `successor` was formed from `predecessor` (with
 * others, when several merged) in `from_year`. A unit split into several
 * has several successors.
 */
@Entity({ name: 'unit_lineage' })
@Check('ck_unit_lineage_distinct', `"predecessor_id" <> "successor_id"`)
export class UnitLineage {
  @PrimaryColumn('int', { name: 'predecessor_id', primaryKeyConstraintName: 'pk_unit_lineage' })
  predecessorId: number;

  @Index('ix_unit_lineage_successor')
  @PrimaryColumn('int', { name: 'successor_id', primaryKeyConstraintName: 'pk_unit_lineage' })
  successorId: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'predecessor_id', foreignKeyConstraintName: 'fk_unit_lineage_predecessor' })
  predecessor?: Unit;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'successor_id', foreignKeyConstraintName: 'fk_unit_lineage_successor' })
  successor?: Unit;

  @Column('int', { name: 'from_year' })
  fromYear: number;
}
