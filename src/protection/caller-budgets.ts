import type { Principal } from '../auth/principal';
import type { Config } from '../config/config';
import { TokenBuckets } from '../http/token-bucket';

/**
 * Budgets per caller, not only per request. A caller is an IP address for
 * anonymous readers, else its token or kiosk. Each has:
 *
 * - a cost bucket, charged by each operation's cost (src/protection/cost.ts)
 *   once it is parsed and validated: an operation the bucket cannot pay for
 *   is refused RATE_LIMITED with Retry-After. It holds two seconds of the
 *   rate, but a caller starts with one (slow start): many callers starting
 *   at once (a flood's connections from several addresses) would otherwise
 *   each spend two seconds' worth in their first moment;
 * - a share of the database time: the connection time its statements held
 *   (src/db/pool-gate.ts) is measured after each request, as a rate decaying
 *   over a few seconds. While the callers together use more than a quarter
 *   of the readers' pool, one using more than CALLER_DB_MS_PER_SEC and more
 *   than CALLER_DB_SHARE_PERCENT of all of it is refused before anything
 *   runs. A share, not a fixed allowance: when the server is slow every
 *   statement holds its connection longer, and a fixed allowance would then
 *   refuse a portal reading at its usual pace;
 * - a bound on its operations running at once; more wait (up to the pool
 *   wait) for one of them to finish, then are refused.
 *
 * So one IP or token holds at most its share of the service whatever it
 * sends, and everyone else keeps theirs.
 */
export interface Caller {
  key: string;
  /** How refusals name the caller. */
  label: string;
  anonymous: boolean;
}

export interface Refusal {
  message: string;
  retryAfter: number;
  reason: 'COST_RATE' | 'DB_TIME' | 'CONCURRENCY';
}

export interface CallerBudgetConfig {
  callerBudgets: Config['callerBudgets'];
  poolSize: number;
  poolWaitMs: number;
  /** The largest per-operation budget of each side: a full bucket always pays for one operation within it. */
  maxOperationCost: { anonymous: number; token: number };
}

/** The time constant of the database-time rates: what a caller used in the last few seconds. */
const DB_TIME_WINDOW_MS = 3000;

/** Per key and in total, amounts (ms) as a rate per second that decays exponentially with time constant `windowMs`. */
class DecayingRates {
  private readonly byKey = new Map<string, { v: number; at: number }>();
  private total = { v: 0, at: 0 };
  private lastSweep = 0;

  constructor(private readonly windowMs: number, private readonly now: () => number) {}

  add(key: string, amount: number): void {
    const now = this.now();
    const e = this.decayed(this.byKey.get(key), now);
    e.v += amount;
    this.byKey.set(key, e);
    this.total = this.decayed(this.total, now);
    this.total.v += amount;
    if (now - this.lastSweep > 10 * this.windowMs) {
      this.lastSweep = now;
      for (const [k, x] of this.byKey) if (this.decayed(x, now).v < 1) this.byKey.delete(k);
    }
  }

  /** The key's rate, with `pending` ms not yet added counted as added now. */
  rate(key: string, pending = 0): number {
    return ((this.decayed(this.byKey.get(key), this.now()).v + pending) * 1000) / this.windowMs;
  }

  totalRate(): number {
    return (this.decayed(this.total, this.now()).v * 1000) / this.windowMs;
  }

  private decayed(e: { v: number; at: number } | undefined, now: number): { v: number; at: number } {
    if (!e) return { v: 0, at: now };
    return { v: e.v * Math.exp(-Math.max(0, now - e.at) / this.windowMs), at: now };
  }
}

interface Running { n: number; waiters: { go: () => void; timer: NodeJS.Timeout }[] }

/** admit's answer: refused, or admitted with the `done` to call once the request has finished. */
export type Admission = { refusal: Refusal } | { done: (dbMs: number) => void };

export class CallerBudgets {
  private readonly costAnonymous: TokenBuckets;
  private readonly costToken: TokenBuckets;
  private readonly dbTime: DecayingRates;
  /** Above this total (ms per second) the database is contended and shares are enforced. */
  private readonly contendedMsPerSec: number;
  /**
   * Above this total (a tenth of the readers' pool busy all the time, a
   * connection's worth with the default 10) a few statements at once already
   * fill a small server's CPUs: callers over the floor then share a lane (overShare).
   */
  private readonly busyMsPerSec: number;
  /** Above this many of the readers' connections in use at once the database is busy too, before the rates say so. */
  private readonly busyConnections: number;
  private readonly running = new Map<string, Running>();

