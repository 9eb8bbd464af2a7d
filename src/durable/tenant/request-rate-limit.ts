/**
 * The tenant's request rate: a request over its tier's allowance gets 429 with Retry-After. Pull
 * workers' calls (claim, heartbeat, complete, fail, drain) draw on their own allowance, ten times
 * the tier's, so a fleet of workers neither starves the tenant's API clients nor is held to a
 * rate far below what the same runs would reach as webhooks (about 1.2 worker calls per run).
 */
import { ProblemError, problem } from "../../domain/problem";
import { TokenBucket } from "../../domain/rate-limit";
import { TIERS } from "../../domain/tiers";
import type { TenantStore } from "./tenant-store";

export type RequestKind = "api" | "worker";

/** Pull workers' calls get this many times the tier's request rate, in their own bucket. */
export const WORKER_ALLOWANCE_FACTOR = 10;

export class RequestRateLimit {
  /** In memory, per object: a restarted object starts with full buckets. */
  private readonly buckets = new Map<RequestKind, TokenBucket>();

  constructor(private readonly tenants: TenantStore) {}

  /** Takes one request from the allowance of `kind`, or throws 429 with the seconds to wait. */
  enforce(now: number, kind: RequestKind = "api"): void {
    const perMinute =
      TIERS[this.tenants.require().tier].requests_per_minute *
      (kind === "worker" ? WORKER_ALLOWANCE_FACTOR : 1);
    const bucket = this.buckets.get(kind) ?? new TokenBucket(perMinute, now);
    this.buckets.set(kind, bucket);
    const wait = bucket.take(now, perMinute);
    if (wait > 0) {
      const what = kind === "worker" ? "worker requests" : "requests";
      throw new ProblemError({
        ...problem(429, `Over ${perMinute} ${what} a minute for this tenant; retry in ${wait} s.`),
        retry_after: wait,
      });
    }
  }
}
