/** Jobs in the tenant's SQLite: create, read, list, change. Pure storage; no dispatch decisions. */
import { and, asc, eq, getTableColumns, gt, inArray, lte, min, sql } from "drizzle-orm";
import type {
  JobInput,
  JobListQuery,
  JobPatch,
  JobView,
  StoredTarget,
  TaskInput,
} from "../../contract/job";
import type { IdGenerator } from "../../domain/ids";
import { LIMITS } from "../../domain/limits";
import { PRIORITY_RANK } from "../../domain/priority";
import { fail } from "../../domain/problem";
import { firstFireTime } from "../../domain/schedule";
import type { Counters } from "../metrics/counters";
import { chunks } from "../storage/chunks";
import type { Database } from "../storage/database";
import { LIST_SCAN_BUDGET, pageFromScan, type RowPage } from "../storage/scan-page";
import { type JobRow, jobs, type RunRow, runs } from "../storage/schema";
import { jobView } from "../storage/views";

const DUE = sql`status = 'active' and next_run_at is not null`;
/** The WHERE of the partial index `jobs_by_status`, repeated verbatim so SQLite uses it. */
const RARE_JOB_STATUS = sql`status in ('paused', 'cancelled')`;

export class JobStore {
  /** Prepared once: the hottest statements skip drizzle's query building on every call. */
  private readonly byId;
  private readonly advanced;
  private readonly dueOfRank;
  private readonly earliestOfRank;

  constructor(
    private readonly db: Database,
    private readonly ids: IdGenerator,
    private readonly counters: Counters,
  ) {
    this.byId = this.db
      .select()
      .from(jobs)
      .where(eq(jobs.id, sql.placeholder("id")))
      .prepare();
    // A due job after its occurrences: three columns, not the whole row (its target, payload and
    // metadata would be serialized and rewritten for nothing).
    this.advanced = this.db
      .update(jobs)
      .set({
        status: sql`${sql.placeholder("status")}`,
        nextRunAt: sql`${sql.placeholder("nextRunAt")}`,
        lastRunId: sql`${sql.placeholder("lastRunId")}`,
      })
      .where(eq(jobs.id, sql.placeholder("id")))
      .prepare();
    // Every request's alarm re-arm asks for it (nextDueAt): built once, not per call.
    this.earliestOfRank = this.db
      .select({ at: min(jobs.nextRunAt) })
      .from(jobs)
      .where(and(DUE, eq(jobs.priorityRank, sql.placeholder("rank"))))
      .prepare();
    this.dueOfRank = this.db
      .select()
      .from(jobs)
      .where(
        and(
          DUE,
          eq(jobs.priorityRank, sql.placeholder("rank")),
          lte(jobs.nextRunAt, sql.placeholder("now")),
        ),
      )
      .orderBy(asc(jobs.nextRunAt))
      .limit(sql.placeholder("limit"))
      .prepare();
  }

