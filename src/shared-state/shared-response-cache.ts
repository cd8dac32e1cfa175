import { createHash } from 'node:crypto';
import { type CacheChange, type CachedResponse, type ResponseCache } from '../cache/response-cache';
import type { SharedRedis } from './redis';

/**
 * What app.ts asks of a response cache: the in-process ResponseCache alone
 * (one instance), or it as the L1 of the Redis-shared one below.
 */
export interface ResponseStore {
  readonly enabled: boolean;
  get(key: string): CachedResponse | undefined | Promise<CachedResponse | undefined>;
  /**
   * An answer this process may serve at once, before the request has passed
   * the edge, noting no miss; absent where a hit must be checked elsewhere
   * first (the shared cache reads Redis's generations on every request).
   */
  kept?(key: string): CachedResponse | undefined;
  /** `years`: those the answer's data may show, from its query plan (yearsOfPlan); null: any year. */
  offer(key: string, status: number, headers: Record<string, string>, body: string, years: ReadonlySet<number> | null): void;
  invalidate(change: CacheChange): void | Promise<void>;
}

/**
 * Generations of the shared cache, one Redis hash: `all` (advanced by a
 * change of everything), `y:<year>` (by a change of that year) and `any`
 * (by every change: answers that may show any year depend on it).
 */
type Gens = Record<string, number>;

interface SharedEntry {
  /** The whole cache key (the Redis key is its hash). */
  k: string;
  s: number;
  h: Record<string, string>;
  b: string;
  x: number;
  y: number[] | null;
  /** The generations the answer was read under (at its miss): it is valid while they have not moved. */
  g: Gens;
}

const GENS = 'rc:gen';
const CHANNEL = 'rc:inv';
/** Misses remembered with their generations, at most (the oldest go first). */
const MAX_MISSES = 10_000;

function parseGens(raw: Record<string, string>): Gens {
  const out: Gens = {};
  for (const [k, v] of Object.entries(raw)) out[k] = Number(v);
  return out;
}

/** The generations an answer showing `years` (null: any year) depends on. */
function dependsOn(years: readonly number[] | null): string[] {
  return years === null ? ['all', 'any'] : ['all', ...years.map((y) => `y:${y}`)];
}

function valid(entry: SharedEntry, now: Gens): boolean {
  return dependsOn(entry.y).every((g) => (entry.g[g] ?? 0) === (now[g] ?? 0));
}

/**
 * The response cache shared by every instance through Redis, with this
 * instance's ResponseCache in front (L1). Same keys, same policies (what
 * may be stored is still decided by ResponseCache.offer); scoped by year as
 * ResponseCache.invalidate is.
 *
 * A change advances generations in Redis (O(1), whatever is cached): one
 * per year it touches, or `all`. Every request reads the generations (one
 * HGETALL, with the entry's GET on an L1 miss, in one round trip): an L1
 * whose generations moved drops the entries of the years that moved, so
 * the caller of a mutation on instance B reads fresh answers on instance A
 * at once, even before the pub/sub message reaches A (the message is the
 * early notice: L1s drop at once, memory is freed). A Redis entry carries
 * the generations read at its miss and is served only while they have not
 * moved: an answer read before a change and stored after it is never
 * served.
 *
 * Redis down or slow (src/shared-state/redis.ts: bounded timeouts, then a
 * pause): the L1 alone serves, as one instance would. A change made
 * meanwhile is owed; coming back, the instance drops its L1 (it may have
 * missed other instances' changes) and, if it owes one, advances `all`.
 */
export class SharedResponseCache implements ResponseStore {
  /** The generations the L1 is known to agree with; null: unknown (L1 emptied). */
  private seen: Gens | null = null;
  private readonly misses = new Map<string, Gens>();
  /** A change this instance could not tell Redis of. */
  private owed = false;

  constructor(private readonly l1: ResponseCache, private readonly redis: SharedRedis) {
    redis.subscribe(CHANNEL, (message) => {
      const change = JSON.parse(message) as 'all' | { years: number[] };
      this.l1.invalidate(change === 'all' ? 'all' : { years: new Set(change.years) });
    });
    redis.onBack(async () => {
      this.l1.clear();
      this.seen = null;
      this.misses.clear();
      if (this.owed) {
        await redis.client.hincrby(redis.key(GENS), 'all', 1);
        this.owed = false;
      }
    });
  }

  get enabled(): boolean {
    return this.l1.enabled;
  }

