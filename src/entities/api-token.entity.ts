import { Check, Column, CreateDateColumn, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Role } from './enums';
import { Unit } from './unit.entity';

/**
 * A bearer token for a person or system with a role. Only its SHA-256 hash
 * is stored. A UNIT token is bound to one unit (and only a UNIT token is).
 */
@Entity({ name: 'api_token' })
@Check('ck_api_token_unit', `("role"::text = 'UNIT') = ("unit_id" IS NOT NULL)`)
export class ApiToken {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS' })
  id: number;

  /** What the API shows and takes as the token's ID (tokens, revokeToken): random, so it tells nothing about other tokens. */
  @Index('uq_api_token_public_id', { unique: true })
  @Column('uuid', { name: 'public_id' })
  @Generated('uuid') // gen_random_uuid() by the migration
  publicId: string;

  @Column('enum', { name: 'role', enum: Role, enumName: 'role' })
  role: Role;

  @Column('text', { name: 'name' })
  name: string;

  @Index('uq_api_token_hash', { unique: true })
  @Column('char', { name: 'token_hash', length: 64 })
  tokenHash: string;

  /** The unit a UNIT token acts for; null for every other role. */
  @Index('ix_api_token_unit')
  @Column('int', { name: 'unit_id', nullable: true })
  unitId: number | null;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_api_token_unit' })
  unit?: Unit | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When a request last came with it, to about a minute (AuthService.touch). */
  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