  /** Builds the row for a new job; throws 400 problems (under `path`) for schedules out of range. */
  build(input: JobInput, now: number, path = ""): JobRow {
    const nextRunAt = firstFireTime(input.schedule, now, `${path}schedule`);
    const target: StoredTarget = input.tasks
      ? { type: "graph", tasks: input.tasks }
      : (input.target as StoredTarget);
    assertTimeoutsFit(target, input.timeout_seconds, path);
    return {
      id: this.ids.next("job", now),
      name: input.name,
      schedule: input.schedule ?? null,
      target,
      priority: input.priority,
      priorityRank: PRIORITY_RANK[input.priority],
      maxAttempts: input.retry.max_attempts,
      initialBackoffMs: Math.round(input.retry.initial_backoff_seconds * 1000),
      maxBackoffMs: Math.round(input.retry.max_backoff_seconds * 1000),
      retryOn: input.retry_on,
      timeoutSeconds: input.timeout_seconds,
      overlap: input.overlap,
      catchupWindowSeconds: input.catchup_window_seconds,
      metadata: input.metadata,
      status: nextRunAt === null ? "completed" : "active",
      nextRunAt,
      lastRunId: null,
      flowKey: input.flow_key ?? null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Inserts rows in chunks (SQLite allows 100 bound parameters per statement). */
  insertMany(rows: JobRow[]): void {
    const perStatement = Math.floor(100 / Object.keys(getTableColumns(jobs)).length);
    for (const part of chunks(rows, perStatement)) this.db.insert(jobs).values(part).run();
    for (const row of rows) this.counters.add("scheduler_jobs", { status: row.status });
  }

  get(id: string): JobRow | undefined {
    return this.byId.get({ id });
  }

  /** The job, or a 404 problem. Ids of other tenants are simply not here. */
  require(id: string): JobRow {
    const row = this.get(id);
    if (!row) throw fail.notFound(`Job ${id}`);
    return row;
  }

  /**
   * The job as a run of it executes: for a task of a graph, the job with the task's target and
   * its own priority, retry and timeout where it sets them. Undefined for an unknown job or task.
   */
  forRun(run: Pick<RunRow, "jobId" | "taskKey">): JobRow | undefined {
    const job = this.get(run.jobId);
    if (!job || run.taskKey === null) return job;
    if (job.target.type !== "graph") return undefined;
    const task = job.target.tasks.find((t) => t.key === run.taskKey);
    return task ? taskJob(job, task) : undefined;
  }

  /**
   * Oldest first; the cursor is the last id of the previous page. `paused` and `cancelled` have
   * an index path (`jobs_by_status`); `active` and `completed`, the common statuses, scan ids (at
   * most `LIST_SCAN_BUDGET` a page) so that a job completing writes no index entry.
   */
  list(query: JobListQuery): RowPage<JobRow> {
    const indexed = query.status === "paused" || query.status === "cancelled";
    const where = and(
      indexed && query.status ? and(eq(jobs.status, query.status), RARE_JOB_STATUS) : undefined,
      query.priority ? eq(jobs.priority, query.priority) : undefined,
      query.cursor ? gt(jobs.id, query.cursor) : undefined,
    );
    if (query.status && !indexed) {
      const scanned = this.db
        .select({ id: jobs.id, status: jobs.status })
        .from(jobs)
        .where(where)
        .orderBy(asc(jobs.id))
        .limit(LIST_SCAN_BUDGET)
        .all();
      return pageFromScan(
        scanned.map((r) => ({ id: r.id, matches: r.status === query.status })),
        LIST_SCAN_BUDGET,
        query.limit,
        (id) => this.get(id),
      );
    }
    const rows = this.db
      .select()
      .from(jobs)
      .where(where)
      .orderBy(asc(jobs.id))
      .limit(query.limit + 1)
      .all();
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null;
    return { rows: page, nextCursor };
  }

  /**
   * Due jobs, highest priority first and oldest first within a priority. The literal status term
   * lets SQLite use the partial index `jobs_due` (a bound parameter would not match its WHERE).
   */
  due(now: number, limit: number): JobRow[] {
    const out: JobRow[] = [];
    for (let rank = 0; rank < 3 && out.length < limit; rank++) {
      out.push(...this.dueOfRank.all({ rank, now, limit: limit - out.length }));
    }
    return out;
  }

  /** The earliest next run of an active job, or null. */
  nextDueAt(): number | null {
    let earliest: number | null = null;
    for (let rank = 0; rank < 3; rank++) {
      const at = this.earliestOfRank.get({ rank })?.at ?? null;
      if (at !== null && (earliest === null || at < earliest)) earliest = at;
    }
    return earliest;
  }

  /** Applies a validated patch; a changed schedule recomputes the next run from `now`. */
  applyPatch(job: JobRow, patch: JobPatch, now: number): JobRow {
    const next: JobRow = { ...job, version: job.version + 1, updatedAt: now };
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.target !== undefined) {
      if (job.target.type === "graph")
        throw fail.invalid("target", "a job with tasks cannot be given a target");
      next.target = patch.target;
    }
    if (patch.priority !== undefined) {
      next.priority = patch.priority;
      next.priorityRank = PRIORITY_RANK[patch.priority];
    }
    if (patch.retry !== undefined) {
      const { max_attempts, initial_backoff_seconds, max_backoff_seconds } = patch.retry;
      if (max_attempts !== undefined) next.maxAttempts = max_attempts;
      if (initial_backoff_seconds !== undefined)
        next.initialBackoffMs = Math.round(initial_backoff_seconds * 1000);
      if (max_backoff_seconds !== undefined)
        next.maxBackoffMs = Math.round(max_backoff_seconds * 1000);
      if (next.maxBackoffMs < next.initialBackoffMs) {
        throw fail.invalid("retry.max_backoff_seconds", "must be at least initial_backoff_seconds");
      }
    }
    if (patch.retry_on !== undefined) next.retryOn = patch.retry_on;
    if (patch.timeout_seconds !== undefined) next.timeoutSeconds = patch.timeout_seconds;
    if (patch.overlap !== undefined) next.overlap = patch.overlap;
    if (patch.catchup_window_seconds !== undefined)
      next.catchupWindowSeconds = patch.catchup_window_seconds;
    if (patch.metadata !== undefined) next.metadata = patch.metadata;
    if (patch.flow_key !== undefined) next.flowKey = patch.flow_key;
    if (patch.schedule !== undefined) {
      next.schedule = patch.schedule;
      next.nextRunAt = firstFireTime(patch.schedule ?? undefined, now);
      if (job.status === "completed" && next.nextRunAt !== null) next.status = "active";
    }
    assertTimeoutsFit(next.target, next.timeoutSeconds);
    this.save(next, job);
    return next;
  }

  /** Live jobs (active or paused) from the transactional `scheduler_jobs` gauge, for the quota. */
  liveCount(): number {
    return (
      this.counters.value(this.db, "scheduler_jobs", { status: "active" }) +
      this.counters.value(this.db, "scheduler_jobs", { status: "paused" })
    );
  }

  /** Writes a changed job; `before` keeps the `scheduler_jobs` gauge right when the status moves. */
  /** Records what materializing did to a job: its status, next run and last run (job-store's hot write). */
  advance(job: JobRow, fields: Pick<JobRow, "status" | "nextRunAt" | "lastRunId">): void {
    this.advanced.run({ id: job.id, ...fields });
    this.countStatusChange(job.status, fields.status);
  }

  save(row: JobRow, before?: JobRow): void {
    const { id, ...rest } = row;
    this.db.update(jobs).set(rest).where(eq(jobs.id, id)).run();
    if (before) this.countStatusChange(before.status, row.status);
  }

  private countStatusChange(from: JobRow["status"], to: JobRow["status"]): void {
    if (from === to) return;
    this.counters.add("scheduler_jobs", { status: from }, -1);
    this.counters.add("scheduler_jobs", { status: to });
  }

  views(rows: JobRow[]): JobView[] {
    const lastIds = rows.map((r) => r.lastRunId).filter((id): id is string => id !== null);
    const lastRuns = new Map<string, RunRow>();
    for (const part of chunks(lastIds, 90)) {
      for (const run of this.db.select().from(runs).where(inArray(runs.id, part)).all())
        lastRuns.set(run.id, run);
    }
    return rows.map((row) => jobView(row, row.lastRunId ? lastRuns.get(row.lastRunId) : undefined));
  }

  view(row: JobRow): JobView {
    return this.views([row])[0] as JobView;
  }
}

/** A task's job: the graph job with the task's target and the settings the task overrides. */
export function taskJob(job: JobRow, task: TaskInput): JobRow {
  const priority = task.priority ?? job.priority;
  return {
    ...job,
    target: task.target,
    priority,
    priorityRank: PRIORITY_RANK[priority],
    maxAttempts: task.retry?.max_attempts ?? job.maxAttempts,
    initialBackoffMs:
      task.retry?.initial_backoff_seconds !== undefined
        ? Math.round(task.retry.initial_backoff_seconds * 1000)
        : job.initialBackoffMs,
    maxBackoffMs:
      task.retry?.max_backoff_seconds !== undefined
        ? Math.round(task.retry.max_backoff_seconds * 1000)
        : job.maxBackoffMs,
    retryOn: task.retry_on ?? job.retryOn,
    timeoutSeconds: task.timeout_seconds ?? job.timeoutSeconds,
  };
}

/** The job's target, or each task's with the timeout it runs with. */
function assertTimeoutsFit(target: StoredTarget, timeoutSeconds: number, path = ""): void {
  if (target.type !== "graph") {
    assertTimeoutFits(target.type, timeoutSeconds, path);
    return;
  }
  target.tasks.forEach((task, i) => {
    const own = task.timeout_seconds !== undefined;
    assertTimeoutFits(
      task.target.type,
      task.timeout_seconds ?? timeoutSeconds,
      own ? `${path}tasks[${i}].` : path,
    );
  });
}

/** A webhook attempt runs inside a queue consumer's invocation (15 minutes at most). */
function assertTimeoutFits(targetType: string, timeoutSeconds: number, path = ""): void {
  if (targetType === "http" && timeoutSeconds > LIMITS.maxTimeoutSeconds) {
    throw fail.invalid(
      `${path}timeout_seconds`,
      `at most ${LIMITS.maxTimeoutSeconds} for an http target (${LIMITS.maxWorkerTimeoutSeconds} for a worker target)`,
    );
  }
}
