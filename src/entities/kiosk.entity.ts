import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Unit } from './unit.entity';

/** A survey device at a unit's reception desk. Its token is kept only as a SHA-256 hash. */
@Entity({ name: 'kiosk' })
export class Kiosk {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS' })
  id: number;

  @Index('ix_kiosk_unit')
  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_kiosk_unit' })
  unit?: Unit;

  @Column('text', { name: 'label' })
  label: string;

  @Index('uq_kiosk_token_hash', { unique: true })
  @Column('char', { name: 'token_hash', length: 64 })
  tokenHash: string;

  @Column('boolean', { name: 'active', default: true })
  active: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
