import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Unit } from './unit.entity';

/**
 * A unit's name from a year on: the name of year Y is the row with
 * from_year <= Y <= to_year (to_year null: until the next rename, or
 * forever). `to_year` is the next row's from_year − 1, kept by UnitService
 * so that a year's names are one join. The first row starts at the unit's
 * first year (a trigger adds it with the unit).
 */
@Entity({ name: 'unit_name' })
@Index('uq_unit_name_year', ['unitId', 'fromYear'], { unique: true })
@Check('ck_unit_name_years', `"to_year" IS NULL OR "to_year" >= "from_year"`)
export class UnitName {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_unit_name' })
  id: number;

  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_unit_name_unit' })
  unit?: Unit;

  @Column('int', { name: 'from_year' })
  fromYear: number;

  @Column('int', { name: 'to_year', nullable: true })
  toYear: number | null;

  @Column('text', { name: 'name' })
  name: string;
}
