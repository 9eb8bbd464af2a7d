/**
 * What happens to runs, as synchronous SQLite changes: occurrences become runs (overlap policy,
 * catch-up window), runs are picked for dispatch, claimed, finished, retried, expired, cancelled.
 * Callers wrap these in transactions; sending to queues happens elsewhere (dispatcher.ts).
 */

import { isRetryable, retryDelayMs } from "../domain/backoff";
import { DEFAULTS, LIMITS } from "../domain/limits";
import { fail } from "../domain/problem";
import { isCron, nextCronTime, previousCronTime } from "../domain/schedule";
import { type LogFields, log, logDebug } from "../observability/log";
import type { AttemptResult, ClaimedAttempt, ClaimRequest, RunMessage } from "../queues/messages";
import type { AttemptEnd, AttemptStore } from "./attempt-store";
import type { Counters } from "./counters";
import type { JobStore } from "./job-store";
import type { RunStore } from "./run-store";
import type { JobRow, RunRow } from "./schema";
import type { SendBudget } from "./send-budget";

/**
 * A sent run's lease is this + its job's timeout + the margin: time to be claimed, then to run.
 * Past it, a queued run is sent again (the message was lost) and a running one counts as failed.
 */
export const QUEUED_LEASE_MS = 120_000;
/** Added to a job's timeout for the attempt to report. */
export const RUNNING_LEASE_MARGIN_MS = 30_000;
/**
 * Lateness an occurrence may have before its catch-up window starts counting. An alarm fires a few
 * milliseconds after its time, and bounded rounds of a large burst a few seconds after; none of
 * that is a miss, so `catchup_window_seconds: 0` means "only when on time", not "never".
 */
export const CATCHUP_GRACE_MS = 5_000;
/** At most this many `missed` runs are recorded per job in one catch-up. */
export const MAX_MISSED_RECORDED = 100;

export class RunLifecycle {
  constructor(
    private readonly tenantId: string,
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly attempts: AttemptStore,
    private readonly counters: Counters,
  ) {}

  /** One structured log line about `run`, carrying the tenant, job, run and attempt ids. */
  private log(
    event: string,
    run: RunRow,
    fields: LogFields = {},
    level: "info" | "debug" = "info",
  ): void {
    (level === "debug" ? logDebug : log)(event, {
      tenant_id: this.tenantId,
      job_id: run.jobId,
      run_id: run.id,
      attempt: run.attempt,
      priority: run.priority,
      ...fields,
    });
  }

  private debug(event: string, run: RunRow, fields: LogFields = {}): void {
    this.log(event, run, fields, "debug");
  }

  /**
   * Turns a due job into runs and advances it. Occurrences later than the catch-up window (plus
   * the grace) are recorded as `missed`; of those inside it only the latest runs (coalesced).
   */
  materialize(job: JobRow, now: number, budget?: SendBudget): void {
    const first = job.nextRunAt;
    if (first === null || first > now) return;
    const windowStart = now - job.catchupWindowSeconds * 1000 - CATCHUP_GRACE_MS;
    let lastRunId = job.lastRunId;
    const occur = (at: number, kind: "run" | "missed") => {
      lastRunId = this.occur({ ...job, lastRunId }, at, kind, now, budget)?.id ?? lastRunId;
    };
    if (!isCron(job.schedule)) {
      occur(first, first < windowStart ? "missed" : "run");
      const fresh = this.current(job);
      this.jobs.save({ ...fresh, status: "completed", nextRunAt: null, lastRunId }, fresh);
      return;
    }
    const { cron } = job.schedule;
    const timezone = job.schedule.timezone ?? DEFAULTS.timezone;
    let occurrence: number | null = first;
    for (
      let missed = 0;
      occurrence !== null && occurrence < windowStart && missed < MAX_MISSED_RECORDED;
      missed++
    ) {
      occur(occurrence, "missed");
      occurrence = nextCronTime(cron, timezone, occurrence);
    }
    // Occurrences still before the window are not recorded one by one, and those inside it are
    // coalesced into the latest one, which runs.
    let latest = previousCronTime(cron, timezone, now + 1);
    // A job created inside a repeated fall-back hour, after its time's first instance, was given
    // the second instance; previousCronTime answers the first (the rule for fixed hours), so the
    // sequence's own due occurrence is the one to run.
    if (occurrence !== null && occurrence <= now && (latest === null || latest < occurrence))
      latest = occurrence;
    if (occurrence !== null && latest !== null && latest >= Math.max(occurrence, windowStart))
      occur(latest, "run");
    // The next occurrence of the sequence, not "the next after now": after a late alarm inside a
    // repeated fall-back hour, the latter would be the repeat the sequence skips.
    const following = nextCronTime(cron, timezone, latest ?? now);
    const fresh = this.current(job);
    const status = following === null ? "completed" : fresh.status;
    this.jobs.save({ ...fresh, nextRunAt: following, status, lastRunId }, fresh);
  }

