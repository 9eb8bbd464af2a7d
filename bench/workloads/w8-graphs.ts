// W8 task graphs: 200 occurrences of a 10-task graph (one root, fan-out 8, fan-in 1), all due at
// once. Measures a task's start after its last dependency finished, losses, tasks that started
// before their dependencies finished, and SQLite rows written per task run. A second phase spreads
// 20 occurrences 500 ms apart: the same lag without the burst's queueing (the graph's own cost).
import type { Counters, JobSpec } from "../client.ts";
import { mapLimit } from "../client.ts";
import { type LatencySummary, summarize } from "../stats.ts";
import {
  type Context,
  createInBatches,
  dueAfterCreating,
  newTenant,
  perRun,
  readCounters,
  sleep,
} from "./common.ts";

const FULL_OCCURRENCES = 200;
const FAN_OUT = 8;
const TASKS = FAN_OUT + 2;
const TARGET_DELAY_MS = 20;
const PATH = "/w8";

interface TaskRun {
  key: string;
  status: string;
  depends_on: string[];
  started_at: string | null;
  finished_at: string | null;
}

/** The graph: `root`, then `f1`..`f8` after it, then `join` after all of them. */
function graphJob(ctx: Context, path: string, i: number, at: number): JobSpec {
  const url = `${ctx.sink.url}${path}?delay_ms=${TARGET_DELAY_MS}`;
  const target = { type: "http", url, method: "POST" } as const;
  const fan = Array.from({ length: FAN_OUT }, (_, f) => `f${f + 1}`);
  return {
    name: `w8-${i}`,
    schedule: { at: new Date(at).toISOString() },
    tasks: [
      { key: "root", target },
      ...fan.map((key) => ({ key, target, depends_on: ["root"] })),
      { key: "join", target, depends_on: fan },
    ],
    retry: { max_attempts: 3, initial_backoff_seconds: 1, max_backoff_seconds: 5 },
  } as unknown as JobSpec;
}

interface Phase {
  lag: number[];
  byStage: { fan_out: number[]; join: number[] };
  statuses: Record<string, number>;
  delivered: number;
  early: number;
  before: Counters;
  after: Counters;
}

/** Creates `occurrences` graph jobs due `spacingMs` apart, waits for their tasks, reads both views. */
async function phase(
  ctx: Context,
  label: string,
  occurrences: number,
  spacingMs: number,
): Promise<Phase> {
  const path = `${PATH}-${label}`;
  const expected = occurrences * TASKS;
  const tenant = await newTenant(ctx, `w8-${label}`, "premium");
  const due = dueAfterCreating(ctx, occurrences);
  await createInBatches(
    ctx,
    tenant,
    Array.from({ length: occurrences }, (_, i) => graphJob(ctx, path, i, due + i * spacingMs)),
  );
  const before = await readCounters(ctx, tenant);
  const deliveries = () => ctx.sink.deliveries.filter((d) => d.path === path);
  const deadline = due + occurrences * spacingMs + 180_000;
  let lastLog = Date.now();
  while (Date.now() < deadline) {
    const done = new Set(
      deliveries().map(
        (d) => `${d.headers["x-scheduler-run-id"]}/${d.headers["x-scheduler-task"]}`,
      ),
    );
    if (done.size >= expected) break;
    if (Date.now() - lastLog > 10_000) {
      ctx.log(`  w8 ${label}: ${done.size}/${expected} task deliveries`);
      lastLog = Date.now();
    }
    await sleep(200);
  }
  await sleep(2000);
  const after = await readCounters(ctx, tenant);

  // Per occurrence, the object's view: each task's start against its dependencies' finish.
  const page = await ctx.api.json<{ data: { id: string }[] }>(
    "GET",
    "/v1/runs?limit=200",
    tenant.token,
    undefined,
    200,
  );
  const details = await mapLimit(page.data, 8, (run) =>
    ctx.api.json<{ id: string; status: string; tasks: TaskRun[] }>(
      "GET",
      `/v1/runs/${run.id}`,
      tenant.token,
      undefined,
      200,
    ),
  );
  const lag: number[] = [];
  const byStage = { fan_out: [] as number[], join: [] as number[] };
  const statuses: Record<string, number> = {};
  for (const detail of details) {
    statuses[detail.status] = (statuses[detail.status] ?? 0) + 1;
    const byKey = new Map(detail.tasks.map((t) => [t.key, t]));
    for (const task of detail.tasks) {
      if (!task.depends_on.length || !task.started_at) continue;
      const ready = Math.max(
        ...task.depends_on.map((d) => Date.parse(byKey.get(d)?.finished_at ?? "")),
      );
      const ms = Date.parse(task.started_at) - ready;
      lag.push(ms);
      (task.key === "join" ? byStage.join : byStage.fan_out).push(ms);
    }
  }

  // The targets' view (the sink): nothing arrived before its dependencies' answers, nothing lost.
  const byOccurrence = new Map<string, Map<string, { received: number; finished: number }>>();
  for (const d of deliveries()) {
    const run = d.headers["x-scheduler-run-id"] ?? "";
    const tasks = byOccurrence.get(run) ?? new Map();
    const key = d.headers["x-scheduler-task"] ?? "";
    if (!tasks.has(key))
      tasks.set(key, { received: d.received_at, finished: d.finished_at ?? d.received_at });
    byOccurrence.set(run, tasks);
  }
  let early = 0;
  let delivered = 0;
  for (const tasks of byOccurrence.values()) {
    delivered += tasks.size;
    const root = tasks.get("root");
    const fans = [...tasks].filter(([k]) => k.startsWith("f")).map(([, t]) => t);
    const join = tasks.get("join");
    for (const fan of fans) if (!root || fan.received < root.finished) early++;
    if (join && (fans.length < FAN_OUT || fans.some((f) => join.received < f.finished))) early++;
  }
  return { lag, byStage, statuses, delivered, early, before, after };
}

