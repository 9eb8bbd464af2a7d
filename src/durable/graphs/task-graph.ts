/**
 * Task graphs: an occurrence of a graph job is one parent run (what overlap, catch-up, the per-job
 * cap and the job's run list see) and one task run per task. The parent never executes and takes
 * no in-flight slot; its tasks are ordinary runs (queues for http, pools for workers) that wait,
 * `pending` without a dispatch time, until every task they depend on succeeded. A dead task makes
 * its downstream tasks `upstream_failed`; when every task is final the occurrence ends `succeeded`
 * (all succeeded) or `failed`. Synchronous SQLite changes; callers wrap them in transactions.
 */
import type { GraphTarget, TaskInput } from "../../contract/job";
import { topologicalOrder } from "../../contract/task";
import type { TaskEnvelope, UpstreamResult } from "../../queues/messages";
import { type JobStore, taskJob } from "../jobs/job-store";
import type { RunLog } from "../runs/run-log";
import type { RunStore } from "../runs/run-store";
import type { JobRow, RunRow } from "../storage/schema";

/** Statuses after which a task's downstream can never run. */
const BLOCKING = new Set(["dead", "upstream_failed", "cancelled"]);

export function graphOf(job: JobRow): TaskInput[] | null {
  return job.target.type === "graph" ? (job.target as GraphTarget).tasks : null;
}

export class TaskGraph {
  constructor(
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly runLog: RunLog,
  ) {}

  /**
   * Creates the tasks of occurrence `parent` (created `running`): tasks without dependencies are
   * ready at the occurrence's scheduled time (held while the job is paused), the others wait.
   */
  start(parent: RunRow, job: JobRow, now: number): void {
    const tasks = graphOf(job) ?? [];
    for (const task of tasks) {
      const root = task.depends_on.length === 0;
      const dispatchAt = root && job.status !== "paused" ? parent.scheduledFor : null;
      this.runs.createTask(parent, taskJob(job, task), task.key, dispatchAt, now);
    }
    this.runLog.debug("graph.started", parent, { tasks: tasks.length });
  }

  /** A buffered occurrence (`buffer_one`) whose turn came: it starts now. */
  startBuffered(parent: RunRow, job: JobRow, now: number): void {
    const started = this.runs.transition(parent, "running", { startedAt: now, dispatchAt: null });
    this.start(started, job, now);
  }

  /**
   * After task `task` reached a final status: tasks whose dependencies all succeeded become
   * ready, tasks behind a dead one become `upstream_failed`, and the occurrence ends once every
   * task is final. Returns the occurrence when it ended.
   */
  taskEnded(task: RunRow, now: number): RunRow | undefined {
    const parent = task.parentId ? this.runs.get(task.parentId) : undefined;
    const job = parent ? this.jobs.get(parent.jobId) : undefined;
    if (!parent || !job || parent.status !== "running") return undefined;
    return this.advance(parent, job, now);
  }

  /** Moves the occurrence's tasks on from their dependencies' statuses (see `taskEnded`). */
  advance(parent: RunRow, job: JobRow, now: number): RunRow | undefined {
    const graph = graphOf(job) ?? [];
    const byKey = this.taskRuns(parent);
    for (const key of topologicalOrder(graph)) {
      const run = byKey.get(key);
      const task = graph.find((t) => t.key === key);
      if (!run || !task || run.status !== "pending" || run.dispatchAt !== null) continue;
      const deps = task.depends_on.map((d) => byKey.get(d));
      const blocker = deps.find((d) => d && BLOCKING.has(d.status));
      if (blocker) {
        const failed = this.runs.transition(run, "upstream_failed", {
          finishedAt: now,
          lastError: `upstream task ${blocker.taskKey} is ${blocker.status}`,
        });
        byKey.set(key, failed);
        this.runLog.debug("task.upstream_failed", run, { task: key, upstream: blocker.taskKey });
      } else if (job.status !== "paused" && deps.every((d) => d?.status === "succeeded")) {
        byKey.set(key, this.runs.patch(run, { dueAt: now, dispatchAt: now }));
      }
    }
    const all = [...byKey.values()];
    if (!all.every((r) => isFinal(r.status))) return undefined;
    const failed = all.filter((r) => r.status !== "succeeded");
    const ended = this.runs.transition(parent, failed.length ? "failed" : "succeeded", {
      finishedAt: now,
      lastError: failed.length
        ? `tasks not succeeded: ${failed.map((r) => `${r.taskKey} (${r.status})`).join(", ")}`
        : null,
    });
    this.runLog.write(
      "graph.finished",
      ended,
      { status: ended.status, tasks: all.length, not_succeeded: failed.length },
      failed.length ? "info" : "debug",
    );
    return ended;
  }

  /** Cancels the occurrence's tasks not yet final (a running attempt finishes, recorded, unused). */
  cancelTasks(parent: RunRow, now: number, reason: string): void {
    for (const run of this.runs.tasksOf(parent.id)) {
      if (isFinal(run.status)) continue;
      this.runs.transition(run, "cancelled", {
        dispatchAt: null,
        leaseExpiresAt: null,
        finishedAt: now,
        lastError: reason,
      });
    }
  }

