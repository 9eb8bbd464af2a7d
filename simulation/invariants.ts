/**
 * The product's promises as checks, run after every step of a simulation against the stored rows
 * (read straight from SQLite, not through the object's code), the object's in-memory tables and
 * what the world saw happen. Each check names the promise it guards; a broken one throws a
 * `Violation` with what it found.
 */
import type { TaskInput } from "../src/contract/job";
import { PRIORITIES } from "../src/domain/priority";
import { canTransition, RUN_STATUSES, type RunStatus } from "../src/domain/run-status";
import { TIERS } from "../src/domain/tiers";
import { type Counters, labelKey } from "../src/durable/metrics/counters";
import type { RunMemory } from "../src/durable/runs/run-memory";
import { readStoredRunMemory } from "../src/durable/runs/run-memory";
import type { WaitingEntry } from "../src/durable/runs/waiting-runs";
import type { Database } from "../src/durable/storage/database";
import { FlowChecks } from "./flow-invariants";
import { Violation, type World } from "./world";

export interface StoredRun {
  id: string;
  job_id: string;
  flow_key: string | null;
  destination: string | null;
  status: RunStatus;
  priority: string;
  trigger: string;
  scheduled_for: number;
  attempt: number;
  dispatch_at: number | null;
  lease_expires_at: number | null;
  attempt_record: string | null;
  pool: string | null;
  parent_id: string | null;
  task_key: string | null;
  finished_at: number | null;
  created_at: number;
}

interface StoredJob {
  id: string;
  status: string;
  overlap: string;
  target: string;
  next_run_at: number | null;
}

interface StoredTenant {
  suspended: number;
  max_in_flight: number | null;
  tier: keyof typeof TIERS;
  default_flow_limits: string | null;
}

const FINISHED = new Set(["succeeded", "cancelled", "skipped", "missed"]);
const REOPENABLE = new Set(["dead", "upstream_failed", "failed"]);
const ACTIVE = new Set(["pending", "queued", "running", "retrying"]);
const TASK_FINAL = new Set(["succeeded", "dead", "cancelled", "upstream_failed"]);

/** The object's parts the checks read (protected in the class; the simulation looks inside). */
export interface Inside {
  db: Database;
  memory: RunMemory & { usage: import("../src/durable/runs/flow-usage").FlowUsage };
  counters: Counters;
  workers: { registry: { remembered(): string[] } };
}

const RUN_COLUMNS =
  "id, job_id, status, priority, trigger, scheduled_for, attempt, dispatch_at, lease_expires_at, " +
  "attempt_record, pool, parent_id, task_key, finished_at, created_at, flow_key, destination";

export function readRuns(world: World): StoredRun[] {
  return world.storage.db
    .prepare(`select ${RUN_COLUMNS} from runs order by id`)
    .all() as unknown as StoredRun[];
}

function readJobs(world: World): StoredJob[] {
  return world.storage.db.prepare("select * from jobs").all() as unknown as StoredJob[];
}

function readTenant(world: World): StoredTenant {
  return world.storage.db.prepare("select * from tenant").get() as unknown as StoredTenant;
}

export class Invariants {
  private previous = new Map<string, StoredRun>();
  private readonly flow = new FlowChecks();
  private previousCap: number | null = null;
  /** Runs ever replayed, and when each job's overlap rules last changed (its runs before count apart). */
  readonly replayed = new Set<string>();
  readonly overlapSince = new Map<string, number>();

  /** All checks after one step. `entered` tells the cap check whether the step admitted runs. */
  check(world: World, kind: string): void {
    for (const id of world.step.replayed) this.replayed.add(id);
    const runs = readRuns(world);
    const jobs = readJobs(world);
    const tenant = readTenant(world);
    const inside = world.object as unknown as Inside;
    this.transitions(world, runs);
    this.finishedHoldNothing(runs);
    this.gauges(inside, runs, jobs);
    this.memory(world, inside, runs);
    this.leases(world, inside, runs);
    this.overlap(runs, jobs);
    this.capacity(runs, tenant);
    this.flow.check(world, inside, runs, tenant.default_flow_limits, this.previous);
    this.graphs(runs, jobs);
    this.workerMemory(world, inside);
    if (kind === "alarm" || kind === "advance") this.materialized(world, jobs, tenant);
    this.previous = new Map(runs.map((r) => [r.id, r]));
  }

