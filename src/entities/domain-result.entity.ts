import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Criterion } from './criterion.entity';
import { IndexResult } from './index-result.entity';

/** A unit's index for one domain of a cycle, with its rank among the cycle's units. */
@Entity({ name: 'domain_result' })
@Index('ix_domain_result_position', ['domainId', 'position'])
export class DomainResult {
  @PrimaryColumn('int', { name: 'cycle_id' })
  cycleId: number;

  @PrimaryColumn('int', { name: 'unit_id' })
  unitId: number;

  /**
   * The unit's result of the cycle: one foreign key where a cycle and a unit
   * key would be two checks per row (a recomputation inserts tens of
   * thousands). Deleting a unit or a cycle cascades through index_result.
   */
  @ManyToOne(() => IndexResult, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'cycle_id', referencedColumnName: 'cycleId', foreignKeyConstraintName: 'fk_domain_result_index_result' },
    { name: 'unit_id', referencedColumnName: 'unitId', foreignKeyConstraintName: 'fk_domain_result_index_result' },
  ])
  result?: IndexResult;

  @PrimaryColumn('int', { name: 'domain_id' })
  domainId: number;

  @ManyToOne(() => Criterion, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'domain_id', foreignKeyConstraintName: 'fk_domain_result_domain' })
  domain?: Criterion;

  /** Null when no leaf of the domain applies to the unit. */
  @Column('numeric', { name: 'score', precision: 5, scale: 2, nullable: true })
  score: string | null;

  @Column('numeric', { name: 'earned_points' })
  earnedPoints: string;

  @Column('numeric', { name: 'max_points' })
  maxPoints: string;

  @Column('int', { name: 'rank', nullable: true })
  rank: number | null;

  /** Place in the domain's ranking order (rank, then Vietnamese name, then code), from 1. */
  @Column('int', { name: 'position', default: 0 })
  position: number;
}