  constructor(private readonly config: CallerBudgetConfig, now: () => number = Date.now) {
    const b = config.callerBudgets;
    // Two seconds of the rate in a burst; a caller new (or back after its bucket was full and dropped) starts
    // with one second's worth. Each starts with its largest operation at least.
    const costBuckets = (rate: number, maxOperation: number) =>
      new TokenBuckets(rate, Math.max(2 * rate, maxOperation), now, Math.max(rate, maxOperation));
    this.costAnonymous = costBuckets(b.costPerSecAnonymous, config.maxOperationCost.anonymous);
    this.costToken = costBuckets(b.costPerSecToken, config.maxOperationCost.token);
    this.dbTime = new DecayingRates(DB_TIME_WINDOW_MS, now);
    this.contendedMsPerSec = (config.poolSize * 1000) / 4;
    this.busyMsPerSec = (config.poolSize * 1000) / 10;
    this.busyConnections = Math.max(1, Math.floor(config.poolSize / 4));
  }

  static callerOf(principal: Principal | null, ip: string): Caller {
    if (!principal) return { key: `ip:${ip}`, label: ip, anonymous: true };
    if (principal.kind === 'kiosk') return { key: `kiosk:${principal.kioskId}`, label: 'this kiosk', anonymous: false };
    return { key: `token:${principal.tokenId}`, label: 'this token', anonymous: false };
  }

  /**
   * Before a request runs: refused while the caller owes database time;
   * else one of its running slots, waited for up to the pool wait. The
   * returned `done` must be called once the request has finished. Decided
   * at once (no promise) unless the caller's slots are all taken.
   */
  admit(caller: Caller): Admission | Promise<Admission> {
    const b = this.config.callerBudgets;
    // A caller whose cost bucket is empty (spent, or in debt for refused operations) is refused at the door,
    // before its document is parsed: a flood of over-limit documents costs the parser once a second, not each time.
    const atTheDoor = this.spent(caller);
    if (atTheDoor) return atTheDoor;
    const mine = this.dbTime.rate(caller.key);
    const total = this.dbTime.totalRate();
    const allowed = Math.max(b.dbMsPerSec, (b.dbSharePercent / 100) * total);
    if (total > this.contendedMsPerSec && mine > allowed) {
      return {
        refusal: {
          reason: 'DB_TIME',
          // Until the caller's rate has decayed to what is allowed.
          retryAfter: Math.max(1, Math.ceil((DB_TIME_WINDOW_MS / 1000) * Math.log(mine / allowed))),
          message: `Too much database time used by ${caller.label}: ${Math.round(mine)} ms per second, ${Math.round((100 * mine) / total)} % of all; while the database is busy each caller may use ${b.dbSharePercent} % of it`,
        },
      };
    }
    let r = this.running.get(caller.key);
    if (!r) {
      r = { n: 0, waiters: [] };
      this.running.set(caller.key, r);
    }
    if (r.n < b.maxConcurrent) {
      r.n++;
      return { done: this.releaser(caller, r) };
    }
    return this.admitAfterWait(caller, r);
  }

  /** The caller's cost bucket spent: its refusal. */
  private spent(caller: Caller): { refusal: Refusal } | undefined {
    const costs = this.costBuckets(caller);
    return costs.available(caller.key) > 0 ? undefined : {
      refusal: {
        reason: 'COST_RATE',
        retryAfter: Math.max(1, costs.retryAfter(caller.key, 1)),
        message: `Too many expensive or refused queries from ${caller.label}: each ${caller.anonymous ? 'anonymous IP' : 'token'} may spend ${costs.ratePerSec} per second`,
      },
    };
  }

