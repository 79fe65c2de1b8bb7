// Token buckets keyed by identity or IP. `take` answers whether one more event fits.
// Buckets idle long enough to be full again are dropped by `sweep`.

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;

  /** `ratePerSecond` sustained, bursts up to `burst` (default 2x the rate). */
  constructor(
    private readonly ratePerSecond: number,
    burst?: number,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('"ratePerSecond" must be positive');
    this.capacity = burst ?? Math.max(1, ratePerSecond * 2);
  }

  take(key: string, now: number, cost = 1): boolean {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.capacity, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond);
      b.at = now;
    }
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  sweep(now: number): void {
    const fullAfterMs = (this.capacity / this.ratePerSecond) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at > fullAfterMs) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}