  /** Pause: the occurrence's waiting tasks are held, queued ones recalled. */
  hold(parent: RunRow): void {
    for (const run of this.runs.tasksOf(parent.id)) {
      if (run.status === "queued")
        this.runs.transition(run, "pending", { dispatchAt: null, leaseExpiresAt: null });
      else if ((run.status === "pending" || run.status === "retrying") && run.dispatchAt !== null)
        this.runs.patch(run, { dispatchAt: null });
    }
  }

  /** Resume: held tasks whose dependencies succeeded are ready again. */
  resume(parent: RunRow, job: JobRow, now: number): void {
    const graph = graphOf(job) ?? [];
    const byKey = this.taskRuns(parent);
    for (const task of graph) {
      const run = byKey.get(task.key);
      if (!run || run.dispatchAt !== null) continue;
      if (run.status !== "pending" && run.status !== "retrying") continue;
      if (task.depends_on.every((d) => byKey.get(d)?.status === "succeeded"))
        this.runs.patch(run, { dispatchAt: Math.max(run.dueAt, now) });
    }
  }

  /**
   * Replays dead task `task` (a fresh attempt budget) and re-opens what its death closed: its
   * `upstream_failed` downstream tasks wait again, and a `failed` occurrence is `running` again.
   */
  replayTask(task: RunRow, job: JobRow, now: number): RunRow {
    const parent = this.runs.require(task.parentId as string);
    const reopened =
      parent.status === "failed"
        ? this.runs.transition(parent, "running", { finishedAt: null, lastError: null })
        : parent;
    const replayed = this.replayOne(task, job, now);
    this.reopen(reopened, job);
    this.advance(reopened, job, now);
    return replayed;
  }

  /** Replays every dead task of a failed occurrence. */
  replayOccurrence(parent: RunRow, job: JobRow, now: number): RunRow {
    const reopened = this.runs.transition(parent, "running", { finishedAt: null, lastError: null });
    for (const run of this.runs.tasksOf(parent.id))
      if (run.status === "dead") this.replayOne(run, job, now);
    this.reopen(reopened, job);
    this.advance(reopened, job, now);
    return this.runs.require(parent.id);
  }

  /**
   * Upstream results for task `task`'s delivery: for each task it depends on, the first 4 KiB of
   * its webhook's response, or its worker's `result`.
   */
  envelope(task: RunRow): TaskEnvelope {
    const job = this.jobs.get(task.jobId);
    const graph = (job && graphOf(job)) ?? [];
    const deps = graph.find((t) => t.key === task.taskKey)?.depends_on ?? [];
    const upstream: Record<string, UpstreamResult> = {};
    if (deps.length) {
      const byKey = this.taskRuns({ id: task.parentId as string });
      for (const key of deps) {
        const run = byKey.get(key);
        const record = run?.attemptRecord;
        if (!run || !record) continue;
        upstream[key] =
          run.pool !== null
            ? { type: "worker", run_id: run.id, result: parseResult(record.responseBody) }
            : {
                type: "http",
                run_id: run.id,
                status_code: record.statusCode,
                body: record.responseBody,
              };
      }
    }
    return { run_id: task.parentId as string, key: task.taskKey as string, upstream };
  }

  /** The occurrence's task runs by key. */
  taskRuns(parent: Pick<RunRow, "id">): Map<string, RunRow> {
    return new Map(this.runs.tasksOf(parent.id).map((r) => [r.taskKey as string, r]));
  }

  private replayOne(run: RunRow, job: JobRow, now: number): RunRow {
    const own = this.jobs.forRun(run) ?? job;
    this.runLog.info("run.replayed", run, {
      task: run.taskKey,
      max_attempts: run.attempt + own.maxAttempts,
    });
    return this.runs.transition(run, "pending", {
      maxAttempts: run.attempt + own.maxAttempts,
      dueAt: now,
      dispatchAt: job.status === "paused" ? null : now,
      finishedAt: null,
      lastError: null,
    });
  }

  /** `upstream_failed` tasks with nothing blocking upstream any more wait again. */
  private reopen(parent: RunRow, job: JobRow): void {
    const graph = graphOf(job) ?? [];
    const byKey = this.taskRuns(parent);
    for (const key of topologicalOrder(graph)) {
      const run = byKey.get(key);
      const task = graph.find((t) => t.key === key);
      if (run?.status !== "upstream_failed" || !task) continue;
      if (task.depends_on.some((d) => BLOCKING.has(byKey.get(d)?.status ?? "dead"))) continue;
      byKey.set(
        key,
        this.runs.transition(run, "pending", {
          dispatchAt: null,
          finishedAt: null,
          lastError: null,
        }),
      );
    }
  }
}

function isFinal(status: RunRow["status"]): boolean {
  return (
    status === "succeeded" ||
    status === "dead" ||
    status === "cancelled" ||
    status === "upstream_failed"
  );
}

function parseResult(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
