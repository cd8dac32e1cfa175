import { Check, Column, Generated, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { UnitKind } from './enums';

/**
 * A body under the province: a department, a district, or a commune. A unit
 * has years (firstYear to lastYear, null: still exists), and a name and a
 * parent per year (unit_name, unit_parent); `name` and `parent_id` here are
 * its latest ones, kept by UnitService beside that history. DISTRICT exists
 * up to 2024 (districts were abolished on 1 July 2025).
 */
@Entity({ name: 'unit' })
// Made by the migration (trigram and ICU-collated indexes TypeORM cannot describe).
@Index('ix_unit_search_trgm', { synchronize: false })
@Index('ix_unit_name_vi', { synchronize: false })
@Check('ck_unit_code', `"code" ~ '^[A-Z0-9_.-]{1,64}$'`)
@Check('ck_unit_parent_kind', `"kind" = 'COMMUNE' OR "parent_id" IS NULL`)
@Check('ck_unit_years', `"first_year" BETWEEN 2000 AND 2100 AND ("last_year" IS NULL OR "last_year" BETWEEN "first_year" AND 2100)`)
@Check('ck_unit_district_years', `"kind" <> 'DISTRICT' OR ("first_year" <= 2024 AND ("last_year" IS NULL OR "last_year" <= 2024))`)
export class Unit {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS' })
  id: number;

  /** What the API shows and takes as the unit's ID: random, so it tells nothing about other units (API.md: IDs are opaque). */
  @Index('uq_unit_public_id', { unique: true })
  @Column('uuid', { name: 'public_id' })
  @Generated('uuid') // gen_random_uuid() by the migration: TypeORM reads that default as a generated uuid
  publicId: string;

  @Index('uq_unit_code', { unique: true })
  @Column('varchar', { name: 'code', length: 64 })
  code: string;

  /** The latest name (unit_name holds every name by year). */
  @Column('text', { name: 'name' })
  name: string;

  /** The first year the unit exists; 2000 (the first year the service knows) when it has no earlier limit. */
  @Column('int', { name: 'first_year', default: 2000 })
  firstYear: number;

  /** The last year it exists; null while it still does. */
  @Column('int', { name: 'last_year', nullable: true })
  lastYear: number | null;

  @Index('ix_unit_kind')
  @Column('enum', { name: 'kind', enum: UnitKind, enumName: 'unit_kind' })
  kind: UnitKind;

  /** The latest parent (unit_parent holds the parent by year); null: directly under the province. */
  @Index('ix_unit_parent')
  @Column('int', { name: 'parent_id', nullable: true })
  parentId: number | null;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'fk_unit_parent' })
  parent?: Unit | null;

  /** Every name the unit had and its code, folded for search: lower case, no diacritics, "đ" as "d". Trigram-indexed. */
  @Column('text', { name: 'search_text' })
  searchText: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
