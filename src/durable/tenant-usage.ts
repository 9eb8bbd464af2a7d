/** An operator's view of a tenant's load, from the gauges and the minute rollups: no row scans. */
import { JOB_STATUSES } from "../contract/job";
import type { TenantUsage } from "../contract/tenant";
import type { Counters } from "./counters";
import type { Database } from "./database";
import { type DispatchRound, maxInFlight } from "./dispatch-round";
import type { MinuteStats } from "./minute-stats";
import type { TenantRow } from "./schema";

export function tenantUsage(
  tenant: TenantRow,
  parts: { db: Database; counters: Counters; round: DispatchRound; minuteStats: MinuteStats },
  now: number,
): TenantUsage {
  const { db, counters, round, minuteStats } = parts;
  const jobs = Object.fromEntries(
    JOB_STATUSES.map((status) => [status, counters.value(db, "scheduler_jobs", { status })]),
  );
  const lastHour = minuteStats.series(db, now - 3600_000 + 60_000, now);
  return {
    tenant_id: tenant.id,
    jobs,
    runs_in_flight: round.inFlight(),
    max_in_flight: maxInFlight(tenant),
    runs_waiting: round.runsIn("pending") + round.runsIn("retrying"),
    dead_letters: round.runsIn("dead"),
    rate_limited_last_hour: lastHour.reduce((n, m) => n + m.rate_limited, 0),
  };
}
