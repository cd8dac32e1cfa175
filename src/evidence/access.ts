import { ownUnitOf, type Principal } from '../auth/principal';
import { Role } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';

/**
 * Who may do what with evidence files and explanation requests (API.md,
 * "Assessment, notes and explanation requests", "Evidence files"), in one
 * place: a UNIT token acts for its own unit only; APPRAISER, ANALYST and
 * ADMIN read every unit's; APPRAISER and ADMIN ask and close; nobody else
 * sees anything.
 */

/** The unit a UNIT token acts for; null for anyone else. */
export const unitOfToken = ownUnitOf;

const READERS: ReadonlySet<Role> = new Set([Role.APPRAISER, Role.ANALYST, Role.ADMIN]);

/** Whether the caller reads every unit's evidence and requests. */
export function readsAll(principal: Principal | null): boolean {
  return principal?.kind === 'token' && READERS.has(principal.role);
}

/** Whether the caller reads this unit's evidence and requests: the readers of all, and the unit itself. */
export function readsUnit(principal: Principal | null, unitId: number): boolean {
  return readsAll(principal) || unitOfToken(principal) === unitId;
}

export const isAdmin = (principal: Principal | null): boolean => principal?.kind === 'token' && principal.role === Role.ADMIN;

/** Refuses anonymous callers (UNAUTHENTICATED) and roles outside `roles` (FORBIDDEN), naming the operation. */
export function requireRole(principal: Principal | null, operation: string, roles: Role[]): Principal {
  if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, `${operation} needs a bearer token with one of the roles ${roles.join(', ')}`);
  if (!roles.includes(principal.role)) throw new AppError(ErrorCode.FORBIDDEN, `${operation} is allowed to ${roles.join(', ')}, not to ${principal.role}`);
  return principal;
}
