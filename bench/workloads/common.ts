// Helpers shared by the workloads: job specs, bulk creation, delivery tracking, counters per run.
import type { Delivery, Sink } from "../../tools/webhook-sink.ts";
import {
  type Api,
  COUNTER_NAMES,
  type Counters,
  type JobSpec,
  mapLimit,
  type Tenant,
} from "../client.ts";
import { type LatencySummary, summarize } from "../stats.ts";

export interface Context {
  api: Api;
  sink: Sink;
  /** The wrangler dev process of the system under test (the root of the tree whose CPU W2 measures). */
  systemPid: number;
  /** Where raw output goes (git-ignored): wrangler logs, CPU profiles. */
  rawDir: string;
  /** `--profile`: W2 records a V8 CPU profile of the Worker isolate (bench/profile.ts). */
  profile: boolean;
  /** wrangler dev's inspector port and working directory (for `--profile`). */
  inspectorPort: number;
  systemDir: string;
  quick: boolean;
  /** Jobs per second that batch creation reached (W3), used to plan due times. */
  batchRate: number;
  /** `--max-in-flight`: an override applied to every tenant the bench creates (what-if runs). */
  maxInFlight?: number;
  log(message: string): void;
}

export const BATCH = 1000;

/** A one-time job due at `at`, delivering to `path` on the sink with its index in the body. */
export function oneTimeJob(
  ctx: Context,
  path: string,
  i: number,
  at: number,
  extra: Partial<JobSpec> = {},
): JobSpec {
  return {
    name: `${path.slice(1).split("?")[0]}-${i}`,
    schedule: { at: new Date(at).toISOString() },
    target: { type: "http", url: `${ctx.sink.url}${path}`, method: "POST", body: { i } },
    ...extra,
  };
}

/** Creates `specs` through POST /v1/jobs/batch, `concurrency` requests at a time. */
export async function createInBatches(
  ctx: Context,
  tenant: Tenant,
  specs: JobSpec[],
  concurrency = 2,
): Promise<void> {
  const batches: JobSpec[][] = [];
  for (let i = 0; i < specs.length; i += BATCH) batches.push(specs.slice(i, i + BATCH));
  await mapLimit(batches, concurrency, (batch) => ctx.api.createBatch(tenant, batch));
}

