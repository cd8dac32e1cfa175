import type { ResponseCache } from '../cache/response-cache';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import { SharedKioskRevocations } from './kiosk-revocations';
import { rateLimit, type RateLimit } from './rate-limits';
import { SharedRedis } from './redis';
import { SharedResponseCache, type ResponseStore } from './shared-response-cache';

export { BackgroundLock, type Leadership } from './background-lock';
export { LocalRateLimit, rateLimit, type RateLimit } from './rate-limits';
export type { ResponseStore } from './shared-response-cache';

/**
 * What several instances share through Redis (REDIS_URL): the response
 * cache and its invalidation, the rate limits, kiosk revocations. Each
 * falls back to this instance's own while Redis is down or slow, and never
 * fails or holds a request (src/shared-state/redis.ts). Background work
 * runs once through PostgreSQL instead (background-lock.ts), Redis or not.
 */
export interface SharedState {
  redis: SharedRedis;
  kioskRevocations: SharedKioskRevocations;
  /** The named limit, counted in Redis for every instance. */
  rateLimit(name: string, ratePerSec: number, burst: number): RateLimit;
  /** The shared response cache with `l1` in front. */
  responseCache(l1: ResponseCache): ResponseStore;
  close(): Promise<void>;
}

/** The shared state when REDIS_URL is set; undefined: every instance keeps its own (one instance). */
export function createSharedState(config: Pick<Config, 'live' | 'sharedState'>, logger: Logger): SharedState | undefined {
  const url = config.live.redisUrl;
  if (!url) return undefined;
  const { keyPrefix, commandTimeoutMs, kioskFallbackTrustMs } = config.sharedState;
  const redis = new SharedRedis(url, keyPrefix, commandTimeoutMs, logger);
  return {
    redis,
    kioskRevocations: new SharedKioskRevocations(redis, kioskFallbackTrustMs),
    rateLimit: (name, ratePerSec, burst) => rateLimit(redis, name, ratePerSec, burst),
    responseCache: (l1) => new SharedResponseCache(l1, redis),
    close: () => redis.close(),
  };
}
