import { Check, Column, Generated, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { UnitKind } from './enums';

/** A body under the province: a department, a district, or a commune under its district. */
@Entity({ name: 'unit' })
// Made by the migration (trigram and ICU-collated indexes TypeORM cannot describe).
@Index('ix_unit_search_trgm', { synchronize: false })
@Index('ix_unit_name_vi', { synchronize: false })
@Check('ck_unit_code', `"code" ~ '^[A-Z0-9_.-]{1,64}$'`)
@Check('ck_unit_commune_parent', `("kind" = 'COMMUNE') = ("parent_id" IS NOT NULL)`)
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

  @Column('text', { name: 'name' })
  name: string;

  @Index('ix_unit_kind')
  @Column('enum', { name: 'kind', enum: UnitKind, enumName: 'unit_kind' })
  kind: UnitKind;

  @Index('ix_unit_parent')
  @Column('int', { name: 'parent_id', nullable: true })
  parentId: number | null;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'fk_unit_parent' })
  parent?: Unit | null;

  /** Name and code folded for search: lower case, no diacritics, "đ" as "d". Trigram-indexed. */
  @Column('text', { name: 'search_text' })
  searchText: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