  private current(job: JobRow): JobRow {
    return this.jobs.get(job.id) ?? job;
  }

  /** Creates the run of one occurrence, applying the job's overlap policy. */
  private occur(
    job: JobRow,
    scheduledFor: number,
    kind: "run" | "missed",
    now: number,
    budget?: SendBudget,
  ): RunRow | undefined {
    if (kind === "missed")
      return this.logCreated(
        this.runs.create(
          job,
          { scheduledFor, trigger: "schedule", status: "missed", dispatchAt: null },
          now,
        ),
      );
    const active = this.runs.activeOfJob(job.id);
    if (active.length >= LIMITS.maxActiveRunsPerJob) {
      return this.logCreated(
        this.runs.create(
          job,
          { scheduledFor, trigger: "schedule", status: "skipped", dispatchAt: null },
          now,
          `the job has ${active.length} runs in progress (at most ${LIMITS.maxActiveRunsPerJob})`,
        ),
      );
    }
    let dispatchAt: number | null = scheduledFor;
    if (active.length > 0) {
      switch (job.overlap) {
        case "skip":
          return this.logCreated(
            this.runs.create(
              job,
              { scheduledFor, trigger: "schedule", status: "skipped", dispatchAt: null },
              now,
            ),
          );
        case "buffer_one":
          if (active.some((r) => r.status === "pending" && r.dispatchAt === null)) {
            return this.logCreated(
              this.runs.create(
                job,
                { scheduledFor, trigger: "schedule", status: "skipped", dispatchAt: null },
                now,
              ),
            );
          }
          dispatchAt = null;
          break;
        case "cancel_other":
          for (const run of active)
            this.cancel(run, now, "superseded by a newer run (overlap cancel_other)", false);
          break;
        case "allow":
          break;
      }
    }
    if (dispatchAt !== null && dispatchAt <= now && budget?.admits(job.priorityRank)) {
      const run = this.runs.create(
        job,
        {
          scheduledFor,
          trigger: "schedule",
          status: "queued",
          dispatchAt: null,
          leaseExpiresAt: this.leaseFrom(now, job),
        },
        now,
      );
      if (run) budget.messages.push(this.dispatched(run, now));
      return this.logCreated(run);
    }
    return this.logCreated(
      this.runs.create(
        job,
        { scheduledFor, trigger: "schedule", status: "pending", dispatchAt },
        now,
      ),
    );
  }

  /** Logs a new run: `run.created`, or `run.missed` / `run.skipped` for one born final. */
  private logCreated(run: RunRow | undefined): RunRow | undefined {
    if (!run) return run;
    const routine = run.status === "pending" || run.status === "queued";
    const event = routine ? "run.created" : `run.${run.status}`;
    this.log(
      event,
      run,
      {
        trigger: run.trigger,
        scheduled_for: new Date(run.scheduledFor).toISOString(),
        ...(run.lastError ? { reason: run.lastError } : {}),
      },
      routine ? "debug" : "info",
    );
    return run;
  }

  /** 409 when the job already has as many runs in progress as one job may have. */
  assertRoomForRun(job: JobRow): void {
    const active = this.runs.activeOfJob(job.id).length;
    if (active >= LIMITS.maxActiveRunsPerJob) {
      throw fail.conflict(
        `Job ${job.id} has ${active} runs in progress, the most one job may have; wait for some to finish or cancel them.`,
      );
    }
  }

  /** A manual run of `job`, sent now whatever the overlap policy (an explicit request). */
  trigger(job: JobRow, now: number): RunRow {
    this.assertRoomForRun(job);
    const run = this.runs.create(
      job,
      { scheduledFor: now, trigger: "manual", status: "pending", dispatchAt: now },
      now,
    ) as RunRow;
    this.jobs.save({ ...job, lastRunId: run.id });
    this.logCreated(run);
    return run;
  }

