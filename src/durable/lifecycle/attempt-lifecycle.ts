/**
 * An attempt's life on the object: claimed by a consumer (or recalled while the tenant is
 * suspended), reported, expired without a report, or dead-lettered before any claim; each end
 * moves its run on (succeeded, retrying with backoff, dead). Synchronous SQLite changes; callers
 * wrap them in transactions.
 */
import { isRetryable, retryDelayMs } from "../../domain/backoff";
import type { AttemptResult, ClaimedAttempt, ClaimRequest } from "../../queues/messages";
import { runningLeaseEnd } from "../dispatch/run-dispatch";
import type { TaskGraph } from "../graphs/task-graph";
import type { JobStore } from "../jobs/job-store";
import type { Counters } from "../metrics/counters";
import type { AttemptEnd, AttemptStore } from "../runs/attempt-store";
import type { RunLog } from "../runs/run-log";
import { destinationOf, isTask, poolOf, type RunStore } from "../runs/run-store";
import type { RunRow } from "../storage/schema";
import type { RunControl } from "./run-control";

export class AttemptLifecycle {
  constructor(
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly attempts: AttemptStore,
    private readonly counters: Counters,
    private readonly control: RunControl,
    private readonly runLog: RunLog,
    private readonly graph: TaskGraph,
  ) {}

  /** Starts an attempt if the message is the current one; anything else is dropped by the caller. */
  claim(request: ClaimRequest, now: number, workerId: string | null): ClaimedAttempt | null {
    const run = this.runs.get(request.run_id);
    if (run?.status !== "queued" || run.attempt + 1 !== request.attempt) return null;
    // A task runs with its own target and settings (`JobStore.forRun`).
    const job = this.jobs.forRun(run);
    // A worker target's runs are claimed by pull workers, never through a queue message.
    if (job?.target.type !== "http") return null;
    const target = job.target;
    // Only unindexed columns change: the claim rewrites no index entry. (The consumer's id is kept
    // on the attempt; the run's `worker_id` is for pull workers.)
    this.runs.transition(run, "running", {
      attempt: request.attempt,
      startedAt: run.startedAt ?? now,
      // The attempt's own lease from now: the send-time lease may have little left (issue 19, 4).
      leaseExpiresAt: runningLeaseEnd(now, job.timeoutSeconds),
      ...this.attempts.begin(run, request.attempt, now, workerId),
    });
    this.runLog.debug("attempt.started", run, {
      attempt: request.attempt,
      worker_id: workerId,
      scheduled_for: new Date(run.scheduledFor).toISOString(),
      lag_ms: Math.max(0, now - run.scheduledFor),
    });
    if (request.attempt === 1 && firesOnSchedule(run)) {
      this.counters.observe(
        "scheduler_fire_lag_seconds",
        { priority: run.priority },
        Math.max(0, now - run.scheduledFor) / 1000,
      );
    }
    return {
      run_id: run.id,
      job_id: job.id,
      attempt: request.attempt,
      scheduled_for: run.scheduledFor,
      priority: run.priority,
      claimed_at: now,
      target,
      timeout_seconds: job.timeoutSeconds,
      ...(isTask(run) ? { task: this.graph.envelope(run) } : {}),
    };
  }

  /** While the tenant is suspended a claimed message does not execute: its run waits again. */
  recall(request: ClaimRequest, now: number): void {
    const run = this.runs.get(request.run_id);
    if (run?.status === "queued" && run.attempt + 1 === request.attempt) {
      this.runs.transition(run, "pending", { dispatchAt: now, leaseExpiresAt: null });
      this.runLog.info("run.recalled", run, { reason: "tenant suspended" });
    }
  }

  /**
   * Records an attempt's result and moves the run on, in one write of the run. A duplicate or
   * stale report changes nothing; one for an attempt still running on a run that moved on (it was
   * cancelled meanwhile) only completes the attempt.
   */
  report(result: AttemptResult, now: number): void {
    const run = this.runs.get(result.run_id);
    if (!run) return;
    const ended = this.attempts.end(run, result.attempt, {
      outcome: result.outcome,
      statusCode: result.status_code,
      finishedAt: result.started_at + result.duration_ms,
      durationMs: result.duration_ms,
      responseBody: result.response_body,
      error: result.error,
    });
    if (ended === null) return;
    // A success is in the metrics and Analytics Engine already; a line per success would be the
    // busiest line in the log, so it is written at debug (failures stay at info).
    this.runLog.write(
      "attempt.finished",
      run,
      {
        attempt: result.attempt,
        outcome: result.outcome,
        status_code: result.status_code,
        duration_ms: result.duration_ms,
        ...(result.error ? { error: result.error } : {}),
      },
      result.outcome === "succeeded" ? "debug" : "info",
    );
    this.counters.add("scheduler_attempts_total", {
      outcome: result.outcome,
      priority: run.priority,
    });
    this.counters.observe(
      "scheduler_attempt_duration_seconds",
      { priority: run.priority },
      result.duration_ms / 1000,
    );
    if (run.status !== "running" || run.attempt !== result.attempt) {
      if (Object.keys(ended).length) this.runs.patch(run, ended);
      return;
    }
    if (result.outcome === "succeeded") {
      this.runLog.debug("run.succeeded", run);
      this.control.runEnded(
        this.runs.transition(run, "succeeded", {
          finishedAt: now,
          leaseExpiresAt: null,
          lastError: null,
          ...ended,
        }),
        now,
      );
      return;
    }
    const error = result.error ?? `HTTP ${result.status_code}`;
    this.failAttempt(run, now, error, result.status_code, ended, result.retryable);
  }

