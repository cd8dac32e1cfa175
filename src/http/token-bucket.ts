/**
 * Token buckets keyed by caller (an IP, a kiosk): `take(key, n)` spends n
 * tokens if the bucket holds them. Buckets refill continuously at `ratePerSec`
 * up to `burst`; idle full buckets are dropped so memory stays bounded.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;

  constructor(private readonly ratePerSec: number, private readonly burst: number, private readonly now: () => number = Date.now) {}

  take(key: string, n = 1): boolean {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSec);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < n) return false;
    bucket.tokens -= n;
    return true;
  }

  /** Seconds until n tokens are available for key. */
  retryAfter(key: string, n = 1): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    return Math.max(0, Math.ceil((n - bucket.tokens) / this.ratePerSec));
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10000) return;
    this.lastSweep = now;
    const fullAfterMs = (this.burst / this.ratePerSec) * 1000;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at > fullAfterMs) this.buckets.delete(key);
    }
  }
}