  /** Every status change is one the state machine allows; finished runs stay finished. */
  private transitions(world: World, runs: StoredRun[]): void {
    const now = world.clock.now;
    const current = new Set(runs.map((r) => r.id));
    for (const run of runs) {
      const before = this.previous.get(run.id);
      if (!before) continue;
      if (run.attempt < before.attempt)
        fail(
          "attempts only grow",
          `${run.id} went from attempt ${before.attempt} to ${run.attempt}`,
        );
      if (before.status === run.status) continue;
      const change = `${run.id} ${before.status} -> ${run.status}`;
      if (FINISHED.has(before.status)) fail("a finished run never changes", change);
      if (REOPENABLE.has(before.status) && !this.replayed.has(run.id))
        fail("only a replay re-opens a dead run", change);
      if (!reachable(before.status, run.status))
        fail("every status change is one the state machine allows", change);
    }
    const retentionMs = TIERS.premium.run_retention_days * 24 * 3600_000;
    for (const [id, before] of this.previous) {
      if (current.has(id)) continue;
      const prunable =
        (FINISHED.has(before.status) || REOPENABLE.has(before.status)) &&
        before.finished_at !== null &&
        before.finished_at < now - retentionMs;
      if (!prunable) fail("no run is lost", `${id} (${before.status}) disappeared`);
    }
  }

  /** A finished run waits for nothing and holds no lease: it is never sent or claimed again. */
  private finishedHoldNothing(runs: StoredRun[]): void {
    for (const run of runs) {
      if (ACTIVE.has(run.status)) continue;
      if (run.dispatch_at !== null || run.lease_expires_at !== null)
        fail(
          "a finished run is never sent again",
          `${run.id} is ${run.status} with dispatch_at ${run.dispatch_at}, lease ${run.lease_expires_at}`,
        );
    }
  }

  /** The gauges quotas and caps read equal the counts recomputed from the rows. */
  private gauges(inside: Inside, runs: StoredRun[], jobs: StoredJob[]): void {
    const { counters, db } = inside;
    const counted = new Map<string, number>();
    const bump = (key: string) => counted.set(key, (counted.get(key) ?? 0) + 1);
    for (const run of runs) {
      if (run.parent_id === run.id) bump(`graph|${run.status}`);
      else bump(`run|${run.status}|${run.priority}`);
    }
    for (const job of jobs) bump(`job|${job.status}`);
    // One read of every counter (stored plus buffered), as /v1/metrics reads them.
    const values = new Map(counters.read(db).map((c) => [`${c.name}{${c.labels}}`, c.value]));
    const gauge = (name: string, labels: Record<string, string>) =>
      values.get(`${name}{${labelKey(labels)}}`) ?? 0;
    const wrong: string[] = [];
    for (const status of RUN_STATUSES) {
      for (const priority of PRIORITIES) {
        const value = gauge("scheduler_runs", { status, priority });
        const rows = counted.get(`run|${status}|${priority}`) ?? 0;
        if (value !== rows) wrong.push(`scheduler_runs{${status},${priority}} ${value} != ${rows}`);
      }
      const value = gauge("scheduler_graph_runs", { status });
      const rows = counted.get(`graph|${status}`) ?? 0;
      if (value !== rows) wrong.push(`scheduler_graph_runs{${status}} ${value} != ${rows}`);
    }
    for (const status of ["active", "paused", "completed", "cancelled"]) {
      const value = gauge("scheduler_jobs", { status });
      const rows = counted.get(`job|${status}`) ?? 0;
      if (value !== rows) wrong.push(`scheduler_jobs{${status}} ${value} != ${rows}`);
    }
    if (wrong.length) fail("every gauge equals the count from the rows", wrong.join("; "));
  }

