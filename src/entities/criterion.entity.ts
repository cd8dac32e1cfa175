import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Cycle } from './cycle.entity';
import { CriterionSource } from './enums';

/**
 * A node of a framework's tree. Domains are the roots (depth 0, no parent);
 * criteria and sub-criteria hang below to any depth. Leaves carry a source;
 * an inner node's maximum is the sum of its children's.
 */
@Entity({ name: 'criterion' })
@Index('uq_criterion_cycle_code', ['cycleId', 'code'], { unique: true })
@Check('ck_criterion_max_points', `"max_points" > 0`)
@Check('ck_criterion_domain_shape', `("depth" = 0) = ("parent_id" IS NULL) AND ("depth" > 0 OR "source" IS NULL)`)
export class Criterion {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('int', { name: 'cycle_id' })
  cycleId: number;

  @ManyToOne(() => Cycle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cycle_id', foreignKeyConstraintName: 'fk_criterion_cycle' })
  cycle?: Cycle;

  @Index('ix_criterion_parent')
  @Column('int', { name: 'parent_id', nullable: true })
  parentId: number | null;

  @ManyToOne(() => Criterion, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'fk_criterion_parent' })
  parent?: Criterion | null;

  @Column('varchar', { name: 'code', length: 64 })
  code: string;

  @Column('text', { name: 'name' })
  name: string;

  @Column('numeric', { name: 'max_points', precision: 7, scale: 2 })
  maxPoints: string;

  /** EXPERT or SURVEY on leaves; null on domains and inner criteria. */
  @Column('enum', { name: 'source', enum: CriterionSource, enumName: 'criterion_source', nullable: true })
  source: CriterionSource | null;

  /** 0 for a domain. */
  @Column('int', { name: 'depth' })
  depth: number;

  /** Order among siblings. */
  @Column('int', { name: 'position' })
  position: number;
}
