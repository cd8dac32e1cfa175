import { performance } from 'node:perf_hooks';
import type { Pool, PoolClient } from 'pg';
import { AppError, ErrorCode } from '../errors/app-error';
import { slot } from '../util/async-context';

/**
 * What one HTTP request has held of the database: the connection time its
 * statements took (from checkout to release), charged to its caller's
 * database-time budget afterwards (src/protection/caller-budgets.ts).
 */
export interface RequestScope {
  dbMs: number;
  /**
   * Set when the request has been answered. Its statements may outlive it
   * (graphql-js answers as soon as an error nulls the whole result, while
   * sibling fields still run): they stay its caller's, capped and bounded
   * like any of its statements, and their time is charged late (`lateCharge`).
   */
  finished?: boolean;
  /** Charges database time used after the request was answered to its caller. */
  lateCharge?: (ms: number) => void;
  /** Who is calling (src/protection/caller-budgets.ts), once known: their connections at once are capped. */
  caller?: string;
  /**
   * A reader (anonymous, ANALYST): its requests never write, so never hold a
   * connection while asking for another; only readers are put in the heavy
   * lane, where a caller gets one connection at a time.
   */
  reader?: boolean;
}

/** The request whose statements are running; unset for background work (roll-up, recomputation). */
export const requestScope = slot<RequestScope>('scope');

/**
 * Runs `fn` as background work whoever calls it: work shared between
 * callers (one roll-up serves every request waiting for it, and the
 * recomputation) must not wait under the bound, cap and account of the
 * request that happened to start it.
 */
export function asBackground<T>(fn: () => T): T {
  return requestScope.exit(fn);
}

/** How long to wait for a free connection before answering "busy", and after how many seconds to retry. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/** A connection did not free up in time: the service is busy, the database is not down. */
export class PoolBusyError extends AppError {
  constructor(pool: string, waitedMs: number) {
    super(ErrorCode.SERVICE_BUSY,
      `The service is busy: no database connection freed up within ${waitedMs} ms; nothing was stored. Retry in ${BUSY_RETRY_AFTER_SECONDS} s.`,
      undefined, { retryAfter: BUSY_RETRY_AFTER_SECONDS, pool });
    this.name = 'PoolBusyError';
  }
}

type Callback = (err: Error | undefined, client?: PoolClient, release?: (err?: Error | boolean) => void) => void;

/** Who asks for a slot: background work, or a request's caller (and whether it is a reader). */
interface Asker { background: boolean; caller: string | undefined; reader: boolean }

interface Waiter extends Asker { grant: (heavy: boolean) => void; timer?: NodeJS.Timeout }

/**
 * Callers using more than their share of a busy database: together
 * they hold at most `max` connections, so that however many such callers
 * there are, their statements leave PostgreSQL's CPUs to everyone else's
 * (kiosks, the portal). Set by the app, which keeps the callers' database
 * time (src/protection/caller-budgets.ts).
 */
export interface HeavyLane {
  /**
   * Whether `caller` is over its share, told what the gate sees now: the
   * connection time its statements running now have held so far (not yet
   * charged to it: a request's database time is charged when it ends), and
   * the connections in use. A flood's first statements are seen while they
   * run, not a request later.
   */
  isHeavy(caller: string, now: { heldMs: number; inUse: number }): boolean;
  max: number;
}

export interface PoolGateOptions {
  /** Named in the busy error and the stats: "read" or "work". */
  name: string;
  /** Connections the pool may open: the gate's slots. */
  size: number;
  /** How long a request may wait for a slot before PoolBusyError. */
  requestWaitMs: number;
  /** How long background work (no request scope) may wait. */
  backgroundWaitMs: number;
  /** Slots background work may never take: requests (kiosk ingestion) always find one within a statement's time. */
  reservedForRequests?: number;
  /**
   * Connections one caller's requests may hold at once. One operation can
   * fan out into a statement per field (30 aliased fields, 30 statements):
   * beyond the cap they wait their turn behind that caller's own, and other
   * callers' statements go ahead of them.
   */
  maxPerCaller?: number;
}