  /**
   * Marks `ready` queued and returns their messages; the caller sends them after committing. The
   * lease set here covers the wait in the queue and the attempt itself, so the claim need not move
   * it (moving it would rewrite its index entry on every run).
   */
  markQueued(ready: RunRow[], now: number): RunMessage[] {
    return ready.map((run) => {
      this.runs.transition(run, "queued", {
        dispatchAt: null,
        leaseExpiresAt: this.leaseFrom(now, this.jobs.get(run.jobId)),
      });
      return this.dispatched(run, now);
    });
  }

  /** A sent run's lease: time to be claimed, then the job's timeout and the margin to report. */
  private leaseFrom(now: number, job: JobRow | undefined): number {
    const timeoutMs = (job?.timeoutSeconds ?? LIMITS.maxTimeoutSeconds) * 1000;
    return now + QUEUED_LEASE_MS + timeoutMs + RUNNING_LEASE_MARGIN_MS;
  }

  /** The message of a run just marked queued (its next attempt), with its debug line. */
  private dispatched(run: RunRow, now: number): RunMessage {
    this.debug("run.dispatched", run, {
      attempt: run.attempt + 1,
      scheduled_for: new Date(run.scheduledFor).toISOString(),
    });
    return {
      tenant_id: this.tenantId,
      run_id: run.id,
      job_id: run.jobId,
      attempt: run.attempt + 1,
      key: run.key,
      scheduled_for: run.scheduledFor,
      priority: run.priority,
      dispatched_at: now,
    };
  }

  /** Puts runs whose messages could not be sent back to waiting, to be sent again shortly. */
  unsend(messages: RunMessage[], retryAt: number): void {
    for (const message of messages) {
      const run = this.runs.get(message.run_id);
      if (run?.status === "queued" && run.attempt + 1 === message.attempt) {
        this.runs.transition(run, "pending", { dispatchAt: retryAt, leaseExpiresAt: null });
        this.log("run.unsent", run, {
          attempt: message.attempt,
          retry_at: new Date(retryAt).toISOString(),
        });
      }
    }
  }

  /** Starts an attempt if the message is the current one; anything else is dropped by the caller. */
  claim(request: ClaimRequest, now: number, workerId: string | null): ClaimedAttempt | null {
    const run = this.runs.get(request.run_id);
    if (run?.status !== "queued" || run.attempt + 1 !== request.attempt) return null;
    const job = this.jobs.get(run.jobId);
    if (!job) return null;
    // Only unindexed columns change: the claim rewrites no index entry. (The consumer's id is kept
    // on the attempt; the run's `worker_id` is for pull workers.)
    this.runs.transition(run, "running", {
      attempt: request.attempt,
      startedAt: run.startedAt ?? now,
      ...this.attempts.begin(run, request.attempt, now, workerId),
    });
    this.debug("attempt.started", run, {
      attempt: request.attempt,
      worker_id: workerId,
      scheduled_for: new Date(run.scheduledFor).toISOString(),
      lag_ms: Math.max(0, now - run.scheduledFor),
    });
    if (request.attempt === 1) {
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
      target: job.target,
      timeout_seconds: job.timeoutSeconds,
    };
  }