  private redisKey(key: string): string {
    return this.redis.key(`rc:e:${createHash('sha256').update(key).digest('base64url')}`);
  }

  async get(key: string, now = Date.now()): Promise<CachedResponse | undefined> {
    const local = this.l1.peek(key, now);
    const replies = await this.redis.run(async (c) => {
      const p = c.pipeline().hgetall(this.redis.key(GENS));
      if (!local) p.get(this.redisKey(key));
      return p.exec();
    });
    if (!replies || replies.some(([e]) => e)) {
      if (replies) this.redis.failed(replies.find(([e]) => e)![0]);
      return this.l1.get(key, now);
    }
    const gens = parseGens(replies[0][1] as Record<string, string>);
    this.catchUp(gens);
    const hit = this.l1.get(key, now);
    if (hit) return hit;
    this.remember(key, gens);
    // Held in L1 when asked, dropped by catching up: Redis was not asked for it.
    if (local) return undefined;
    const raw = replies[1]?.[1] as string | null | undefined;
    if (!raw) return undefined;
    const entry = JSON.parse(raw) as SharedEntry;
    if (entry.k !== key || entry.x <= now || !valid(entry, gens)) return undefined;
    const years = entry.y === null ? null : new Set(entry.y);
    this.misses.delete(key);
    // Into the L1 as it was read (the miss just noted lets it in), then served.
    this.l1.offer(key, entry.s, entry.h, entry.b, years, now);
    return { status: entry.s, headers: entry.h, body: entry.b, expiresAt: entry.x, bytes: 0, years };
  }

  /** Drops from the L1 what changes on other instances made stale since it last looked. */
  private catchUp(gens: Gens): void {
    const seen = this.seen;
    this.seen = gens;
    if (seen === null) {
      this.l1.clear();
      return;
    }
    if ((seen.all ?? 0) !== (gens.all ?? 0)) {
      this.l1.invalidate('all');
      return;
    }
    const years = new Set<number>();
    for (const g of new Set([...Object.keys(seen), ...Object.keys(gens)])) {
      if (g.startsWith('y:') && (seen[g] ?? 0) !== (gens[g] ?? 0)) years.add(Number(g.slice(2)));
    }
    if (years.size > 0) this.l1.invalidate({ years });
    else if ((seen.any ?? 0) !== (gens.any ?? 0)) this.l1.invalidate({ years: new Set() });
  }

  private remember(key: string, gens: Gens): void {
    if (this.misses.has(key)) return; // the earliest miss counts, as in the L1
    this.misses.set(key, gens);
    while (this.misses.size > MAX_MISSES) this.misses.delete(this.misses.keys().next().value as string);
  }

  offer(key: string, status: number, headers: Record<string, string>, body: string, years: ReadonlySet<number> | null, now = Date.now()): void {
    const gens = this.misses.get(key);
    this.misses.delete(key);
    // Not storable (a mutation, an error, no-store): the L1 forgets the miss.
    const m = status === 200 ? /^(?:public|private), max-age=(\d+)$/.exec(headers['cache-control'] ?? '') : null;
    if (!m || m[1] === '0') {
      this.l1.offer(key, status, headers, body, years, now);
      return;
    }
    if (!this.l1.offer(key, status, headers, body, years, now) || !gens) return;
    const ttlMs = Number(m[1]) * 1000;
    const entry: SharedEntry = { k: key, s: status, h: headers, b: body, x: now + ttlMs, y: years === null ? null : [...years], g: gens };
    void this.redis.run((c) => c.set(this.redisKey(key), JSON.stringify(entry), 'PX', ttlMs));
  }

  /** Drops the answers the change may affect here at once, then in every instance (awaited: the caller's next request may go anywhere). */
  async invalidate(change: CacheChange): Promise<void> {
    this.l1.invalidate(change);
    const fields = change === 'all' ? ['all'] : ['any', ...[...change.years].map((y) => `y:${y}`)];
    const message = JSON.stringify(change === 'all' ? 'all' : { years: [...change.years] });
    const done = await this.redis.run(async (c) => {
      const m = c.multi();
      for (const f of fields) m.hincrby(this.redis.key(GENS), f, 1);
      m.publish(this.redis.key(CHANNEL), message);
      const replies = await m.exec();
      if (!replies || replies.some(([e]) => e)) throw new Error('the generations were not advanced');
      return true;
    });
    if (!done) this.owed = true;
  }

  clear(): Promise<void> {
    return this.invalidate('all');
  }

  get size(): number {
    return this.l1.size;
  }
}
