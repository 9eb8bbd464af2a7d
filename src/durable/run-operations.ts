/**
 * What a tenant can do with its runs (list, read, cancel, replay), and what the queue consumers
 * ask of them (claim, report, give up on a dead-lettered message). Each change is one transaction.
 */
import type { RunDetailView, RunListQuery, RunView } from "../contract/run";
import { fail } from "../domain/problem";
import { ACTIVE_RUN_STATUSES } from "../domain/run-status";
import type { AttemptResult, ClaimRequest, ClaimResponse } from "../queues/messages";
import type { WaitingReasons } from "./flow/waiting-reasons";
import { graphOf } from "./graphs/task-graph";
import type { JobStore } from "./jobs/job-store";
import type { RunLifecycle } from "./lifecycle/run-lifecycle";
import type { AttemptStore } from "./runs/attempt-store";
import type { RunStore } from "./runs/run-store";
import { isOccurrence, isTask } from "./runs/run-store";
import type { Transaction } from "./storage/database";
import type { RunRow } from "./storage/schema";
import { attemptView, type Page, runExtras, runView, taskRunView } from "./storage/views";
import type { TenantStore } from "./tenant/tenant-store";

export class RunOperations {
  constructor(
    private readonly tenants: TenantStore,
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly attempts: AttemptStore,
    private readonly lifecycle: RunLifecycle,
    private readonly reasons: WaitingReasons,
    private readonly transaction: Transaction,
  ) {}

  /** A run on the wire, with what holds it if it is due and has not started. */
  private view(run: RunRow): RunView {
    return runView(run, this.reasons.of(run, Date.now()));
  }

  /** A page of the tenant's runs, or of one job's (`job_id`). */
  list(query: RunListQuery & { job_id?: string | undefined }): Page<RunView> {
    const job = query.job_id ? this.jobs.get(query.job_id) : undefined;
    const { rows, nextCursor } = this.runs.list(query, job);
    return { data: rows.map((r) => this.view(r)), next_cursor: nextCursor };
  }

  /** A page of one job's runs (404 for an unknown job). */
  listOfJob(jobId: string, query: RunListQuery): Page<RunView> {
    this.jobs.require(jobId);
    return this.list({ ...query, job_id: jobId });
  }

  /** A run with all its attempts; a graph occurrence also with its tasks and edges. */
  detail(id: string): RunDetailView {
    const run = this.runs.require(id);
    return {
      ...this.view(run),
      attempts: this.attempts.of(run).map(attemptView),
      ...runExtras(run),
      ...(isOccurrence(run) ? this.graphDetail(run) : {}),
    };
  }

  private graphDetail(run: RunRow): Pick<RunDetailView, "tasks" | "edges"> {
    const graph = graphOf(this.jobs.require(run.jobId)) ?? [];
    const byKey = this.lifecycle.graph.taskRuns(run);
    const tasks = graph.flatMap((task) => {
      const row = byKey.get(task.key);
      return row ? [taskRunView(row, task.depends_on, this.attempts.of(row))] : [];
    });
    const edges = graph.flatMap((task) => task.depends_on.map((from) => ({ from, to: task.key })));
    return { tasks, edges };
  }

  /** Cancels a run that has not finished; a running attempt completes but its result changes nothing. */
  cancel(id: string): RunView {
    const run = this.runs.require(id);
    if (run.status === "cancelled") return runView(run);
    if (!(ACTIVE_RUN_STATUSES as readonly string[]).includes(run.status)) {
      throw fail.conflict(`Run ${id} is ${run.status}; only unfinished runs can be cancelled.`);
    }
    if (isTask(run)) {
      throw fail.conflict(
        `Run ${id} is task ${run.taskKey} of occurrence ${run.parentId}; cancel the occurrence.`,
      );
    }
    return this.transaction(() =>
      runView(this.lifecycle.control.cancel(run, Date.now(), "cancelled by request")),
    );
  }

  /** Replays a dead run (or a failed graph occurrence's dead tasks) of a job not cancelled. */
  replay(id: string): RunView {
    const run = this.runs.require(id);
    const failedGraph = isOccurrence(run) && run.status === "failed";
    if (run.status !== "dead" && !failedGraph)
      throw fail.conflict(
        `Run ${id} is ${run.status}; only dead runs (and failed graph occurrences) can be replayed.`,
      );
    const job = this.jobs.require(run.jobId);
    if (job.status === "cancelled") throw fail.conflict(`Job ${job.id} is cancelled.`);
    return this.transaction(() => runView(this.lifecycle.control.replay(run, job, Date.now())));
  }

  /** Starts the attempts whose messages are current; duplicates and stale messages get nothing. */
  claim(claims: ClaimRequest[], workerId: string | null): ClaimResponse {
    const tenant = this.tenants.get();
    if (!tenant) return { claimed: [], signing_secrets: [] };
    const now = Date.now();
    if (tenant.suspended) {
      // Suspension is a kill switch: queued runs go back to waiting instead of executing.
      this.transaction(() => {
        for (const c of claims) this.lifecycle.attempts.recall(c, now);
      });
      return { claimed: [], signing_secrets: [] };
    }
    const claimed = this.transaction(() =>
      claims.map((c) => this.lifecycle.attempts.claim(c, now, workerId)).filter((c) => c !== null),
    );
    return { claimed, signing_secrets: this.tenants.signingSecrets(now) };
  }

  /** Records the consumers' attempt results. */
  report(results: AttemptResult[]): void {
    if (!this.tenants.get()) return;
    const now = Date.now();
    this.transaction(() => {
      for (const result of results) this.lifecycle.attempts.report(result, now);
    });
  }

  /**
   * Messages the queue dead-lettered. Only a run still queued for that very attempt is affected
   * (one failed attempt, see `AttemptLifecycle.undeliverable`); a run that moved on, in particular
   * one whose attempt is running after a re-send, is left alone.
   */
  undeliverable(messages: { run_id: string; attempt: number; reason: string }[]): void {
    if (!this.tenants.get()) return;
    const now = Date.now();
    this.transaction(() => {
      for (const m of messages) {
        const run = this.runs.get(m.run_id);
        if (run?.status === "queued" && run.attempt + 1 === m.attempt)
          this.lifecycle.attempts.undeliverable(run, now, m.reason);
      }
    });
  }
}
