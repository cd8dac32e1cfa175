import { randomUUID } from 'node:crypto';
import type { KioskRevocations } from '../auth/revocations';
import type { SharedRedis } from './redis';

const GEN = 'kiosk:gen';
const REVOKED = 'kiosk:revoked';
const CHANNEL = 'kiosk:revoked';
/** Revocations kept in Redis for instances coming back (a sorted set by shared generation). */
const KEPT = 1000;

/**
 * Advances the shared generation, records the kiosk under it, keeps the
 * last KEPT, and tells every instance: one atomic call.
 */
const ANNOUNCE_LUA = `
local g = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], g, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', g - ${KEPT})
redis.call('PUBLISH', ARGV[2], ARGV[3] .. ':' .. ARGV[1])
return g`;

/**
 * Kiosk revocations shared by every instance through Redis (the seam
 * described in src/auth/revocations.ts).
 *
 * `announce` (after the revocation committed on this instance) advances
 * this process's generation and tells its listeners at once, then, before
 * revokeKiosk answers, advances the shared generation in Redis and
 * publishes the kiosk to the other instances. They hear it twice: the
 * message (early: their caches drop the kiosk, a lookup in flight is
 * repeated) and, on their next kiosk request, `refresh`, which reads the
 * shared generation (one GET) and, when it moved, the kiosks revoked since
 * (the next request is refused even if the message has not arrived).
 *
 * Redis down or slow: `refresh` answers `fallbackTrustMs`, so a cached kiosk
 * is looked up in the database again after that long (a revocation made on
 * another instance is then seen within it); a revocation this instance
 * could not share is shared when Redis is back.
 */
export class SharedKioskRevocations implements KioskRevocations {
  private current = 0;
  private readonly listeners: ((kioskId: number) => void)[] = [];
  /** The shared generation whose revocations this process has heard; null: not known yet. */
  private seen: number | null = null;
  private readonly owed = new Set<number>();
  private readonly origin = randomUUID();

  constructor(private readonly redis: SharedRedis, private readonly fallbackTrustMs: number) {
    redis.subscribe(CHANNEL, (message) => {
      const at = message.lastIndexOf(':');
      if (message.slice(0, at) !== this.origin) this.heard(Number(message.slice(at + 1)));
    });
    redis.onBack(async () => {
      for (const kioskId of this.owed) {
        await this.share(kioskId);
        this.owed.delete(kioskId);
      }
    });
  }

  generation(): number {
    return this.current;
  }

  subscribe(listener: (kioskId: number) => void): void {
    this.listeners.push(listener);
  }

  private heard(kioskId: number): void {
    this.current++;
    for (const listener of this.listeners) listener(kioskId);
  }

  async announce(kioskId: number): Promise<void> {
    this.heard(kioskId);
    const shared = await this.redis.run(() => this.share(kioskId));
    if (shared === undefined) this.owed.add(kioskId);
  }

  private async share(kioskId: number): Promise<number> {
    const g = Number(await this.redis.client.eval(ANNOUNCE_LUA, 2, this.redis.key(GEN), this.redis.key(REVOKED), String(kioskId), this.redis.key(CHANNEL), this.origin));
    // Our own revocation moved the shared generation: nothing else to hear of if we were up to date.
    if (this.seen === g - 1) this.seen = g;
    return g;
  }

  async refresh(): Promise<number | undefined> {
    const raw = await this.redis.run((c) => c.get(this.redis.key(GEN)));
    if (raw === undefined) return this.fallbackTrustMs;
    const now = Number(raw ?? 0);
    if (this.seen === now) return undefined;
    // Moved (or unknown since start): the kiosks revoked since, each forgotten here.
    const ids = await this.redis.run((c) => this.seen === null
      ? c.zrange(this.redis.key(REVOKED), 0, -1)
      : c.zrangebyscore(this.redis.key(REVOKED), `(${this.seen}`, now));
    if (ids === undefined) return this.fallbackTrustMs;
    for (const id of new Set(ids)) this.heard(Number(id));
    this.seen = now;
    return undefined;
  }
}