  /** admit, once every slot of the caller's is taken: the next one freed, waited for up to the pool wait. */
  private async admitAfterWait(caller: Caller, slot: Running): Promise<Admission> {
    const granted = await new Promise<boolean>((resolve) => {
      const waiter = {
        go: () => resolve(true),
        timer: setTimeout(() => {
          const i = slot.waiters.indexOf(waiter);
          if (i >= 0) slot.waiters.splice(i, 1);
          resolve(false);
        }, this.config.poolWaitMs),
      };
      waiter.timer.unref();
      slot.waiters.push(waiter);
    });
    if (!granted) {
      return {
        refusal: {
          reason: 'CONCURRENCY', retryAfter: 1,
          message: `Too many operations at once from ${caller.label}: at most ${this.config.callerBudgets.maxConcurrent} run at a time`,
        },
      };
    }
    const release = this.releaser(caller, slot);
    // A burst of one caller's requests all pass the door while its bucket is full, then wait here for a slot:
    // the operations run before them may have spent it (an over-limit one charges the whole budget), so it is
    // looked at again before the document is parsed, and a spent caller's waiting requests are refused now.
    const spentWhileWaiting = this.spent(caller);
    if (spentWhileWaiting) {
      release(0);
      return spentWhileWaiting;
    }
    return { done: release };
  }

  /** A running slot's release (once): its database time charged, the slot passed to the next waiter or freed. */
  private releaser(caller: Caller, slot: Running): (dbMs: number) => void {
    let finished = false;
    return (dbMs: number) => {
      if (finished) return;
      finished = true;
      if (dbMs > 0) this.dbTime.add(caller.key, dbMs);
      const next = slot.waiters.shift();
      if (next) {
        clearTimeout(next.timer);
        next.go();
      } else {
        slot.n--;
        if (slot.n === 0 && this.running.get(caller.key) === slot) this.running.delete(caller.key);
      }
    };
  }

  /**
   * Whether the caller is over its share now: the database busy (a tenth of
   * the readers' pool at all times, or a quarter of its connections in use
   * now) and the caller using more than the floor (CALLER_DB_MS_PER_SEC),
   * counting the connection time its running statements have held so far
   * (`now.heldMs`). Such callers hold few of the readers' connections all
   * together (src/db/pool-gate.ts, HeavyLane).
   *
   * What the gate sees now is counted because the rates move only as
   * requests end: when a flood begins, its callers' first statements ran
   * on every connection they could take for most of a second (until the
   * total rate, over a 3-second window, said the database was busy) before
   * any of them was put in the lane.
   */
  overShare(key: string, now: { heldMs: number; inUse: number } = { heldMs: 0, inUse: 0 }): boolean {
    const busy = now.inUse > this.busyConnections || this.dbTime.totalRate() > this.busyMsPerSec;
    return busy && this.dbTime.rate(key, now.heldMs) > this.config.callerBudgets.dbMsPerSec;
  }

  /** Database time used by a caller's statements that outlived their request. */
  chargeDbTime(caller: Caller, ms: number): void {
    if (ms > 0) this.dbTime.add(caller.key, ms);
  }

  private costBuckets(caller: Caller): TokenBuckets {
    return caller.anonymous ? this.costAnonymous : this.costToken;
  }

  /**
   * An operation refused over its limits (cost, depth, aliases,
   * introspection) still cost its parsing and planning: it is charged
   * `price` (the most an operation may cost, or its own cost when that is
   * more, up to ten times the most), into debt if need be (at most one
   * burst), so that a caller repeating it is soon refused at the door
   * (`admit`): one refusal of the 30 province-wide `satisfaction` aliases
   * (16,500) leaves a new anonymous caller (10,000) in debt.
   */
  chargeRefused(caller: Caller, price: number): void {
    if (price > 0) this.costBuckets(caller).charge(caller.key, price);
  }

  /** Once the operation's cost is known: spends it from the caller's cost bucket, or says why not. */
  chargeCost(caller: Caller, cost: number): Refusal | undefined {
    const buckets = this.costBuckets(caller);
    if (cost <= 0 || buckets.take(caller.key, cost)) return undefined;
    return {
      reason: 'COST_RATE',
      retryAfter: Math.max(1, buckets.retryAfter(caller.key, cost)),
      message: `Too many expensive queries from ${caller.label}: the operation costs ${cost}, and each ${caller.anonymous ? 'anonymous IP' : 'token'} may spend ${buckets.ratePerSec} per second`,
    };
  }
}
