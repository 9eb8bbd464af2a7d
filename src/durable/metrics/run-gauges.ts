/**
 * Reads of the transactional `scheduler_runs` gauge: runs per status and the runs in flight (queued
 * or running), a handful of key lookups instead of counting rows on every request and alarm.
 */
import { PRIORITIES } from "../../domain/priority";
import { IN_FLIGHT_STATUSES, type RunStatus } from "../../domain/run-status";
import type { Database } from "../storage/database";
import type { Counters } from "./counters";

export class RunGauges {
  constructor(
    private readonly counters: Counters,
    private readonly db: Database,
  ) {}

  /** Runs queued or running (all priorities): what the tenant's in-flight cap limits. */
  inFlight(): number {
    let total = 0;
    for (const status of IN_FLIGHT_STATUSES) total += this.runsIn(status);
    return total;
  }

  /** Runs of `status` (all priorities). */
  runsIn(status: RunStatus): number {
    let total = 0;
    for (const priority of PRIORITIES) total += this.runsOf(status, priority);
    return total;
  }

  /** Runs of `status` and `priority`. */
  runsOf(status: RunStatus, priority: (typeof PRIORITIES)[number]): number {
    return this.counters.value(this.db, "scheduler_runs", { status, priority });
  }
}
