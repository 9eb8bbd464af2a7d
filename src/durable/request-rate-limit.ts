/** The tenant's request rate: a request over its tier's allowance gets 429 with Retry-After. */
import { ProblemError, problem } from "../domain/problem";
import { TokenBucket } from "../domain/rate-limit";
import { TIERS } from "../domain/tiers";
import type { TenantStore } from "./tenant-store";

export class RequestRateLimit {
  /** In memory, per object: a restarted object starts with a full bucket. */
  private bucket: TokenBucket | undefined;

  constructor(private readonly tenants: TenantStore) {}

  /** Takes one request from the allowance, or throws 429 with the seconds to wait. */
  enforce(now: number): void {
    const perMinute = TIERS[this.tenants.require().tier].requests_per_minute;
    this.bucket ??= new TokenBucket(perMinute, now);
    const wait = this.bucket.take(now, perMinute);
    if (wait > 0) {
      throw new ProblemError({
        ...problem(429, `Over ${perMinute} requests a minute for this tenant; retry in ${wait} s.`),
        retry_after: wait,
      });
    }
  }
}
