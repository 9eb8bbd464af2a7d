/** Service tiers: every per-tenant limit, in one table. */

import type { Priority } from "./priority";

export const TIER_NAMES = ["free", "standard", "premium"] as const;
export type TierName = (typeof TIER_NAMES)[number];

export interface Tier {
  max_active_jobs: number;
  max_in_flight: number;
  requests_per_minute: number;
  allowed_priorities: readonly Priority[];
  min_cron_interval_seconds: number;
  run_retention_days: number;
}

export const TIERS: Record<TierName, Tier> = {
  free: {
    max_active_jobs: 100,
    max_in_flight: 10,
    requests_per_minute: 120,
    allowed_priorities: ["medium", "low"],
    min_cron_interval_seconds: 60,
    run_retention_days: 3,
  },
  standard: {
    max_active_jobs: 10_000,
    max_in_flight: 100,
    requests_per_minute: 1_200,
    allowed_priorities: ["high", "medium", "low"],
    min_cron_interval_seconds: 1,
    run_retention_days: 14,
  },
  premium: {
    max_active_jobs: 1_000_000,
    max_in_flight: 1_000,
    requests_per_minute: 12_000,
    allowed_priorities: ["high", "medium", "low"],
    min_cron_interval_seconds: 1,
    run_retention_days: 30,
  },
};
