import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Cycle } from './cycle.entity';

/**
 * One version of a cycle's published decision ("quyết định công bố", then
 * each "quyết định điều chỉnh"): version 1 is the first publication, each
 * amendment the next. An amendment in progress is the cycle's one row
 * without `published_at`; publishing it sets it.
 */
@Entity({ name: 'publication' })
@Check('ck_publication_version', `"version" >= 1`)
// At most one amendment in progress per cycle.
@Index('uq_publication_amending', ['cycleId'], { unique: true, where: '"published_at" IS NULL' })
export class Publication {
  @PrimaryColumn('int', { name: 'cycle_id', primaryKeyConstraintName: 'pk_publication' })
  cycleId: number;

  @ManyToOne(() => Cycle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cycle_id', foreignKeyConstraintName: 'fk_publication_cycle' })
  cycle?: Cycle;

  @PrimaryColumn('int', { name: 'version', primaryKeyConstraintName: 'pk_publication' })
  version: number;

  /** Why the decision was amended; null for the first publication. */
  @Column('text', { name: 'reason', nullable: true })
  reason: string | null;

  /** The amending decision's number ("Quyết định số …"). */
  @Column('varchar', { name: 'decision_ref', length: 200, nullable: true })
  decisionRef: string | null;

  /** Whether survey responses stored after the first publication (flagged late) count in this version. */
  @Column('boolean', { name: 'include_late_responses', default: false })
  includeLateResponses: boolean;

  @Column('timestamptz', { name: 'opened_at', default: () => 'now()' })
  openedAt: Date;

  /** Null while the amendment is in progress. */
  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;
}
