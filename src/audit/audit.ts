import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import type { Role } from '../entities/enums';
import { slot } from '../util/async-context';

/** One change as a mutation describes it (API.md, "Audit history"). */
export interface AuditChange {
  operation: string;
  unitCode?: string | null;
  year?: number | null;
  target?: string | null;
  before?: unknown;
  after?: unknown;
}

/** Who typed the request: a principal's name and role, or the system (role null). */
export interface AuditActor {
  actor: string;
  role: Role | null;
}

const SYSTEM: AuditActor = { actor: 'system', role: null };

const current = slot<AuditActor>('actor');

/** Runs `fn` with the request's actor (who typed it) known to recordAudit: actor name, role (null for system). */
export function withAuditActor<T>(actor: AuditActor, fn: () => T): T {
  return current.run({ actor: actor.actor, role: actor.role }, fn);
}

/** The actor recordAudit would write now: the request's, else the system. */
export function currentAuditActor(): AuditActor {
  return current.getStore() ?? SYSTEM;
}

/** undefined (nothing said) is stored as SQL NULL; any other value as JSON (a JSON null stays JSON null). */
function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Writes one append-only audit entry in the caller's transaction (`manager` must be the transaction's EntityManager). */
export async function recordAudit(manager: EntityManager, change: AuditChange): Promise<void> {
  const { actor, role } = currentAuditActor();
  await manager.query(
    `INSERT INTO "audit_entry" ("actor", "role", "operation", "unit_code", "year", "target", "before", "after")
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)`,
    [actor, role, change.operation, change.unitCode ?? null, change.year ?? null, change.target ?? null,
      json(change.before), json(change.after)],
  );
}

/** The actor of a request's principal: its name (a token's name, a kiosk's label) and role; nobody is 'anonymous'. */
export function auditActorOf(principal: Principal | null): AuditActor {
  return principal === null ? { actor: 'anonymous', role: null } : { actor: principal.name, role: principal.role };
}
