import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Role } from './enums';

/**
 * One accepted change (API.md, "Audit history"): who typed it, as what
 * role, which mutation, about which unit and year, and the values it
 * changed. Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE
 * (migrations/1795540000000-AuditEntries.ts).
 */
@Entity({ name: 'audit_entry' })
@Index('ix_audit_entry_year', ['year', 'id'])
@Index('ix_audit_entry_unit', ['unitCode', 'id'])
@Index('ix_audit_entry_actor', ['actor', 'id'])
@Index('ix_audit_entry_operation', ['operation', 'id'])
export class AuditEntry {
  /** Also the order: a later entry has a higher id. */
  @PrimaryGeneratedColumn('identity', { name: 'id', type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_audit_entry' })
  id: string;

  /** When the change's transaction wrote it (clock time, not the transaction's start). */
  @Column('timestamptz', { name: 'at', default: () => 'clock_timestamp()' })
  at: Date;

  /** The principal's name (a token's name, a kiosk's label), or 'system'. */
  @Column('text', { name: 'actor' })
  actor: string;

  /** Null for the system (background work, the CLI). */
  @Column('enum', { name: 'role', enum: Role, enumName: 'role', nullable: true })
  role: Role | null;

  /** The mutation's (or upload's) name. */
  @Column('text', { name: 'operation' })
  operation: string;

  @Column('text', { name: 'unit_code', nullable: true })
  unitCode: string | null;

  @Column('int', { name: 'year', nullable: true })
  year: number | null;

  /** What was changed, in words a reader recognises (a criterion's code, a token's name...). */
  @Column('text', { name: 'target', nullable: true })
  target: string | null;

  @Column('jsonb', { name: 'before', nullable: true })
  before: unknown;

  @Column('jsonb', { name: 'after', nullable: true })
  after: unknown;
}
