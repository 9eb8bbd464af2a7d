/**
 * Runs and attempts in the tenant's SQLite. Every status change goes through `transition`, which
 * checks the state machine in domain/run-status.
 */
import { and, asc, eq, getTableColumns, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { RunListQuery } from "../../contract/run";
import type { IdGenerator } from "../../domain/ids";
import { idFloor, occurrenceRunId } from "../../domain/ids";
import { fail } from "../../domain/problem";
import { assertTransition, isTerminal, type RunStatus } from "../../domain/run-status";
import type { Counters } from "../metrics/counters";
import { chunks } from "../storage/chunks";
import type { Database } from "../storage/database";
import type { RowPage } from "../storage/scan-page";
import { attempts, type JobRow, type RunRow, runs } from "../storage/schema";
import { type ActiveRuns, isActiveStatus } from "./active-runs";
import type { FlowUsage } from "./flow-usage";
import type { LeaseTable } from "./lease-table";
import { listRuns } from "./run-list";
import { readStoredRunMemory, type StoredRunMemory, waitingEntry } from "./run-memory";
import type { Offer, WaitingEntry, WaitingRuns } from "./waiting-runs";

export interface NewRun {
  scheduledFor: number;
  trigger: RunRow["trigger"];
  /**
   * `queued` when it is sent at once: it then gets its lease and never waits as pending.
   * `running`: a graph occurrence whose tasks are created with it (task-graph.ts).
   */
  status: "pending" | "queued" | "running" | "skipped" | "missed";
  /** When a pending run may be sent; null holds it back (buffer_one, paused job). */
  dispatchAt: number | null;
  leaseExpiresAt?: number;
  /** A one-time job's scheduled run: the job names it, so it gets no `runs_by_job` entry. */
  namedByJob?: boolean;
  /** A trigger's flow key for this run, instead of the job's (null: none). */
  flowKey?: string | null;
}

export class RunStore {
  /** Prepared once: the hottest statements skip drizzle's query building on every call. */
  private readonly byId;
  private readonly inserted;
  private readonly oldestFinished;
  private readonly updates = new Map<string, { all(values: Record<string, unknown>): unknown[] }>();

  constructor(
    private readonly db: Database,
    private readonly ids: IdGenerator,
    private readonly counters: Counters,
    private readonly leases: LeaseTable,
    private readonly active: ActiveRuns,
    private readonly waiting: WaitingRuns,
    private readonly usage: FlowUsage,
  ) {
    this.byId = this.db
      .select()
      .from(runs)
      .where(eq(runs.id, sql.placeholder("id")))
      .prepare();
    // Every request's alarm re-arm asks for it (nextPruneAt): built once, not per call.
    this.oldestFinished = this.db
      .select({ finishedAt: runs.finishedAt })
      .from(runs)
      .where(NOT_A_TASK_ROW)
      .orderBy(asc(runs.id))
      .limit(10)
      .prepare();
    // Every column a placeholder, encoded per column (JSON, booleans) when it runs.
    const values = Object.fromEntries(
      Object.keys(getTableColumns(runs)).map((key) => [key, sql.placeholder(key)]),
    ) as unknown as typeof runs.$inferInsert;
    this.inserted = this.db
      .insert(runs)
      .values(values)
      .onConflictDoNothing({ target: runs.id })
      .returning({ id: runs.id })
      .prepare();
  }

  /**
   * Creates the run of one occurrence. Its id is derived from the occurrence, so a second creation of the
   * same (job, scheduled time) a no-op that returns undefined.
   */
  create(job: JobRow, init: NewRun, now: number, reason?: string): RunRow | undefined {
    // A manual run is a new occurrence each time; a scheduled one is named by its occurrence.
    const id =
      init.trigger === "manual"
        ? this.ids.next("run", now)
        : occurrenceRunId(job.id, init.scheduledFor);
    const key =
      init.trigger === "manual"
        ? `${job.id}@manual:${id}`
        : `${job.id}@${new Date(init.scheduledFor).toISOString()}`;
    const terminal = init.status === "skipped" || init.status === "missed";
    const queued = init.status === "queued";
    const graph = job.target.type === "graph";
    const row: RunRow = {
      id,
      jobId: job.id,
      key,
      trigger: init.trigger,
      status: init.status,
      priority: job.priority,
      priorityRank: job.priorityRank,
      scheduledFor: init.scheduledFor,
      attempt: 0,
      maxAttempts: job.maxAttempts,
      dueAt: init.scheduledFor,
      // A graph occurrence is never sent anywhere: its tasks are.
      dispatchAt: terminal || queued || graph ? null : init.dispatchAt,
      leaseExpiresAt: queued ? (init.leaseExpiresAt ?? null) : null,
      workerId: null,
      leaseMs: null,
      startedAt: init.status === "running" ? now : null,
      finishedAt: terminal ? now : null,
      lastError:
        reason ??
        (init.status === "missed"
          ? "older than the catch-up window"
          : init.status === "skipped"
            ? "overlap policy skip"
            : null),
      createdAt: now,
      attemptRecord: null,
      pool: poolOf(job),
      checkpoint: null,
      progress: null,
      parentId: graph ? id : null,
      taskKey: null,
      namedByJob: init.namedByJob ?? false,
      flowKey: init.flowKey !== undefined ? init.flowKey : job.flowKey,
      destination: destinationOf(job),
    };
    return this.insert(row, now);
  }

  /**
   * Creates a task run of graph occurrence `parent`; `job` is the task's job (`taskJob`). A task
   * waits `pending` with no dispatch time until its dependencies succeed (task-graph.ts).
   */
  createTask(
    parent: RunRow,
    job: JobRow,
    taskKey: string,
    dispatchAt: number | null,
    now: number,
  ): RunRow {
    const row: RunRow = {
      id: this.ids.next("run", now),
      jobId: job.id,
      key: `${parent.key}/${taskKey}`,
      trigger: parent.trigger,
      status: "pending",
      priority: job.priority,
      priorityRank: job.priorityRank,
      scheduledFor: parent.scheduledFor,
      attempt: 0,
      maxAttempts: job.maxAttempts,
      dueAt: dispatchAt ?? parent.scheduledFor,
      dispatchAt,
      leaseExpiresAt: null,
      workerId: null,
      leaseMs: null,
      startedAt: null,
      finishedAt: null,
      lastError: null,
      createdAt: now,
      attemptRecord: null,
      pool: poolOf(job),
      checkpoint: null,
      progress: null,
      parentId: parent.id,
      taskKey,
      namedByJob: false,
      // A task counts under its occurrence's key, and under its own target's host.
      flowKey: parent.flowKey,
      destination: destinationOf(job),
    };
    return this.insert(row, now) as RunRow;
  }

  /** The tasks of graph occurrence `parentId`, in creation (declaration) order. */
  tasksOf(parentId: string): RunRow[] {
    return this.db
      .select()
      .from(runs)
      .where(and(eq(runs.parentId, parentId), isNotNull(runs.parentId), isNotNull(runs.taskKey)))
      .orderBy(asc(runs.id))
      .all();
  }

  private insert(row: RunRow, _now: number): RunRow | undefined {
    const terminal = row.status === "skipped" || row.status === "missed";
    const queued = row.status === "queued";
    const inserted = this.inserted.all(row);
    if (!inserted.length) return undefined;
    if (row.leaseExpiresAt !== null) this.leases.set(row.id, row.leaseExpiresAt);
    if (row.dispatchAt !== null) this.trackWaiting(row, row.dispatchAt);
    this.trackActive(row, row.status);
    this.usage.track(row, null, row.status);
    if (queued) this.counters.add("scheduler_runs_dispatched_total", { priority: row.priority });
    if (terminal) this.countFinished(row, row.status);
    this.countIn(row, row.status, 1);
    return row;
  }

  /**
   * The `scheduler_runs` gauge counts what executes (plain runs and tasks: the in-flight cap reads
   * it); graph occurrences have their own, `scheduler_graph_runs`, so they never take a slot.
   */
  private countIn(run: RunRow, status: RunStatus, delta: number): void {
    if (isOccurrence(run)) this.counters.add("scheduler_graph_runs", { status }, delta);
    else this.counters.add("scheduler_runs", { status, priority: run.priority }, delta);
  }

  private countFinished(run: RunRow, status: RunStatus): void {
    if (isOccurrence(run)) this.counters.add("scheduler_graph_runs_finished_total", { status });
    else this.counters.add("scheduler_runs_finished_total", { status, priority: run.priority });
  }

  get(id: string): RunRow | undefined {
    return this.byId.get({ id });
  }

  require(id: string): RunRow {
    const row = this.get(id);
    if (!row) throw fail.notFound(`Run ${id}`);
    return row;
  }

  /** Changes a run's status (checked against the state machine) and any other fields. */
  transition(run: RunRow, to: RunStatus, fields: Partial<RunRow> = {}): RunRow {
    assertTransition(run.status, to);
    if (isTerminal(to)) this.countFinished(run, to);
    if (to === "queued")
      this.counters.add("scheduler_runs_dispatched_total", { priority: run.priority });
    // The `scheduler_runs` gauge moves with every status change, in the same transaction.
    this.countIn(run, run.status, -1);
    this.countIn(run, to, 1);
    // Only the changed columns: rewriting all of them would rewrite every index entry of the row.
    // Compare-and-set on the status: a caller holding a stale copy of the row (one another change
    // moved on meanwhile) would otherwise write a change the state machine never allowed.
    this.updateColumns(run.id, { ...fields, status: to }, run.status);
    const changed = { ...run, ...fields, status: to };
    if (fields.leaseExpiresAt !== undefined) this.leases.set(run.id, fields.leaseExpiresAt);
    if (movesWaiting(fields)) this.trackWaiting(changed, changed.dispatchAt);
    this.trackActive(run, to);
    this.usage.track(run, run.status, null);
    this.usage.track(changed, null, to);
    return changed;
  }

  /**
   * Writes the given columns of run `id` (undefined ones are left alone, as drizzle's `set` does)
   * with a statement prepared once per set of columns: a handful of shapes serve every status
   * change. With `from`, only a row still in status `from` is written, else it throws.
   */
  private updateColumns(id: string, fields: Partial<RunRow>, from?: RunStatus): void {
    const columns = Object.keys(fields)
      .filter((k) => fields[k as keyof RunRow] !== undefined)
      .sort();
    const shape = `${columns.join(",")}${from ? "|from" : ""}`;
    let statement = this.updates.get(shape);
    if (!statement) {
      const set = Object.fromEntries(columns.map((k) => [k, sql.placeholder(k)]));
      const where = eq(runs.id, sql.placeholder("runId"));
      statement = this.db
        .update(runs)
        .set(set as Partial<RunRow>)
        .where(from ? and(where, eq(runs.status, sql.placeholder("from"))) : where)
        .returning({ id: runs.id })
        .prepare();
      this.updates.set(shape, statement);
    }
    const written = statement.all({ ...fields, runId: id, from });
    if (from && written.length === 0)
      throw new Error(`run ${id} is no longer ${from}: a status change from a stale copy`);
  }

  /** Keeps the in-memory table of waiting runs (waiting-runs.ts) in step with the row. */
  private trackWaiting(run: RunRow, dispatchAt: number | null): void {
    this.waiting.set(run.id, dispatchAt === null ? null : waitingEntry(run, dispatchAt));
  }

  /** Keeps the in-memory runs in progress per job (active-runs.ts) in step with `status`. */
  private trackActive(run: RunRow, status: RunStatus): void {
    if (run.taskKey !== null) return;
    if (isActiveStatus(status)) this.active.add(run.jobId, run.id);
    else this.active.remove(run.jobId, run.id);
  }

  /** The stored runs in progress (not tasks), as the object loads them when it starts. */
  storedActive(): StoredRunMemory["active"] {
    return readStoredRunMemory(this.db, Date.now(), 0).active;
  }

  /**
   * The job stops naming run `runId` (it names a later run now): if the job named it in place of a
   * `runs_by_job` entry, the run gets its entry. Writes nothing otherwise.
   */
  releaseNamed(runId: string | null): void {
    if (runId === null) return;
    this.db
      .update(runs)
      .set({ namedByJob: false })
      .where(and(eq(runs.id, runId), eq(runs.namedByJob, true)))
      .run();
  }

  /** Changes fields that are not the status (a held run released, a lease renewed). */
  patch(run: RunRow, fields: Partial<Omit<RunRow, "status" | "id">>): RunRow {
    this.updateColumns(run.id, fields);
    const changed = { ...run, ...fields };
    if (fields.leaseExpiresAt !== undefined) this.leases.set(run.id, fields.leaseExpiresAt);
    if (movesWaiting(fields)) this.trackWaiting(changed, changed.dispatchAt);
    this.usage.moved(run, changed, run.status);
    return changed;
  }

  /**
   * Runs of a job that still occupy it (pending, queued, running, retrying), oldest first: their
   * ids come from memory (active-runs.ts), so this reads only those rows, never the job's history.
   */
  activeOfJob(jobId: string): RunRow[] {
    return this.active
      .of(jobId)
      .map((id) => this.get(id))
      .filter((r): r is RunRow => r !== undefined);
  }

  /**
   * Offers runs of `lanes` ready at `now` to `offer` (which starts or refuses each), by priority,
   * keys in turn and age (waiting-runs.ts); see `WaitingRuns.pick`.
   */
  pickWaiting(
    lanes: readonly string[],
    now: number,
    limit: number,
    maxRank: number,
    offer: (run: RunRow, entry: WaitingEntry) => "taken" | "blocked",
    onePriority = false,
  ): { taken: number; blocked: boolean } {
    const offerRow: Offer = (id, entry) => {
      const run = this.get(id);
      // A table entry without its row cannot start; it is dropped rather than offered.
      if (!run) {
        this.waiting.set(id, null);
        return "blocked";
      }
      return offer(run, entry);
    };
    return this.waiting.pick(lanes, now, limit, maxRank, offerRow, onePriority);
  }

  /**
   * The earliest moment a waiting run of `lanes` may start (see `WaitingRuns.earliest`; `delay`
   * says when a run's limits let it, or null when only another change can).
   */
  nextStartAt(
    lanes: readonly string[],
    maxRank: number,
    delay?: (entry: WaitingEntry) => number | null,
  ): number | null {
    return this.waiting.earliest(lanes, maxRank, delay);
  }

  /** Runs waiting (ready now or later) per lane ("" for the queues, else pools). */
  waitingByLane(): Map<string, number> {
    return this.waiting.countsByLane();
  }

  nextLeaseExpiry(): number | null {
    return this.leases.earliest();
  }

  /** Sent runs whose lease ended by `now` (see lease-table.ts), earliest first. */
  expiredLeases(now: number, limit: number): RunRow[] {
    return this.leases
      .expired(now, limit)
      .map((id) => this.get(id))
      .filter((r): r is RunRow => r !== undefined);
  }

  /**
   * When one of the oldest runs becomes prunable (its finish plus `retentionMs`), or null. Looks at
   * the 10 oldest ids only: were they all unfinished (held or long-running), pruning still happens
   * in the alarm rounds that other work causes. Tasks are pruned with their occurrence, so they
   * are not looked at.
   */
  nextPruneAt(retentionMs: number): number | null {
    const oldest = this.oldestFinished.all();
    const finished = oldest.map((r) => r.finishedAt).filter((t): t is number => t !== null);
    // The first instant at which `pruneFinished` takes it (it prunes runs finished strictly
    // before the cutoff); an alarm set to the instant itself would find nothing and fire again.
    return finished.length ? Math.min(...finished) + retentionMs + 1 : null;
  }

  /**
   * Deletes runs finished before `cutoff` (about `limit` at most), with their attempts; returns
   * how many. Walks the primary key from the oldest id, bounded to runs created before `cutoff`
   * (a run cannot finish before it was created), so no index on the finish time has to be
   * written. A graph's tasks go with their occurrence, never before it: an occurrence that has not
   * finished still needs its finished tasks (their results feed the tasks after them).
   */
  pruneFinished(cutoff: number, limit: number): number {
    const old = this.db
      .select({
        id: runs.id,
        status: runs.status,
        priority: runs.priority,
        parentId: runs.parentId,
      })
      .from(runs)
      .where(
        and(
          lt(runs.id, idFloor("run", cutoff)),
          isNotNull(runs.finishedAt),
          lt(runs.finishedAt, cutoff),
          NOT_A_TASK_ROW,
        ),
      )
      .orderBy(asc(runs.id))
      .limit(limit)
      .all();
    const doomed: {
      id: string;
      status: RunStatus;
      priority: RunRow["priority"];
      parentId: string | null;
    }[] = [];
    for (const run of old) {
      if (doomed.length >= limit) break;
      doomed.push(run);
      if (run.parentId === run.id) doomed.push(...this.tasksOf(run.id));
    }
    for (const part of chunks(doomed, 90)) {
      const ids = part.map((r) => r.id);
      this.db.delete(attempts).where(inArray(attempts.runId, ids)).run();
      this.db.delete(runs).where(inArray(runs.id, ids)).run();
    }
    for (const run of doomed) this.countIn(run as RunRow, run.status, -1);
    return doomed.length;
  }

  /** A page of runs, newest first (run-list.ts has the index paths per filter). */
  list(query: RunListQuery & { job_id?: string | undefined }, job?: JobRow): RowPage<RunRow> {
    return listRuns(
      this.db,
      query,
      (id) => this.get(id),
      (jobId) => this.activeOfJob(jobId),
      () => {
        const last = job?.lastRunId ? this.get(job.lastRunId) : undefined;
        return last?.namedByJob ? last : undefined;
      },
    );
  }
}

/** Plain runs and graph occurrences, not tasks (the WHERE, in SQL). */
const NOT_A_TASK_ROW = sql`(parent_id is null or parent_id = id)`;

/** Whether `fields` change where or when a run waits. */
function movesWaiting(fields: Partial<RunRow>): boolean {
  return (
    fields.dispatchAt !== undefined ||
    fields.pool !== undefined ||
    fields.flowKey !== undefined ||
    fields.destination !== undefined
  );
}

/** The host a webhook run of `job` calls (`host[:port]`), which destination limits count. */
export function destinationOf(job: JobRow): string | null {
  if (job.target.type !== "http") return null;
  try {
    return new URL(job.target.url).host;
  } catch {
    return null;
  }
}

/** The pool a run of `job` waits in (a worker target), or null (sent to the queues). */
export function poolOf(job: JobRow): string | null {
  return job.target.type === "worker" ? job.target.pool : null;
}

/** A graph occurrence (the parent run of a graph job's tasks) names itself as parent. */
export function isOccurrence(run: Pick<RunRow, "id" | "parentId">): boolean {
  return run.parentId === run.id;
}

/** A task of a graph occurrence. */
export function isTask(run: Pick<RunRow, "id" | "parentId">): boolean {
  return run.parentId !== null && run.parentId !== run.id;
}
