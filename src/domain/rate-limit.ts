/** A token bucket: `perMinute` requests a minute, bursting up to a minute's worth. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private perMinute: number,
    now: number,
  ) {
    this.tokens = perMinute;
    this.updatedAt = now;
  }

  /** Takes one token; returns 0 when allowed, else the seconds until one is available. */
  take(now: number, perMinute: number): number {
    const wait = this.wait(now, perMinute);
    if (wait === 0) this.tokens -= 1;
    return wait;
  }

  /** Like `take`, without taking: 0 when a token is available, else the seconds until one is. */
  wait(now: number, perMinute: number): number {
    if (perMinute !== this.perMinute) {
      // A tier change applies at once; the bucket keeps its fill, capped to the new size.
      this.perMinute = perMinute;
      this.tokens = Math.min(this.tokens, perMinute);
    }
    const rate = this.perMinute / 60_000;
    this.tokens = Math.min(this.perMinute, this.tokens + (now - this.updatedAt) * rate);
    this.updatedAt = now;
    if (this.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - this.tokens) / rate / 1000));
  }
}
