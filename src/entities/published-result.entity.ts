import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Criterion } from './criterion.entity';
import { Publication } from './publication.entity';
import { Unit } from './unit.entity';

/**
 * A published version's results, as index_result held them when the version
 * was published: the same columns, plus the version. index_result stays the
 * working copy (the latest published version, or an amendment in progress);
 * this archive is what is read of a version that is not the working copy.
 */
@Entity({ name: 'published_result' })
@Index('ix_published_result_position', ['cycleId', 'version', 'position'])
@Index('ix_published_result_unit', ['unitId'])
export class PublishedResult {
  @PrimaryColumn('int', { name: 'cycle_id', primaryKeyConstraintName: 'pk_published_result' })
  cycleId: number;

  @PrimaryColumn('int', { name: 'version', primaryKeyConstraintName: 'pk_published_result' })
  version: number;

  @ManyToOne(() => Publication, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'cycle_id', referencedColumnName: 'cycleId', foreignKeyConstraintName: 'fk_published_result_publication' },
    { name: 'version', referencedColumnName: 'version', foreignKeyConstraintName: 'fk_published_result_publication' },
  ])
  publication?: Publication;

  @PrimaryColumn('int', { name: 'unit_id', primaryKeyConstraintName: 'pk_published_result' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_published_result_unit' })
  unit?: Unit;

  @Column('numeric', { name: 'score', precision: 5, scale: 2 }) score: string;
  @Column('numeric', { name: 'expert_score', precision: 5, scale: 2, nullable: true }) expertScore: string | null;
  @Column('numeric', { name: 'survey_score', precision: 5, scale: 2, nullable: true }) surveyScore: string | null;
  @Column('numeric', { name: 'earned_points' }) earnedPoints: string;
  @Column('numeric', { name: 'max_points' }) maxPoints: string;
  @Column('int', { name: 'rank' }) rank: number;
  @Column('int', { name: 'parent_rank', nullable: true }) parentRank: number | null;
  @Column('int', { name: 'position' }) position: number;
  @Column('int', { name: 'parent_position', nullable: true }) parentPosition: number | null;
  @Column('int', { name: 'previous_rank', nullable: true }) previousRank: number | null;
  @Column('varchar', { name: 'band_code', length: 64, nullable: true }) bandCode: string | null;
  @Column('int', { name: 'responses' }) responses: number;
  @Column('boolean', { name: 'survey_insufficient' }) surveyInsufficient: boolean;
  @Column('boolean', { name: 'provisional' }) provisional: boolean;
  @Column('boolean', { name: 'published' }) published: boolean;
  @Column('timestamptz', { name: 'computed_at' }) computedAt: Date;
}

/** A published version's domain results (domain_result as it was). */
@Entity({ name: 'published_domain_result' })
@Index('ix_published_domain_result_position', ['cycleId', 'version', 'domainId', 'position'])
export class PublishedDomainResult {
  @PrimaryColumn('int', { name: 'cycle_id', primaryKeyConstraintName: 'pk_published_domain_result' })
  cycleId: number;

  @PrimaryColumn('int', { name: 'version', primaryKeyConstraintName: 'pk_published_domain_result' })
  version: number;

  @PrimaryColumn('int', { name: 'unit_id', primaryKeyConstraintName: 'pk_published_domain_result' })
  unitId: number;

  /** The unit's archived result of the version; deleting it (a unit, a cycle) cascades. */
  @ManyToOne(() => PublishedResult, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'cycle_id', referencedColumnName: 'cycleId', foreignKeyConstraintName: 'fk_published_domain_result_result' },
    { name: 'version', referencedColumnName: 'version', foreignKeyConstraintName: 'fk_published_domain_result_result' },
    { name: 'unit_id', referencedColumnName: 'unitId', foreignKeyConstraintName: 'fk_published_domain_result_result' },
  ])
  result?: PublishedResult;

  @PrimaryColumn('int', { name: 'domain_id', primaryKeyConstraintName: 'pk_published_domain_result' })
  domainId: number;

  @ManyToOne(() => Criterion, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'domain_id', foreignKeyConstraintName: 'fk_published_domain_result_domain' })
  domain?: Criterion;

  @Column('numeric', { name: 'score', precision: 5, scale: 2, nullable: true }) score: string | null;
  @Column('numeric', { name: 'earned_points' }) earnedPoints: string;
  @Column('numeric', { name: 'max_points' }) maxPoints: string;
  @Column('int', { name: 'rank', nullable: true }) rank: number | null;
  @Column('int', { name: 'position' }) position: number;
}
