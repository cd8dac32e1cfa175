import { Role } from '../entities/enums';

/**
 * Who is calling: a person or system with an API token, a kiosk, or nobody.
 * A UNIT token carries its unit (`unitId`, `unitCode`); other tokens have
 * none (null, or left out where a principal is made by hand).
 */
export type Principal =
  | { kind: 'token'; role: Exclude<Role, Role.KIOSK>; name: string; tokenId: number; unitId?: number | null; unitCode?: string | null }
  | { kind: 'kiosk'; role: Role.KIOSK; name: string; kioskId: number; unitId: number };

/** Roles that read every unit's provisional (unpublished) results. */
const PROVISIONAL_READERS: ReadonlySet<Role> = new Set([Role.ADMIN, Role.APPRAISER, Role.ANALYST]);

/**
 * Whether the caller reads every unit's provisional (unpublished) results:
 * ADMIN, APPRAISER, ANALYST. A UNIT token reads only its own unit's
 * (seesProvisionalOf); for everything else it is an anonymous reader.
 */
export function canSeeProvisional(principal: Principal | null): boolean {
  return principal !== null && PROVISIONAL_READERS.has(principal.role);
}

/** The unit a UNIT token acts for; null for anyone else (a kiosk's unit is not one it reads for). */
export function ownUnitOf(principal: Principal | null): number | null {
  return principal?.kind === 'token' && principal.role === Role.UNIT ? principal.unitId ?? null : null;
}

/** Whether the caller reads this unit's provisional results: the provisional readers, and a UNIT token of that unit. */
export function seesProvisionalOf(principal: Principal | null, unitId: number): boolean {
  return canSeeProvisional(principal) || ownUnitOf(principal) === unitId;
}

/** Whether a request's Authorization header is there and not blank; without one, the caller is an anonymous reader. */
export function hasToken(authorization: string | undefined): authorization is string {
  return authorization !== undefined && authorization.trim() !== '';
}
