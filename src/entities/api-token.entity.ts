import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Role } from './enums';

/** A bearer token for a person or system with a role. Only its SHA-256 hash is stored. */
@Entity({ name: 'api_token' })
export class ApiToken {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('enum', { name: 'role', enum: Role, enumName: 'role' })
  role: Role;

  @Column('text', { name: 'name' })
  name: string;

  @Index('uq_api_token_hash', { unique: true })
  @Column('char', { name: 'token_hash', length: 64 })
  tokenHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
