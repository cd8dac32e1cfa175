import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { CycleStatus, PanelAggregation, UnitKind } from './enums';

/** A year's framework for one unit kind, with its rules and its status. */
@Entity({ name: 'cycle' })
@Index('uq_cycle_year_kind', ['year', 'unitKind'], { unique: true })
@Check('ck_cycle_year', `"year" BETWEEN 2000 AND 2100`)
@Check('ck_cycle_min_responses', `"min_responses" >= 1`)
@Check('ck_cycle_caps', `"max_bonus" >= 0 AND "max_penalty" >= 0`)
export class Cycle {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('int', { name: 'year' })
  year: number;

  @Column('enum', { name: 'unit_kind', enum: UnitKind, enumName: 'unit_kind' })
  unitKind: UnitKind;

  @Column('enum', { name: 'status', enum: CycleStatus, enumName: 'cycle_status', default: CycleStatus.DRAFT })
  status: CycleStatus;

  @Column('int', { name: 'min_responses', default: 30 })
  minResponses: number;

  @Column('enum', { name: 'panel_aggregation', enum: PanelAggregation, enumName: 'panel_aggregation', default: PanelAggregation.MEAN })
  panelAggregation: PanelAggregation;

  @Column('numeric', { name: 'max_bonus', precision: 7, scale: 2, default: 0 })
  maxBonus: string;

  @Column('numeric', { name: 'max_penalty', precision: 7, scale: 2, default: 0 })
  maxPenalty: string;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
