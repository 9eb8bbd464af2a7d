/** Turns stored rows into wire shapes (snake_case, RFC 3339 UTC). */

import type { WAITING_REASONS } from "../../contract/flow";
import type { JobView } from "../../contract/job";
import type { AttemptView, RunView, TaskRunView } from "../../contract/run";
import type { TenantView } from "../../contract/tenant";
import { TIERS } from "../../domain/tiers";
import type { AttemptRow, JobRow, RunRow, TenantRow } from "./schema";

type WaitingReason = (typeof WAITING_REASONS)[number];

/** A page of a list: the items and the cursor of the next page (null on the last). */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function tenantView(row: TenantRow): TenantView {
  return {
    id: row.id,
    name: row.name,
    tier: row.tier,
    suspended: row.suspended,
    max_in_flight: row.maxInFlight ?? TIERS[row.tier].max_in_flight,
    default_flow_limits: row.defaultFlowLimits ?? null,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export function jobView(row: JobRow, lastRun: RunRow | undefined): JobView {
  return {
    id: row.id,
    name: row.name,
    schedule: row.schedule ?? null,
    target: row.target.type === "graph" ? null : row.target,
    tasks: row.target.type === "graph" ? row.target.tasks : null,
    priority: row.priority,
    retry: {
      max_attempts: row.maxAttempts,
      initial_backoff_seconds: row.initialBackoffMs / 1000,
      max_backoff_seconds: row.maxBackoffMs / 1000,
    },
    retry_on: row.retryOn,
    timeout_seconds: row.timeoutSeconds,
    overlap: row.overlap,
    catchup_window_seconds: row.catchupWindowSeconds,
    metadata: row.metadata,
    flow_key: row.flowKey,
    status: row.status,
    next_run_at: isoOrNull(row.nextRunAt),
    last_run: lastRun
      ? {
          id: lastRun.id,
          status: lastRun.status,
          scheduled_for: iso(lastRun.scheduledFor),
          finished_at: isoOrNull(lastRun.finishedAt),
        }
      : null,
    version: row.version,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/**
 * A run on the wire. `waitingReason` is what holds a run that is due and has not started (computed
 * from the object's state when the run is read; see flow/waiting-reasons.ts).
 */
export function runView(row: RunRow, waitingReason: WaitingReason | null = null): RunView {
  const waiting = row.status === "pending" || row.status === "retrying";
  return {
    id: row.id,
    job_id: row.jobId,
    key: row.key,
    trigger: row.trigger,
    status: row.status,
    priority: row.priority,
    scheduled_for: iso(row.scheduledFor),
    attempt: row.attempt,
    max_attempts: row.maxAttempts,
    next_attempt_at: waiting ? iso(row.dueAt) : null,
    started_at: isoOrNull(row.startedAt),
    finished_at: isoOrNull(row.finishedAt),
    fire_lag_ms: row.startedAt === null ? null : row.startedAt - row.scheduledFor,
    last_error: row.lastError,
    created_at: iso(row.createdAt),
    pool: row.pool,
    worker_id: row.workerId,
    parent_run_id: row.parentId,
    task_key: row.taskKey,
    flow_key: row.flowKey,
    waiting_reason: waitingReason,
  };
}

/** One task of a graph occurrence, with its attempts (`GET /v1/runs/:id` of the occurrence). */
export function taskRunView(row: RunRow, dependsOn: string[], attempts: AttemptRow[]): TaskRunView {
  const waiting = row.status === "pending" || row.status === "retrying";
  return {
    key: row.taskKey ?? "",
    run_id: row.id,
    status: row.status,
    depends_on: dependsOn,
    priority: row.priority,
    attempt: row.attempt,
    max_attempts: row.maxAttempts,
    next_attempt_at: waiting && row.dispatchAt !== null ? iso(row.dispatchAt) : null,
    started_at: isoOrNull(row.startedAt),
    finished_at: isoOrNull(row.finishedAt),
    last_error: row.lastError,
    pool: row.pool,
    worker_id: row.workerId,
    attempts: attempts.map(attemptView),
  };
}

/** What only a run's own page shows: a worker run's saved checkpoint and last progress. */
export function runExtras(row: RunRow): { checkpoint: unknown; progress: unknown } {
  return { checkpoint: row.checkpoint ?? null, progress: row.progress ?? null };
}

export function attemptView(row: AttemptRow): AttemptView {
  return {
    attempt: row.attempt,
    outcome: row.outcome,
    status_code: row.statusCode,
    started_at: iso(row.startedAt),
    finished_at: isoOrNull(row.finishedAt),
    duration_ms: row.durationMs,
    response_body: row.responseBody,
    error: row.error,
    worker_id: row.workerId,
  };
}