  /** The in-memory run tables equal what a restarted object would load from storage. */
  private memory(world: World, inside: Inside, runs: StoredRun[]): void {
    const stored = readStoredRunMemory(inside.db, world.clock.now, 0);
    const { memory } = inside;
    const wrong: string[] = [];
    const active = (rows: { id: string; jobId: string }[]) =>
      rows.map((r) => `${r.jobId}/${r.id}`).sort();
    const activeMemory = active(memory.active.entries());
    const activeStored = active(stored.active);
    if (activeMemory.join() !== activeStored.join())
      wrong.push(`active runs: memory ${diff(activeMemory, activeStored)}`);
    const waiting = (rows: ({ id: string } & WaitingEntry)[]) =>
      rows.map((r) => `${r.id} ${r.lane}/${r.rank}/${r.key}/${r.destination}@${r.at}`).sort();
    const waitingMemory = waiting(memory.waiting.entries());
    const waitingStored = waiting(stored.waiting);
    if (waitingMemory.join() !== waitingStored.join())
      wrong.push(`waiting runs: memory ${diff(waitingMemory, waitingStored)}`);
    // Leases: exactly the stored ones, except that a worker's renewals (heartbeats) extend its
    // running attempt's lease in memory only.
    const leases = memory.leases.entries();
    for (const run of runs) {
      const held = leases.get(run.id);
      if (run.lease_expires_at === null) {
        if (held !== undefined) wrong.push(`lease of ${run.id} in memory only`);
        continue;
      }
      const renewable = run.pool !== null && run.status === "running";
      if (
        held === undefined ||
        (renewable ? held < run.lease_expires_at : held !== run.lease_expires_at)
      )
        wrong.push(`lease of ${run.id}: memory ${held}, stored ${run.lease_expires_at}`);
    }
    if (wrong.length)
      fail("the in-memory tables equal a fresh load from storage", wrong.join("; "));
  }

  /** Every running attempt has a lease, at least as long as what its worker was last told. */
  private leases(world: World, inside: Inside, runs: StoredRun[]): void {
    const leases = inside.memory.leases.entries();
    for (const run of runs) {
      if (run.status !== "running" || run.parent_id === run.id) continue;
      const lease = leases.get(run.id);
      if (lease === undefined) fail("every running attempt has a lease", `${run.id} has none`);
      const told = world.toldLeases.get(run.id);
      if (told && told.attempt === run.attempt && (lease ?? 0) < told.until)
        fail(
          "a running attempt keeps the lease it was given",
          `${run.id} attempt ${run.attempt}: its worker was told ${iso(told.until)}, the object holds ${iso(lease ?? 0)}`,
        );
    }
  }

  /**
   * No job has more scheduled runs in progress than its overlap policy allows (manual triggers
   * and replays stand apart, as do runs made before the job's rules last changed).
   */
  private overlap(runs: StoredRun[], jobs: StoredJob[]): void {
    const byJob = new Map<string, StoredRun[]>();
    for (const run of runs) {
      if (run.task_key !== null || !ACTIVE.has(run.status)) continue;
      byJob.set(run.job_id, [...(byJob.get(run.job_id) ?? []), run]);
    }
    for (const job of jobs) {
      const all = byJob.get(job.id) ?? [];
      if (all.length > 100)
        fail("a job has at most 100 runs in progress", `${job.id}: ${all.length}`);
      const since = this.overlapSince.get(job.id) ?? 0;
      const counted = all.filter(
        (r) => r.trigger === "schedule" && r.created_at >= since && !this.replayed.has(r.id),
      );
      const executing = counted.filter((r) => r.status === "queued" || r.status === "running");
      const limit = job.overlap === "allow" ? 100 : job.overlap === "buffer_one" ? 2 : 1;
      if (counted.length > limit || (job.overlap !== "allow" && executing.length > 1))
        fail(
          "no job has more runs in progress than its overlap policy allows",
          `${job.id} (${job.overlap}): ${counted.map((r) => `${r.id} ${r.status}`).join(", ")}`,
        );
    }
  }

  /** Runs admitted by a step never take the tenant past its cap; a suspended tenant starts nothing. */
  private capacity(runs: StoredRun[], tenant: StoredTenant): void {
    // A cap lowered during the step (while the alarm waited) does not undo what was admitted
    // before it: the larger of the caps before and after the step applies.
    const now = tenant.max_in_flight ?? TIERS[tenant.tier].max_in_flight;
    const cap = Math.max(now, this.previousCap ?? now);
    this.previousCap = now;
    const inFlight = runs.filter(
      (r) => (r.status === "queued" || r.status === "running") && r.parent_id !== r.id,
    );
    const entered = inFlight.filter((r) => {
      const before = this.previous.get(r.id)?.status;
      return before !== "queued" && before !== "running";
    });
    if (entered.length > 0 && inFlight.length > cap)
      fail(
        "runs in flight never exceed the tenant's cap",
        `${inFlight.length} in flight, cap ${cap}, ${entered.length} admitted by this step`,
      );
    const started = entered.filter((r) => r.status === "running");
    if (tenant.suspended && started.length > 0)
      fail("a suspended tenant starts nothing", started.map((r) => r.id).join(", "));
  }