/** A due time far enough ahead that creating `count` jobs at the measured rate finishes first. */
export function dueAfterCreating(ctx: Context, count: number, marginMs = 3000): number {
  return Date.now() + Math.ceil((count / ctx.batchRate) * 1500) + marginMs;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What arrived at one sink path, judged per job (the body carries the job's index). */
export interface DeliveryReport {
  expected: number;
  delivered: number;
  lost: number;
  /** Deliveries beyond the first per job: same run and attempt again, a later attempt, another run. */
  duplicates: { same_attempt: number; extra_attempt: number; extra_run: number };
  /** Fire lag per job in ms: first delivery received minus its scheduled time. */
  lag: LatencySummary;
  /** Lag by job index (first delivery). */
  lagByJob: Map<number, number>;
  /** Completion (response sent) minus scheduled time, by job index. */
  doneByJob: Map<number, number>;
  firstScheduled: number;
  lastReceived: number;
  /** When jobs were lost: where their runs are (status counts, overdue active jobs). */
  unfinished?: Record<string, number | string>;
}

export function deliveriesAt(sink: Sink, path: string): Delivery[] {
  return sink.deliveries.filter((d) => d.path === path);
}

function jobIndex(d: Delivery): number {
  try {
    return Number((JSON.parse(d.body) as { i: number }).i);
  } catch {
    return -1;
  }
}

/**
 * Waits until `expected` distinct jobs arrived at `path` (or the deadline), then a short grace for
 * late duplicates. `tenant` null: the deliveries do not come from the scheduler (W2-BullMQ).
 * `whenArrived` runs once every job arrived (or the deadline passed), before the grace.
 */
export async function awaitDeliveries(
  ctx: Context,
  tenant: Tenant | null,
  path: string,
  expected: number,
  deadline: number,
  graceMs = ctx.quick ? 1000 : 2000,
  whenArrived?: () => Promise<void>,
): Promise<DeliveryReport> {
  let lastLog = Date.now();
  for (;;) {
    const seen = new Set(deliveriesAt(ctx.sink, path).map(jobIndex));
    if (seen.size >= expected || Date.now() > deadline) break;
    if (Date.now() - lastLog > 10_000) {
      ctx.log(`  ${path}: ${seen.size}/${expected} delivered`);
      lastLog = Date.now();
    }
    await sleep(200);
  }
  await whenArrived?.();
  await sleep(graceMs);
  // Responses finish after the request arrives; wait briefly for slow targets to answer.
  const stillOpen = () => deliveriesAt(ctx.sink, path).some((d) => d.finished_at === null);
  for (let i = 0; i < 50 && stillOpen(); i++) await sleep(100);
  const report = analyze(deliveriesAt(ctx.sink, path), expected);
  if (report.lost > 0 && tenant) {
    report.unfinished = await unfinished(ctx, tenant).catch((error) => ({
      error: String(error).slice(0, 200),
    }));
    ctx.log(
      `  ${path}: ${report.lost} lost; unfinished in the object: ${JSON.stringify(report.unfinished)}`,
    );
  } else if (report.lost > 0) ctx.log(`  ${path}: ${report.lost} lost`);
  return report;
}

/** Counts the tenant's runs that are not finished, by status, and active jobs already overdue (first pages only). */
async function unfinished(ctx: Context, tenant: Tenant): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const status of ["pending", "queued", "running", "retrying"]) {
    const page = await ctx.api.json<{ data: unknown[] }>(
      "GET",
      `/v1/runs?status=${status}&limit=200`,
      tenant.token,
      undefined,
      200,
    );
    if (page.data.length) out[status] = page.data.length;
  }
  const jobs = await ctx.api.json<{ data: { next_run_at: string | null }[] }>(
    "GET",
    "/v1/jobs?status=active&limit=200",
    tenant.token,
    undefined,
    200,
  );
  const overdue = jobs.data.filter(
    (j) => j.next_run_at !== null && Date.parse(j.next_run_at) < Date.now(),
  ).length;
  if (overdue) out.overdue_active_jobs = overdue;
  return out;
}

export function analyze(list: Delivery[], expected: number): DeliveryReport {
  const byJob = new Map<number, Delivery[]>();
  for (const d of list) {
    const i = jobIndex(d);
    byJob.set(i, [...(byJob.get(i) ?? []), d]);
  }
  const duplicates = { same_attempt: 0, extra_attempt: 0, extra_run: 0 };
  const lagByJob = new Map<number, number>();
  const doneByJob = new Map<number, number>();
  let firstScheduled = Number.POSITIVE_INFINITY;
  let lastReceived = 0;
  for (const [i, ds] of byJob) {
    ds.sort((a, b) => a.received_at - b.received_at);
    const first = ds[0] as Delivery;
    const scheduled = Date.parse(first.headers["x-scheduler-scheduled-for"] ?? "");
    lagByJob.set(i, first.received_at - scheduled);
    const success = ds.find((d) => d.finished_at !== null) ?? first;
    doneByJob.set(i, (success.finished_at ?? success.received_at) - scheduled);
    firstScheduled = Math.min(firstScheduled, scheduled);
    const seen = new Set<string>();
    const runs = new Set<string>();
    for (const d of ds) {
      const run = d.headers["x-scheduler-run-id"] ?? "";
      const key = `${run}#${d.headers["x-scheduler-attempt"]}`;
      if (seen.has(key)) duplicates.same_attempt++;
      else if (runs.has(run)) duplicates.extra_attempt++;
      else if (runs.size > 0) duplicates.extra_run++;
      seen.add(key);
      runs.add(run);
      lastReceived = Math.max(lastReceived, d.received_at);
    }
  }
  return {
    expected,
    delivered: byJob.size,
    lost: Math.max(0, expected - byJob.size),
    duplicates,
    lag: summarize([...lagByJob.values()]),
    lagByJob,
    doneByJob,
    firstScheduled,
    lastReceived,
  };
}

