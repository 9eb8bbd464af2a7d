/**
 * Runs changed by request or by their job rather than by an attempt: cancel, replay, hold (pause)
 * and release (resume, or a run of the job ended). Synchronous SQLite changes; callers wrap them
 * in transactions.
 */
import { LIMITS } from "../../domain/limits";
import { fail } from "../../domain/problem";
import { log } from "../../observability/log";
import type { TaskGraph } from "../graphs/task-graph";
import type { JobStore } from "../jobs/job-store";
import type { RunLog } from "../runs/run-log";
import { destinationOf, isOccurrence, isTask, poolOf, type RunStore } from "../runs/run-store";
import type { JobRow, RunRow } from "../storage/schema";

export class RunControl {
  constructor(
    private readonly tenantId: () => string,
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly runLog: RunLog,
    private readonly graph: TaskGraph,
  ) {}

  /** 409 when the job already has as many runs in progress as one job may have. */
  assertRoomForRun(job: JobRow): void {
    const active = this.runs.activeOfJob(job.id).length;
    if (active >= LIMITS.maxActiveRunsPerJob) {
      throw fail.conflict(
        `Job ${job.id} has ${active} runs in progress, the most one job may have; wait for some to finish or cancel them.`,
      );
    }
  }

  /** Cancels a run that has not finished. A running attempt goes on, but its result changes nothing. */
  cancel(run: RunRow, now: number, reason = "cancelled", releaseNext = true): RunRow {
    const cancelled = this.markCancelled(run, now, reason);
    this.runLog.info("run.cancelled", run, { reason, from_status: run.status });
    if (releaseNext) this.runEnded(cancelled, now);
    return cancelled;
  }

  /**
   * Cancels every run of the job in progress (the job was cancelled): waiting ones never go, and a
   * running attempt finishes where it runs, recorded, without changing its run (a pull worker is
   * told `cancel` at its next heartbeat). One log line for all of them; there are at most
   * `maxActiveRunsPerJob`.
   */
  cancelActive(job: JobRow, now: number, reason: string): void {
    const active = this.runs.activeOfJob(job.id);
    for (const run of active) this.markCancelled(run, now, reason);
    if (active.length) {
      log("runs.cancelled", {
        tenant_id: this.tenantId(),
        job_id: job.id,
        reason,
        count: active.length,
        run_ids: active.map((r) => r.id),
      });
    }
  }

  private markCancelled(run: RunRow, now: number, reason: string): RunRow {
    if (isOccurrence(run)) this.graph.cancelTasks(run, now, reason);
    return this.runs.transition(run, "cancelled", {
      dispatchAt: null,
      leaseExpiresAt: null,
      finishedAt: now,
      lastError: reason,
    });
  }

  /**
   * Replays a dead run: back to pending with a fresh budget of the job's attempts. A dead task
   * re-opens its occurrence and downstream tasks; a failed occurrence replays its dead tasks.
   */
  replay(run: RunRow, job: JobRow, now: number): RunRow {
    if (isTask(run)) {
      const parent = this.runs.get(run.parentId as string);
      if (parent?.status !== "running" && parent?.status !== "failed") {
        throw fail.conflict(
          `Run ${run.id} belongs to occurrence ${run.parentId}, which is ${parent?.status ?? "gone"}.`,
        );
      }
      if (parent.status === "failed") this.assertRoomForRun(job);
      return this.graph.replayTask(run, job, now);
    }
    this.assertRoomForRun(job);
    if (isOccurrence(run)) return this.graph.replayOccurrence(run, job, now);
    this.runLog.info("run.replayed", run, { max_attempts: run.attempt + job.maxAttempts });
    return this.runs.transition(run, "pending", {
      maxAttempts: run.attempt + job.maxAttempts,
      dueAt: now,
      dispatchAt: job.status === "paused" ? null : now,
      finishedAt: null,
      lastError: null,
      // The job's target may have changed since the run died: the replay goes where it is now.
      pool: poolOf(job),
      destination: destinationOf(job),
    });
  }

  /**
   * The job's target (kind, pool, host) or flow key changed: its runs that have not started follow
   * it (a queued webhook run that is to go to a pool now is recalled: its message will be
   * dropped). A running attempt finishes where it started; a retry after it goes to the new target.
   * A run given its own key by a trigger keeps it.
   */
  retarget(job: JobRow, before: JobRow, now: number): void {
    const pool = poolOf(job);
    const destination = destinationOf(job);
    const dispatchAt = job.status === "paused" ? null : now;
    for (const run of this.runs.activeOfJob(job.id)) {
      if (isOccurrence(run) || run.status === "running") continue;
      const flowKey = run.flowKey === before.flowKey ? job.flowKey : run.flowKey;
      const moved = run.pool !== pool || run.destination !== destination || run.flowKey !== flowKey;
      if (!moved) continue;
      if (run.status === "queued" && run.pool !== pool)
        this.runs.transition(run, "pending", {
          pool,
          destination,
          flowKey,
          dispatchAt,
          leaseExpiresAt: null,
        });
      else this.runs.patch(run, { pool, destination, flowKey });
    }
  }

  /** Holds back the job's waiting runs (pause); queued ones are recalled (their messages will be dropped). */
  hold(job: JobRow): void {
    for (const run of this.runs.activeOfJob(job.id)) {
      if (isOccurrence(run)) this.graph.hold(run);
      else if (run.status === "queued")
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
      for (const run of held) this.go(run, job, now);
      return;
    }
    const busy = active.some(
      (r) => r.status === "queued" || r.status === "running" || r.dispatchAt !== null,
    );
    const first = held[0];
    if (!busy && first) this.go(first, job, now);
  }

  /** Resume: the tasks of graph occurrences in progress go on, then held runs as `release`. */
  resume(job: JobRow, now: number): void {
    for (const run of this.runs.activeOfJob(job.id))
      if (isOccurrence(run) && run.status === "running") this.graph.resume(run, job, now);
    this.release(job, now);
  }

  /** A held run may be sent (a held graph occurrence starts its tasks). */
  private go(run: RunRow, job: JobRow, now: number): void {
    if (isOccurrence(run)) this.graph.startBuffered(run, job, now);
    else this.runs.patch(run, { dispatchAt: Math.max(run.dueAt, now) });
  }

  /**
   * After a run ends: a buffered run of the same job may go. A task's end moves its graph on
   * instead; only the end of its occurrence frees the job.
   */
  runEnded(run: RunRow, now: number): void {
    if (isTask(run) && !this.graph.taskEnded(run, now)) return;
    const job = this.jobs.get(run.jobId);
    if (job) this.release(job, now);
  }
}
