/**
 * One Analytics Engine data point per finished attempt, written by the run consumer. This is the
 * cross-tenant view of runs: per-tenant Prometheus metrics live in each tenant's object, and asking
 * every object on each scrape would not scale, so fleet-wide questions (p99 fire lag per tenant,
 * failure rates, slow targets) are answered with the Analytics Engine SQL API instead.
 *
 * Layout (positions matter to SQL queries; docs/observability.md lists examples):
 *   index1  tenant_id (the sampling key: each tenant is sampled on its own)
 *   blob1 tenant_id, blob2 job_id, blob3 priority, blob4 outcome, blob5 run_id
 *   double1 fire_lag_ms (attempt start, when the object claimed it, - scheduled_for; for a retry
 *   this includes the backoff), double2 duration_ms, double3 attempt,
 *   double4 status_code (0 when there was no response)
 *   blob6 task key, blob7 the graph occurrence's run id (both empty for a run that is not a task;
 *   task keys are per job, so they live here rather than in Prometheus labels)
 */
import type { Priority } from "../domain/priority";

/** What one finished attempt contributes. */
export interface AttemptPoint {
  tenant_id: string;
  job_id: string;
  run_id: string;
  priority: Priority;
  outcome: string;
  attempt: number;
  fire_lag_ms: number;
  duration_ms: number;
  status_code: number | null;
  /** A task of a graph: its key and its occurrence's run id. */
  task_key?: string | undefined;
  parent_run_id?: string | undefined;
}

/** Where attempt points go; the consumer depends on this, not on the binding. */
export interface AttemptAnalytics {
  record(point: AttemptPoint): void;
}

/**
 * Observers see every point recorded in this isolate. Analytics Engine is a no-op locally, so tests
 * (which share the isolate with the Worker under @cloudflare/vitest-plugin) register one here to see
 * what the real consumer wrote. Production code registers none.
 */
export const attemptAnalyticsObservers = new Set<(point: AttemptPoint) => void>();

/** The data point of `point` in the layout above. */
export function toDataPoint(point: AttemptPoint): AnalyticsEngineDataPoint {
  return {
    indexes: [point.tenant_id],
    blobs: [
      point.tenant_id,
      point.job_id,
      point.priority,
      point.outcome,
      point.run_id,
      point.task_key ?? "",
      point.parent_run_id ?? "",
    ],
    doubles: [point.fire_lag_ms, point.duration_ms, point.attempt, point.status_code ?? 0],
  };
}

/**
 * Writes to the `ANALYTICS` dataset when the binding exists (a deployment without it, or a test
 * configuration, just skips the write) and tells the observers. Never throws: analytics must not
 * fail a delivery.
 */
export function attemptAnalytics(env: { ANALYTICS?: AnalyticsEngineDataset }): AttemptAnalytics {
  return {
    record(point) {
      try {
        env.ANALYTICS?.writeDataPoint(toDataPoint(point));
      } catch {
        // writeDataPoint does not throw for valid points; a malformed one is not worth a failed batch.
      }
      for (const observe of attemptAnalyticsObservers) observe(point);
    },
  };
}