  /** A running attempt whose consumer never reported: it failed, and is retried if allowed. */
  expireLease(run: RunRow, now: number): void {
    if (run.status === "queued") {
      // The message was lost or is stuck: send it again (a late original fails its claim).
      this.runs.transition(run, "pending", { dispatchAt: now, leaseExpiresAt: null });
      this.runLog.info("run.requeued", run, {
        attempt: run.attempt + 1,
        reason: "queued lease expired without a claim",
      });
      return;
    }
    if (run.status !== "running") {
      this.runs.patch(run, { leaseExpiresAt: null });
      return;
    }
    const ended = this.attempts.end(run, run.attempt, {
      outcome: "lease_expired",
      statusCode: null,
      finishedAt: now,
      durationMs: null,
      responseBody: null,
      error: "no result before the lease expired",
    });
    this.runLog.info("attempt.finished", run, { outcome: "lease_expired", status_code: null });
    // No consumer reported this attempt, so no Analytics Engine point exists for it; count it here.
    this.counters.add("scheduler_attempts_total", {
      outcome: "lease_expired",
      priority: run.priority,
    });
    const silent = run.pool ? "the worker stopped heartbeating" : "the consumer did not report";
    this.failAttempt(run, now, `lease expired: ${silent}`, null, ended ?? {});
  }

  /** After a failed attempt: retrying with backoff, or dead. `fields` (the attempt's end) go along. */
  private failAttempt(
    run: RunRow,
    now: number,
    error: string,
    statusCode: number | null,
    fields: Partial<RunRow>,
    verdict?: boolean,
  ): void {
    const job = this.jobs.forRun(run);
    const retryable =
      job !== undefined &&
      job.status !== "cancelled" &&
      (verdict ?? isRetryable(statusCode, job.retryOn));
    if (!job || !retryable || run.attempt >= run.maxAttempts) {
      this.runLog.info("run.dead", run, {
        reason: error,
        max_attempts: run.maxAttempts,
        retryable,
      });
      this.control.runEnded(
        this.runs.transition(run, "dead", {
          finishedAt: now,
          leaseExpiresAt: null,
          lastError: error,
          ...fields,
        }),
        now,
      );
      return;
    }
    const dueAt =
      now +
      retryDelayMs(
        {
          max_attempts: job.maxAttempts,
          initial_backoff_seconds: job.initialBackoffMs / 1000,
          max_backoff_seconds: job.maxBackoffMs / 1000,
        },
        run.attempt,
      );
    this.runLog.info("run.retrying", run, {
      reason: error,
      next_attempt: run.attempt + 1,
      next_attempt_at: new Date(dueAt).toISOString(),
      backoff_ms: dueAt - now,
      held: job.status === "paused",
    });
    this.runs.transition(run, "retrying", {
      dueAt,
      dispatchAt: job.status === "paused" ? null : dueAt,
      leaseExpiresAt: null,
      lastError: error,
      // The next attempt goes where the job's target is now (it may have changed meanwhile).
      pool: poolOf(job),
      destination: destinationOf(job),
      ...fields,
    });
  }

  /**
   * The queue gave up on a queued run's message (no consumer could claim it, e.g. its object was
   * unreachable through every redelivery). That counts as one failed attempt, recorded as such, so
   * the job's retry policy decides: another attempt after backoff, or dead once attempts run out.
   */
  undeliverable(run: RunRow, now: number, reason: string): void {
    const attempt = run.attempt + 1;
    const failed: AttemptEnd = {
      outcome: "failed",
      statusCode: null,
      finishedAt: now,
      durationMs: null,
      responseBody: null,
      error: reason,
    };
    const { attemptRecord } = this.attempts.begin(run, attempt, now, null);
    this.runLog.info("attempt.finished", run, { attempt, outcome: "failed", error: reason });
    this.counters.add("scheduler_attempts_total", { outcome: "failed", priority: run.priority });
    this.failAttempt({ ...run, attempt }, now, reason, null, {
      attempt,
      startedAt: run.startedAt ?? now,
      attemptRecord: { ...attemptRecord, ...failed },
    });
  }
}

/**
 * Whether a run's first attempt measures fire lag: plain runs and a graph's first tasks do; a task
 * that waited for its dependencies starts when they finish, not at the scheduled time.
 */
export function firesOnSchedule(run: RunRow): boolean {
  return !isTask(run) || run.dueAt === run.scheduledFor;
}
