/**
 * Token buckets keyed by caller (an IP, a kiosk, a token): `take(key, n)`
 * spends n tokens if the bucket holds them; `charge(key, n)` spends them
 * whatever it holds, going into debt (down to minus the burst) for work
 * measured after it ran, such as database time. Buckets refill continuously
 * at `ratePerSec` up to `burst`; idle full buckets are dropped so memory
 * stays bounded. A new caller's bucket may start lower (`initial`).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;
  /** What a new bucket holds: `initial`, at most the burst. */
  readonly initial: number;

  /**
   * `initial`: what a caller's bucket holds when first seen (or seen again
   * after its full bucket was dropped), at most `burst` and by default all
   * of it; it fills up to the burst at the rate like any other.
   */
  constructor(
    readonly ratePerSec: number, readonly burst: number, private readonly now: () => number = Date.now,
    initial: number = burst,
  ) {
    this.initial = Math.min(initial, burst);
  }

  take(key: string, n = 1): boolean {
    const bucket = this.refilled(key);
    if (bucket.tokens < n) return false;
    bucket.tokens -= n;
    return true;
  }

  /** Spends n tokens even if the bucket holds fewer; its debt is bounded by the burst. */
  charge(key: string, n: number): void {
    const bucket = this.refilled(key);
    bucket.tokens = Math.max(-this.burst, bucket.tokens - n);
  }

  /** Tokens the bucket holds now (negative while in debt). */
  available(key: string): number {
    return this.buckets.has(key) ? this.refilled(key).tokens : this.initial;
  }

  /** Seconds until n tokens are available for key. */
  retryAfter(key: string, n = 1): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    return Math.max(0, Math.ceil((n - this.refilled(key).tokens) / this.ratePerSec));
  }

  private refilled(key: string): { tokens: number; at: number } {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.initial, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSec);
    bucket.at = now;
    this.buckets.set(key, bucket);
    return bucket;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10000) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSec >= this.burst) this.buckets.delete(key);
    }
  }
}