/**
 * A queue in front of a pg pool with a bound on the wait. pg-pool's own
 * `connectionTimeoutMillis` bounds both the wait for a busy pool and the
 * opening of a new connection, with one message for both, so a saturated
 * pool read as a dead database. Behind the gate the pool never queues (at
 * most `size` checkouts are outstanding), so its timeout only ever means a
 * connection could not be opened, and a wait here beyond the bound is a
 * PoolBusyError (RATE_LIMITED, Retry-After), never an outage.
 *
 * Requests go before background work (the roll-up, recomputation), and
 * `reservedForRequests` slots are never given to background work: however
 * many statements a recomputation runs at once, a kiosk's submission waits
 * at most for one statement to finish.
 *
 * A caller's requests hold at most `maxPerCaller` connections at once; a
 * free slot goes to the first waiter whose caller is under the cap. Callers
 * over their share of a busy database (`heavyLane`) hold at most a few
 * connections all together.
 *
 * Every `pool.connect()` goes through the gate: TypeORM's queries and
 * transactions, and `pool.query()` (which calls `this.connect`).
 */
export class PoolGate {
  private free: number;
  /** Slots held by background work. */
  private background = 0;
  private readonly waiters: Waiter[] = [];
  private readonly backgroundWaiters: Waiter[] = [];
  /** Connections held per caller. */
  private readonly held = new Map<string, number>();
  /** Checkouts refused because the wait ran out. */
  busyRefusals = 0;
  /** Callers over their share: their connections at once, all together, are bounded (none when unset). */
  heavyLane?: HeavyLane;
  /** Connections held by requests of callers that were over their share when they took them. */
  private heavyHeld = 0;
  /** Per caller, its connections held now and the sum of the times (performance.now()) they were taken. */
  private readonly holding = new Map<string, { n: number; since: number }>();

  constructor(pool: Pool, private readonly options: PoolGateOptions) {
    this.free = options.size;
    const connect = pool.connect.bind(pool) as (cb: Callback) => void;
    (pool as unknown as { connect: (cb?: Callback) => unknown }).connect = (cb?: Callback) => {
      if (cb) {
        this.checkout(connect, cb);
        return undefined;
      }
      return new Promise<PoolClient>((resolve, reject) => this.checkout(connect, (err, client) => (err ? reject(err) : resolve(client!))));
    };
  }

  /** Connections checked out now, and requests waiting for one. */
  get stats(): { name: string; size: number; inUse: number; waiting: number; busyRefusals: number; background: number; heavy: number; byCaller: Record<string, number> } {
    return {
      name: this.options.name, size: this.options.size, inUse: this.options.size - this.free,
      waiting: this.waiters.length + this.backgroundWaiters.length, busyRefusals: this.busyRefusals,
      background: this.background, heavy: this.heavyHeld, byCaller: Object.fromEntries(this.held),
    };
  }

  private checkout(connect: (cb: Callback) => void, cb: Callback): void {
    const scope = requestScope.getStore();
    const background = scope === undefined;
    const caller = scope?.caller;
    const asker: Asker = { background, caller, reader: scope?.reader === true };
    this.acquire(background ? this.options.backgroundWaitMs : this.options.requestWaitMs, asker, (err, heavy = false) => {
      if (err) return cb(err);
      connect((error, client, release) => {
        if (error || !client || !release) {
          this.releaseSlot(background, caller, heavy);
          return cb(error ?? new Error('no client'));
        }
        const start = performance.now();
        if (caller !== undefined) this.hold(caller, 1, start);
        let returned = false;
        // pg-pool drops its idle listener as it hands a client out, and TypeORM attaches its own a microtask later:
        // a FATAL read in the same chunk as the ReadyForQuery that completed the connection (PostgreSQL shutting
        // down, 57P01) would be an 'error' with no listener, thrown from the socket. Until the release it is
        // heard here; the client is then not queryable, its next statement fails, and its holder releases it.
        const checkedOut = () => undefined;
        client.on('error', checkedOut);
        const wrapped = (e?: Error | boolean) => {
          if (!returned) {
            returned = true;
            if (caller !== undefined) this.hold(caller, -1, start);
            client.removeListener('error', checkedOut);
            if (scope?.finished) scope.lateCharge?.(performance.now() - start);
            else if (scope) scope.dbMs += performance.now() - start;
            this.releaseSlot(background, caller, heavy);
          }
          return release(e);
        };
        client.release = wrapped as PoolClient['release'];
        cb(undefined, client, wrapped);
      });
    });
  }