export async function graphs(ctx: Context) {
  const occurrences = ctx.quick ? 50 : FULL_OCCURRENCES;
  const expected = occurrences * TASKS;
  const burst = await phase(ctx, "burst", occurrences, 0);
  const spreadCount = ctx.quick ? 10 : 20;
  const spread = await phase(ctx, "spread", spreadCount, 500);
  const lost = expected - burst.delivered + (spreadCount * TASKS - spread.delivered);
  const early = burst.early + spread.early;
  const s = summarize(burst.lag);
  const stages: Record<string, LatencySummary> = {
    burst_fan_out: summarize(burst.byStage.fan_out),
    burst_join: summarize(burst.byStage.join),
    spread_all: summarize(spread.lag),
    spread_fan_out: summarize(spread.byStage.fan_out),
    spread_join: summarize(spread.byStage.join),
  };
  return {
    name: "W8 graphs",
    params: {
      occurrences,
      tasks_per_occurrence: TASKS,
      shape: `root -> ${FAN_OUT} -> join`,
      target_delay_ms: TARGET_DELAY_MS,
      tier: "premium",
      spread_phase: `${spreadCount} occurrences 500 ms apart`,
    },
    lag_ms: s,
    stages_ms: stages,
    counts: {
      task_runs: expected,
      delivered: burst.delivered,
      lost,
      executed_early: early,
      ...Object.fromEntries(
        Object.entries(burst.statuses).map(([k, v]) => [`occurrences_${k}`, v]),
      ),
    },
    per_run: perRun(burst.before, burst.after, expected),
    targets: [
      {
        name: "p99 dependency finished → task start ms (burst)",
        value: s.p99,
        target: "<= 250",
        met: s.p99 <= 250,
      },
      {
        name: "p99 dependency finished → task start ms (spread)",
        value: stages.spread_all?.p99 ?? null,
        target: "<= 250",
        met: (stages.spread_all?.p99 ?? Number.POSITIVE_INFINITY) <= 250,
      },
      { name: "lost", value: lost, target: "= 0", met: lost === 0 },
      { name: "executed before dependencies", value: early, target: "= 0", met: early === 0 },
    ],
    notes: [
      "lag_ms: a task's start (its claim in the object) minus the finish of its last dependency, from GET /v1/runs/:id (burst phase)",
      "per_run: per task run of the burst (10 per occurrence); the occurrence rows are included",
    ],
  };
}
