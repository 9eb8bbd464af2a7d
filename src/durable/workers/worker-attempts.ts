/**
 * A pull worker's attempts: started by a claim, kept alive by heartbeats, ended by its report.
 * A report or heartbeat must name the run's current attempt and the worker that holds it;
 * anything else is a 409 that changes nothing. Outcomes (succeeded, retrying, dead) are the same
 * code as for webhooks (`AttemptLifecycle.report`). Synchronous; callers wrap changes in transactions.
 */
import type { ClaimedRun, LeaseAnswer } from "../../contract/worker";
import { LIMITS } from "../../domain/limits";
import { fail } from "../../domain/problem";
import type { AttemptResult } from "../../queues/messages";
import { RUNNING_LEASE_MARGIN_MS } from "../dispatch/run-dispatch";
import type { TaskGraph } from "../graphs/task-graph";
import type { JobStore } from "../jobs/job-store";
import type { AttemptLifecycle } from "../lifecycle/attempt-lifecycle";
import { firesOnSchedule } from "../lifecycle/attempt-lifecycle";
import type { Counters } from "../metrics/counters";
import type { AttemptStore } from "../runs/attempt-store";
import type { LeaseTable } from "../runs/lease-table";
import type { RunLog } from "../runs/run-log";
import { isTask, type RunStore } from "../runs/run-store";
import type { AttemptRecord, JobRow, RunRow } from "../storage/schema";
import { iso } from "../storage/views";

/**
 * A claim or heartbeat keeps a worker's attempt for the claim's `lease_seconds` (30 s by default),
 * stored on the run with the claim (`lease_ms`). Renewals live in memory (the lease table) and
 * cost no row write; a restarted object grants every running worker run its lease length again
 * from the restart, which is never shorter than what its worker was last told.
 */
export const WORKER_LEASE_MS = LIMITS.defaultWorkerLeaseSeconds * 1000;

export type WorkerReport =
  | { kind: "complete"; worker_id: string; attempt: number; result?: unknown }
  | { kind: "fail"; worker_id: string; attempt: number; error: string; retryable: boolean };

export class WorkerAttempts {
  constructor(
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly attemptStore: AttemptStore,
    private readonly outcomes: AttemptLifecycle,
    private readonly leases: LeaseTable,
    private readonly counters: Counters,
    private readonly runLog: RunLog,
    private readonly graph: TaskGraph,
  ) {}

  /** Starts the next attempt of a ready worker run for `workerId`, claimed with token `tokenId`. */
  start(run: RunRow, workerId: string, leaseMs: number, now: number, tokenId: string): ClaimedRun {
    const job = this.jobs.forRun(run) as JobRow;
    const attempt = run.attempt + 1;
    const lease = leaseUntil(now, leaseMs, now, job);
    const waitedMs = Math.max(0, now - (run.dispatchAt ?? now));
    const { attemptRecord } = this.attemptStore.begin(run, attempt, now, workerId);
    this.runs.transition(run, "running", {
      attempt,
      startedAt: run.startedAt ?? now,
      dispatchAt: null,
      workerId,
      leaseExpiresAt: lease,
      leaseMs,
      progress: null,
      // The claiming token goes with the attempt: its heartbeats and reports must come with it.
      attemptRecord: { ...attemptRecord, tokenId },
    });
    this.runLog.debug("attempt.started", run, { attempt, worker_id: workerId, pool: run.pool });
    this.counters.observe(
      "scheduler_worker_claim_lag_seconds",
      { pool: run.pool ?? "" },
      waitedMs / 1000,
    );
    if (attempt === 1 && firesOnSchedule(run)) {
      this.counters.observe(
        "scheduler_fire_lag_seconds",
        { priority: run.priority },
        Math.max(0, now - run.scheduledFor) / 1000,
      );
    }
    const target = job.target.type === "worker" ? job.target : null;
    return {
      run_id: run.id,
      attempt,
      job_id: run.jobId,
      pool: run.pool ?? "",
      payload: target?.payload ?? null,
      checkpoint: run.checkpoint ?? null,
      lease_expires_at: iso(lease),
      timeout_seconds: job.timeoutSeconds,
      scheduled_for: iso(run.scheduledFor),
      priority: run.priority,
      task: isTask(run) ? this.graph.envelope(run) : null,
    };
  }

