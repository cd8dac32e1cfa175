/**
 * Where kiosk revocations are announced, and the generation that tells a
 * token lookup whether a revocation happened while it was in flight.
 *
 * AuthService keeps active kiosks in memory so that a kiosk's every rating
 * does not cost a lookup. A lookup that read the kiosk row before a
 * revocation committed, and finished after the revocation emptied the
 * cache, must not put the kiosk back: it reads the generation before it
 * looks up, and stores its result only if the generation has not moved
 * since (otherwise it looks up again).
 *
 * This is the one seam to share revocations between instances: today the
 * generation is a counter of this process; a shared implementation would
 * announce through PostgreSQL NOTIFY or Redis pub/sub (or read a generation
 * row) and, on hearing of a revocation from another instance, advance its
 * local generation and call its listeners the same way `announce` does here.
 */
export interface KioskRevocations {
  /** A number that changes whenever a kiosk is revoked (by any instance, once shared). Cheap: read on every lookup. */
  generation(): number;
  /** Called once a revocation is committed: advances the generation, then tells the listeners (and, shared, the other instances). */
  announce(kioskId: number): void | Promise<void>;
  /** `listener` is called on every revocation, after the generation has advanced. */
  subscribe(listener: (kioskId: number) => void): void;
  /**
   * Shared between instances (src/shared-state/kiosk-revocations.ts):
   * hears, before a cached kiosk is trusted, of revocations made elsewhere;
   * answers how long a cached kiosk may be trusted now (ms), undefined for
   * as long as AuthService likes (shorter while the sharing is down).
   */
  refresh?(): Promise<number | undefined>;
}

/** Revocations of this process only (one instance). */
export class LocalKioskRevocations implements KioskRevocations {
  private current = 0;
  private readonly listeners: ((kioskId: number) => void)[] = [];

  generation(): number {
    return this.current;
  }

  announce(kioskId: number): void {
    this.current++;
    for (const listener of this.listeners) listener(kioskId);
  }

  subscribe(listener: (kioskId: number) => void): void {
    this.listeners.push(listener);
  }
}
