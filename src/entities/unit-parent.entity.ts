import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Unit } from './unit.entity';

/**
 * A unit's parent from a year on (null: directly under the province), by
 * years like unit_name. A parent that does not exist in a year (a district
 * from 2025) is read as none that year.
 */
@Entity({ name: 'unit_parent' })
@Index('uq_unit_parent_year', ['unitId', 'fromYear'], { unique: true })
@Check('ck_unit_parent_years', `"to_year" IS NULL OR "to_year" >= "from_year"`)
export class UnitParent {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_unit_parent' })
  id: number;

  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_unit_parent_unit' })
  unit?: Unit;

  @Column('int', { name: 'from_year' })
  fromYear: number;

  @Column('int', { name: 'to_year', nullable: true })
  toYear: number | null;

  @Index('ix_unit_parent_parent')
  @Column('int', { name: 'parent_id', nullable: true })
  parentId: number | null;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'fk_unit_parent_parent' })
  parent?: Unit | null;
}
