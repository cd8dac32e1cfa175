import { Role } from '../entities/enums';

/** Who is calling: a person or system with an API token, a kiosk, or nobody. */
export type Principal =
  | { kind: 'token'; role: Exclude<Role, Role.KIOSK>; name: string; tokenId: number }
  | { kind: 'kiosk'; role: Role.KIOSK; name: string; kioskId: number; unitId: number };

/** Roles that read provisional (unpublished) results. */
export function canSeeProvisional(principal: Principal | null): boolean {
  return principal !== null && principal.role !== Role.KIOSK;
}