  /** Renews the lease of the worker's current attempt; saves a checkpoint or progress if given. */
  heartbeat(
    run: RunRow,
    input: { worker_id: string; attempt: number; checkpoint?: unknown; progress?: unknown },
    now: number,
  ): LeaseAnswer {
    const record = this.assertCurrent(run, input.worker_id, input.attempt);
    return this.renew(this.save(run, input), record, now);
  }

  /** Keeps the checkpoint or progress a heartbeat brought (one row write), if it brought any. */
  save(run: RunRow, news: { checkpoint?: unknown; progress?: unknown }): RunRow {
    const saved: Partial<RunRow> = {};
    if (news.checkpoint !== undefined) saved.checkpoint = news.checkpoint;
    if (news.progress !== undefined) saved.progress = news.progress;
    return Object.keys(saved).length ? this.runs.patch(run, saved) : run;
  }

  /** The lease answer for one of the worker's attempts (renewed if the run still runs). */
  renew(run: RunRow, record: AttemptRecord, now: number): LeaseAnswer {
    const job = this.jobs.forRun(run);
    const answer = { run_id: run.id, attempt: record.attempt };
    if (run.status !== "running" || !job) {
      return {
        ...answer,
        lease_expires_at: null,
        cancel: true,
        cancel_reason: run.lastError ?? run.status,
      };
    }
    // A paused job's running attempt goes on to its end (only runs waiting are held), so the
    // worker is not told to stop; a cancelled run is no longer `running` and answered above.
    // Never shorter than the lease already given: the job's timeout may have been lowered since
    // the attempt started, and the worker was told when its lease ends.
    const renewed = leaseUntil(now, run.leaseMs ?? WORKER_LEASE_MS, record.startedAt, job);
    const lease = Math.max(renewed, this.leases.get(run.id) ?? renewed);
    this.leases.set(run.id, lease);
    return { ...answer, lease_expires_at: iso(lease), cancel: false, cancel_reason: null };
  }

  /**
   * Records the worker's report. A repeat of a report already recorded for this attempt is
   * answered as before (idempotent); a report for an attempt that is not the current one is a 409.
   */
  report(run: RunRow, report: WorkerReport, now: number): void {
    const record = run.attemptRecord;
    const outcome = report.kind === "complete" ? "succeeded" : "failed";
    if (
      record?.attempt === report.attempt &&
      record.workerId === report.worker_id &&
      record.outcome === outcome
    ) {
      return;
    }
    this.assertCurrent(run, report.worker_id, report.attempt);
    const result: AttemptResult = {
      run_id: run.id,
      attempt: report.attempt,
      outcome,
      status_code: null,
      started_at: record?.startedAt ?? now,
      duration_ms: Math.max(0, now - (record?.startedAt ?? now)),
      response_body:
        report.kind === "complete" && report.result !== undefined
          ? JSON.stringify(report.result)
          : null,
      error: report.kind === "fail" ? report.error : null,
      ...(report.kind === "fail" ? { retryable: report.retryable } : {}),
    };
    this.outcomes.report(result, now);
  }

  /** The attempt record when `attempt` is the run's current attempt, running, held by `workerId`. */
  assertCurrent(run: RunRow, workerId: string, attempt: number): AttemptRecord {
    const record = run.attemptRecord;
    if (!record || record.attempt !== attempt || record.outcome !== "running") {
      const now = record ? `attempt ${record.attempt} is ${record.outcome}` : "no attempt started";
      throw fail.conflict(
        `Attempt ${attempt} of run ${run.id} is not current (${now}); stop working on it.`,
        [{ path: "attempt", message: "not the run's current running attempt" }],
      );
    }
    if (record.workerId !== workerId) {
      throw fail.conflict(`Run ${run.id} attempt ${attempt} is held by another worker.`, [
        { path: "worker_id", message: "not the worker holding this attempt" },
      ]);
    }
    return record;
  }
}

/** A renewal never reaches past the attempt's timeout (plus the margin to report). */
function leaseUntil(now: number, leaseMs: number, attemptStartedAt: number, job: JobRow): number {
  const deadline = attemptStartedAt + job.timeoutSeconds * 1000 + RUNNING_LEASE_MARGIN_MS;
  return Math.min(now + leaseMs, deadline);
}