  /** While the tenant is suspended a claimed message does not execute: its run waits again. */
  recall(request: ClaimRequest, now: number): void {
    const run = this.runs.get(request.run_id);
    if (run?.status === "queued" && run.attempt + 1 === request.attempt) {
      this.runs.transition(run, "pending", { dispatchAt: now, leaseExpiresAt: null });
      this.log("run.recalled", run, { reason: "tenant suspended" });
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
    this.log("attempt.finished", run, {
      attempt: result.attempt,
      outcome: result.outcome,
      status_code: result.status_code,
      duration_ms: result.duration_ms,
      ...(result.error ? { error: result.error } : {}),
    });
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
      this.debug("run.succeeded", run);
      this.finish(
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
    this.failAttempt(run, now, error, result.status_code, ended);
  }

  /** A running attempt whose consumer never reported: it failed, and is retried if allowed. */
  expireLease(run: RunRow, now: number): void {
    if (run.status === "queued") {
      // The message was lost or is stuck: send it again (a late original fails its claim).
      this.runs.transition(run, "pending", { dispatchAt: now, leaseExpiresAt: null });
      this.log("run.requeued", run, {
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
    this.log("attempt.finished", run, { outcome: "lease_expired", status_code: null });
    // No consumer reported this attempt, so no Analytics Engine point exists for it; count it here.
    this.counters.add("scheduler_attempts_total", {
      outcome: "lease_expired",
      priority: run.priority,
    });
    this.failAttempt(run, now, "lease expired: the consumer did not report", null, ended ?? {});
  }

  /** After a failed attempt: retrying with backoff, or dead. `fields` (the attempt's end) go along. */
  private failAttempt(
    run: RunRow,
    now: number,
    error: string,
    statusCode: number | null,
    fields: Partial<RunRow>,
  ): void {
    const job = this.jobs.get(run.jobId);
    const retryable =
      job !== undefined && job.status !== "cancelled" && isRetryable(statusCode, job.retryOn);
    if (!job || !retryable || run.attempt >= run.maxAttempts) {
      this.log("run.dead", run, {
        reason: error,
        max_attempts: run.maxAttempts,
        retryable,
      });
      this.finish(
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
    this.log("run.retrying", run, {
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
    this.log("attempt.finished", run, { attempt, outcome: "failed", error: reason });
    this.counters.add("scheduler_attempts_total", { outcome: "failed", priority: run.priority });
    this.failAttempt({ ...run, attempt }, now, reason, null, {
      attempt,
      startedAt: run.startedAt ?? now,
      attemptRecord: { ...attemptRecord, ...failed },
    });
  }

  /** Cancels a run that has not finished. A running attempt goes on, but its result changes nothing. */
  cancel(run: RunRow, now: number, reason = "cancelled", releaseNext = true): RunRow {
    const cancelled = this.markCancelled(run, now, reason);
    this.log("run.cancelled", run, { reason, from_status: run.status });
    if (releaseNext) this.finish(cancelled, now);
    return cancelled;
  }

  /**
   * Cancels the job's runs that wait (a running attempt finishes and is recorded). One log line for
   * all of them; there are at most `maxActiveRunsPerJob`.
   */
  cancelWaiting(job: JobRow, now: number, reason: string): void {
    const waiting = this.runs.activeOfJob(job.id).filter((r) => r.status !== "running");
    for (const run of waiting) this.markCancelled(run, now, reason);
    if (waiting.length) {
      log("runs.cancelled", {
        tenant_id: this.tenantId,
        job_id: job.id,
        reason,
        count: waiting.length,
        run_ids: waiting.map((r) => r.id),
      });
    }
  }

  private markCancelled(run: RunRow, now: number, reason: string): RunRow {
    return this.runs.transition(run, "cancelled", {
      dispatchAt: null,
      leaseExpiresAt: null,
      finishedAt: now,
      lastError: reason,
    });
  }

  /** Replays a dead run: back to pending with a fresh budget of the job's attempts. */
  replay(run: RunRow, job: JobRow, now: number): RunRow {
    this.assertRoomForRun(job);
    this.log("run.replayed", run, { max_attempts: run.attempt + job.maxAttempts });
    return this.runs.transition(run, "pending", {
      maxAttempts: run.attempt + job.maxAttempts,
      dueAt: now,
      dispatchAt: job.status === "paused" ? null : now,
      finishedAt: null,
      lastError: null,
    });
  }

  /** Holds back the job's waiting runs (pause); queued ones are recalled (their messages will be dropped). */
  hold(job: JobRow): void {
    for (const run of this.runs.activeOfJob(job.id)) {
      if (run.status === "queued")
        this.runs.transition(run, "pending", { dispatchAt: null, leaseExpiresAt: null });
      else if (run.status === "pending" || run.status === "retrying")
        this.runs.patch(run, { dispatchAt: null });
    }
  }

  /**
   * Releases held runs of an active job as far as its overlap policy allows: all of them for
   * `allow`, else the oldest one once nothing of the job is queued or running.
   */
  release(job: JobRow, now: number): void {
    if (job.status !== "active" && job.status !== "completed") return;
    const active = this.runs.activeOfJob(job.id);
    const held = active.filter(
      (r) => (r.status === "pending" || r.status === "retrying") && r.dispatchAt === null,
    );
    if (held.length === 0) return;
    if (job.overlap === "allow") {
      for (const run of held) this.runs.patch(run, { dispatchAt: Math.max(run.dueAt, now) });
      return;
    }
    const busy = active.some(
      (r) => r.status === "queued" || r.status === "running" || r.dispatchAt !== null,
    );
    const first = held[0];
    if (!busy && first) this.runs.patch(first, { dispatchAt: Math.max(first.dueAt, now) });
  }

  /** After a run ends: a buffered run of the same job may go. */
  private finish(run: RunRow, now: number): void {
    const job = this.jobs.get(run.jobId);
    if (job) this.release(job, now);
  }
}
