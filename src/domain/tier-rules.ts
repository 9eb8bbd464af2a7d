/** Checks of a job against its tenant's tier; each failure is a problem naming the field. */
import { DEFAULTS } from "./limits";
import type { Priority } from "./priority";
import { fail, ProblemError, problem } from "./problem";
import { isCron, type Schedule, shortestCronIntervalSeconds } from "./schedule";
import type { Tier, TierName } from "./tiers";

export interface TieredJob {
  priority?: Priority | undefined;
  schedule?: Schedule | null | undefined;
}

/** Throws 403 for a priority the tier does not allow and 400 for a cron firing more often than it allows. */
export function assertTierAllows(
  tierName: TierName,
  tier: Tier,
  job: TieredJob,
  now: number,
  path = "",
): void {
  if (job.priority !== undefined && !tier.allowed_priorities.includes(job.priority)) {
    const message = `the ${tierName} tier allows priorities ${tier.allowed_priorities.join(", ")}`;
    throw new ProblemError(
      problem(403, `${path}priority: ${message}`, [{ path: `${path}priority`, message }]),
    );
  }
  if (isCron(job.schedule)) {
    const interval = shortestCronIntervalSeconds(
      job.schedule.cron,
      job.schedule.timezone ?? DEFAULTS.timezone,
      now,
    );
    if (interval < tier.min_cron_interval_seconds) {
      throw fail.invalid(
        `${path}schedule.cron`,
        `fires every ${interval} s; the ${tierName} tier allows at most every ${tier.min_cron_interval_seconds} s`,
      );
    }
  }
}

/** Throws 409 when `adding` more live (active or paused) jobs would pass the tier's quota. */
export function assertJobQuota(tierName: TierName, tier: Tier, live: number, adding: number): void {
  if (live + adding > tier.max_active_jobs) {
    throw fail.conflict(
      `The ${tierName} tier allows ${tier.max_active_jobs} active jobs; this tenant has ${live} and the request adds ${adding}.`,
      [{ path: adding > 1 ? "jobs" : "(body)", message: "over the tier's job quota" }],
    );
  }
}