export function duplicateCount(report: DeliveryReport): number {
  const d = report.duplicates;
  return d.same_attempt + d.extra_attempt + d.extra_run;
}

/** The counters per-run figures and the cost estimate use: SQLite rows, object requests, queue messages. */
export const METERED = [...COUNTER_NAMES, "scheduler_runs_dispatched_total"] as const;

/** Sums each METERED counter of the tenant over its labels (0 when absent); null when /v1/metrics does not answer 200. */
export async function readCounters(ctx: Context, tenant: Tenant): Promise<Counters> {
  const response = await ctx.api.request("GET", "/v1/metrics", tenant.token);
  const text = await response.text();
  if (response.status !== 200) return null;
  // A counter with no samples yet (nothing dispatched) is not rendered at all: it is 0.
  const totals: Record<string, number> = Object.fromEntries(METERED.map((name) => [name, 0]));
  for (const line of text.split("\n")) {
    const match = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)/i.exec(line);
    const name = match?.[1] as string;
    if (match && name in totals) totals[name] = (totals[name] as number) + Number(match[3]);
  }
  return totals;
}

export const zeroCounters = (): Counters => Object.fromEntries(METERED.map((name) => [name, 0]));

/** Adds the growth of each counter from `before` to `after` to `total`; null once a reading is unknown. */
export function addSpent(total: Counters, before: Counters, after: Counters): Counters {
  if (!total || !before || !after) return null;
  for (const name of METERED)
    total[name] = (total[name] ?? 0) + (after[name] ?? 0) - (before[name] ?? 0);
  return total;
}

/**
 * Rows read/written, object requests and queue messages sent per fired run between two counter
 * readings (from readCounters); null when unknown.
 */
export function perRun(
  before: Counters,
  after: Counters,
  runs: number,
): Record<string, number> | null {
  if (!before || !after || runs === 0) return null;
  const out: Record<string, number> = {};
  for (const name of METERED) {
    const key = name.replace(/^scheduler_/, "").replace(/_total$/, "");
    const delta = (after[name] ?? Number.NaN) - (before[name] ?? Number.NaN);
    out[key] = Math.round((delta / runs) * 100) / 100;
  }
  return out;
}

/** Creates a tenant with an id unique to this invocation, applying `--max-in-flight` if given. */
export async function newTenant(
  ctx: Context,
  label: string,
  tier: "standard" | "premium",
): Promise<Tenant> {
  const tenant = await ctx.api.createTenant(tenantId(label), tier);
  if (
    ctx.maxInFlight !== undefined &&
    !(await ctx.api.setMaxInFlight(tenant.id, ctx.maxInFlight))
  ) {
    throw new Error("--max-in-flight: PATCH /v1/admin/tenants/:id rejected max_in_flight");
  }
  return tenant;
}

/** A tenant id unique to this invocation. */
export function tenantId(label: string): string {
  return `bench-${label}-${Date.now().toString(36)}`.slice(0, 40);
}

interface RunPage {
  data: { scheduled_for: string; created_at: string; started_at: string | null }[];
  next_cursor: string | null;
}

/**
 * Where the lag of a tenant's runs arises, from the object's own timestamps: `materialize` is run
 * creation (the alarm that found the job due) minus scheduled time; `to_claim` is the consumer's
 * claim minus run creation (dispatch, queue wait, batch start). Pages through GET /v1/runs.
 */
export async function stageLags(
  ctx: Context,
  tenant: Tenant,
): Promise<{ materialize: LatencySummary; to_claim: LatencySummary }> {
  const materialize: number[] = [];
  const toClaim: number[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: RunPage = await ctx.api.json<RunPage>(
      "GET",
      `/v1/runs?limit=200${query}`,
      tenant.token,
      undefined,
      200,
    );
    for (const run of page.data) {
      const created = Date.parse(run.created_at);
      materialize.push(created - Date.parse(run.scheduled_for));
      if (run.started_at) toClaim.push(Date.parse(run.started_at) - created);
    }
    cursor = page.next_cursor;
  } while (cursor);
  return { materialize: summarize(materialize), to_claim: summarize(toClaim) };
}
