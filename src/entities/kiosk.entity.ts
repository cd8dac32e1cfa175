import { Column, CreateDateColumn, Generated, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Unit } from './unit.entity';

/** A survey device at a unit's reception desk. Its token is kept only as a SHA-256 hash. */
@Entity({ name: 'kiosk' })
export class Kiosk {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS' })
  id: number;

  /** What the API shows and takes as the kiosk's ID: random, so it tells nothing about other kiosks (API.md: IDs are opaque). */
  @Index('uq_kiosk_public_id', { unique: true })
  @Column('uuid', { name: 'public_id' })
  @Generated('uuid') // gen_random_uuid() by the migration: TypeORM reads that default as a generated uuid
  publicId: string;

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
