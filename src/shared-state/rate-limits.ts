import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TokenBuckets } from '../http/token-bucket';
import type { SharedRedis } from './redis';

/**
 * A rate limit per caller key (an IP, a kiosk): `take(key, n)` spends n if
 * the caller may, `retryAfter` says in how many seconds it may again.
 */
export interface RateLimit {
  readonly ratePerSec: number;
  readonly burst: number;
  take(key: string, n?: number): Promise<boolean>;
  retryAfter(key: string, n?: number): number;
}

/** One instance: the in-process token buckets (src/http/token-bucket.ts). */
export class LocalRateLimit implements RateLimit {
  constructor(private readonly buckets: TokenBuckets) {}

  get ratePerSec(): number {
    return this.buckets.ratePerSec;
  }

  get burst(): number {
    return this.buckets.burst;
  }

  async take(key: string, n = 1): Promise<boolean> {
    return this.buckets.take(key, n);
  }

  retryAfter(key: string, n = 1): number {
    return this.buckets.retryAfter(key, n);
  }
}

/** Refusals remembered for retryAfter, at most. */
const MAX_REFUSALS = 10_000;

/**
 * Several instances: one count per caller in Redis for all of them
 * (rate-limiter-flexible's RateLimiterRedis, one atomic Lua call per
 * request), with its in-memory insurance limiter of the same size taking
 * over while Redis is down or slow (a command bounded by the shared-state
 * timeout, and not tried at all while Redis is paused after a failure).
 *
 * Redis counts fixed windows where the in-process limit refills a bucket:
 * `burst` per window of burst / rate seconds, so the same sustained rate
 * and the same burst (two bursts may meet at a window's edge).
 */
export class SharedRateLimit implements RateLimit {
  private readonly limiter: RateLimiterRedis;
  private readonly insurance: RateLimiterMemory;
  private readonly refusals = new Map<string, number>();

  constructor(private readonly redis: SharedRedis, name: string, readonly ratePerSec: number, readonly burst: number) {
    const duration = Math.max(1, Math.ceil(burst / ratePerSec));
    this.insurance = new RateLimiterMemory({ points: burst, duration, keyPrefix: `insurance:${name}` });
    this.limiter = new RateLimiterRedis({
      storeClient: redis.client, keyPrefix: redis.key(`rl:${name}`), points: burst, duration,
      insuranceLimiter: this.insurance, rejectIfRedisNotReady: true,
    });
  }

  async take(key: string, n = 1): Promise<boolean> {
    try {
      await (this.redis.available ? this.limiter : this.insurance).consume(key, n);
      this.refusals.delete(key);
      return true;
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) {
        // Neither Redis nor the insurance answered (it should not happen): let the request through.
        this.redis.failed(e);
        return true;
      }
      this.refusals.set(key, e.msBeforeNext);
      while (this.refusals.size > MAX_REFUSALS) this.refusals.delete(this.refusals.keys().next().value as string);
      return false;
    }
  }

  retryAfter(key: string): number {
    return Math.max(1, Math.ceil((this.refusals.get(key) ?? 1000) / 1000));
  }
}

/** The rate limit named `name` (its Redis keys): shared when Redis is configured, else in-process. */
export function rateLimit(redis: SharedRedis | undefined, name: string, ratePerSec: number, burst: number): RateLimit {
  return redis ? new SharedRateLimit(redis, name, ratePerSec, burst) : new LocalRateLimit(new TokenBuckets(ratePerSec, burst));
}