  /** Whether background work may take one more slot. */
  private backgroundMayTake(): boolean {
    return this.background < this.options.size - (this.options.reservedForRequests ?? 0);
  }

  /** A connection of `caller`'s taken (1) or given back (-1), taken at `since`. */
  private hold(caller: string, delta: 1 | -1, since: number): void {
    const h = this.holding.get(caller) ?? { n: 0, since: 0 };
    h.n += delta;
    h.since += delta * since;
    if (h.n > 0) this.holding.set(caller, h);
    else this.holding.delete(caller);
  }

  /** Whether a reader's caller is over its share now (background work and writers never are). */
  private heavy(w: Asker): boolean {
    if (!w.reader || w.caller === undefined || this.heavyLane === undefined) return false;
    const h = this.holding.get(w.caller);
    const heldMs = h ? h.n * performance.now() - h.since : 0;
    return this.heavyLane.isHeavy(w.caller, { heldMs, inUse: this.options.size - this.free });
  }

  private eligible(w: Asker): boolean {
    if (w.background) return this.backgroundMayTake();
    const cap = this.options.maxPerCaller;
    if (w.caller !== undefined && cap !== undefined && (this.held.get(w.caller) ?? 0) >= cap) return false;
    return this.heavyLane === undefined || this.heavyHeld < this.heavyLane.max || !this.heavy(w);
  }

  /** Takes a slot for `w`; whether it counts in the heavy lane. */
  private take(w: Asker): boolean {
    // Asked before the slot is taken: the connections in use are the others'.
    const heavy = this.heavy(w);
    this.free--;
    if (w.background) this.background++;
    if (w.caller !== undefined) this.held.set(w.caller, (this.held.get(w.caller) ?? 0) + 1);
    if (heavy) this.heavyHeld++;
    return heavy;
  }

  private acquire(waitMs: number, asker: Asker, then: (err?: Error, heavy?: boolean) => void): void {
    const waiter: Waiter = { ...asker, grant: (heavy) => then(undefined, heavy) };
    const { background } = asker;
    // A free slot with waiters queued means none of them may take it (capped): no one is overtaken.
    if (this.free > 0 && this.eligible(waiter)) {
      then(undefined, this.take(waiter));
      return;
    }
    const queue = background ? this.backgroundWaiters : this.waiters;
    waiter.timer = setTimeout(() => {
      const i = queue.indexOf(waiter);
      if (i >= 0) queue.splice(i, 1);
      this.busyRefusals++;
      then(new PoolBusyError(this.options.name, waitMs));
    }, waitMs);
    waiter.timer.unref();
    queue.push(waiter);
  }

  /** A slot comes back: to the first waiting request that may take it, else to waiting background work, else free. */
  private releaseSlot(background: boolean, caller: string | undefined, heavy: boolean): void {
    if (background) this.background--;
    if (heavy) this.heavyHeld--;
    if (caller !== undefined) {
      const n = (this.held.get(caller) ?? 1) - 1;
      if (n > 0) this.held.set(caller, n);
      else this.held.delete(caller);
    }
    this.free++;
    while (this.free > 0) {
      const queue = this.waiters.some((w) => this.eligible(w)) ? this.waiters : this.backgroundWaiters;
      const i = queue.findIndex((w) => this.eligible(w));
      if (i < 0) return;
      const [next] = queue.splice(i, 1);
      clearTimeout(next.timer);
      next.grant(this.take(next));
    }
  }
}