  /** Tasks start only after their dependencies succeeded; a finished occurrence has no live task. */
  private graphs(runs: StoredRun[], jobs: StoredJob[]): void {
    const graphOf = new Map<string, TaskInput[]>();
    for (const job of jobs) {
      const target = JSON.parse(job.target) as { type: string; tasks?: TaskInput[] };
      if (target.type === "graph" && target.tasks) graphOf.set(job.id, target.tasks);
    }
    const tasksOf = new Map<string, StoredRun[]>();
    for (const run of runs)
      if (run.parent_id !== null && run.parent_id !== run.id)
        tasksOf.set(run.parent_id, [...(tasksOf.get(run.parent_id) ?? []), run]);
    for (const run of runs) {
      if (run.parent_id !== run.id) continue;
      const tasks = tasksOf.get(run.id) ?? [];
      const graph = graphOf.get(run.job_id) ?? [];
      if (run.status === "running" && tasks.length !== graph.length)
        fail(
          "an unfinished occurrence keeps all its tasks",
          `${run.id} has ${tasks.length} of ${graph.length}`,
        );
      if (!ACTIVE.has(run.status)) {
        const live = tasks.filter((t) => !TASK_FINAL.has(t.status));
        if (live.length)
          fail(
            "a finished occurrence has no live task",
            `${run.id} is ${run.status}; ${live.map((t) => `${t.task_key} ${t.status}`).join(", ")}`,
          );
      }
      const byKey = new Map(tasks.map((t) => [t.task_key, t]));
      for (const task of tasks) {
        // JSON columns store a JSON null as the text 'null'.
        const started =
          (task.attempt_record !== null && task.attempt_record !== "null") ||
          task.status === "queued";
        if (!started) continue;
        const deps = graph.find((t) => t.key === task.task_key)?.depends_on ?? [];
        const waiting = deps.filter((d) => byKey.get(d)?.status !== "succeeded");
        if (waiting.length)
          fail(
            "no task starts before its dependencies succeed",
            `${task.id} (${task.task_key}, ${task.status}) before ${waiting.join(", ")}`,
          );
      }
    }
  }

  /** What the object remembers of workers in memory is bounded by the workers it stores. */
  private workerMemory(world: World, inside: Inside): void {
    const stored = new Set(
      (world.storage.db.prepare("select id from workers").all() as { id: string }[]).map(
        (w) => w.id,
      ),
    );
    const extra = inside.workers.registry.remembered().filter((id) => !stored.has(id));
    if (extra.length)
      fail(
        "memory of workers is bounded by the workers stored",
        `remembered but not stored: ${extra.join(", ")}`,
      );
  }

  /** After an alarm round with nothing left over, every active job due by now was turned into runs. */
  private materialized(world: World, jobs: StoredJob[], tenant: StoredTenant): void {
    const now = world.clock.now;
    const alarm = world.storage.alarmAt;
    if (tenant.suspended || (alarm !== null && alarm <= now)) return;
    const late = jobs.filter(
      (j) => j.status === "active" && j.next_run_at !== null && j.next_run_at <= now,
    );
    if (late.length)
      fail(
        "due jobs are turned into runs by the alarm",
        late.map((j) => `${j.id} due ${iso(j.next_run_at ?? 0)}`).join(", "),
      );
  }
}

function reachable(from: RunStatus, to: RunStatus): boolean {
  const seen = new Set<RunStatus>([from]);
  const queue: RunStatus[] = [from];
  while (queue.length) {
    const status = queue.shift() as RunStatus;
    for (const next of RUN_STATUSES) {
      if (seen.has(next) || !canTransition(status, next)) continue;
      if (next === to) return true;
      seen.add(next);
      queue.push(next);
    }
  }
  return false;
}

function diff(memory: string[], stored: string[]): string {
  const extra = memory.filter((x) => !stored.includes(x));
  const missing = stored.filter((x) => !memory.includes(x));
  return `has ${JSON.stringify(extra)} more, lacks ${JSON.stringify(missing)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function fail(invariant: string, detail: string): never {
  throw new Violation(invariant, detail);
}
