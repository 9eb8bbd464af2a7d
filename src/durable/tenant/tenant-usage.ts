/** An operator's view of a tenant's load, from the gauges and the minute rollups: no row scans. */
import { JOB_STATUSES } from "../../contract/job";
import type { TenantUsage } from "../../contract/tenant";
import type { Counters } from "../metrics/counters";
import type { MinuteStats } from "../metrics/minute-stats";
import type { RunGauges } from "../metrics/run-gauges";
import type { Database } from "../storage/database";
import type { TenantRow } from "../storage/schema";
import { maxInFlight } from "./tenant-store";

export function tenantUsage(
  tenant: TenantRow,
  parts: { db: Database; counters: Counters; gauges: RunGauges; minuteStats: MinuteStats },
  now: number,
): TenantUsage {
  const { db, counters, gauges, minuteStats } = parts;
  const jobs = Object.fromEntries(
    JOB_STATUSES.map((status) => [status, counters.value(db, "scheduler_jobs", { status })]),
  );
  const lastHour = minuteStats.series(db, now - 3600_000 + 60_000, now);
  return {
    tenant_id: tenant.id,
    jobs,
    runs_in_flight: gauges.inFlight(),
    max_in_flight: maxInFlight(tenant),
    runs_waiting: gauges.runsIn("pending") + gauges.runsIn("retrying"),
    dead_letters: gauges.runsIn("dead"),
    rate_limited_last_hour: lastHour.reduce((n, m) => n + m.rate_limited, 0),
  };
}
