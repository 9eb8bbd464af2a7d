// W7 worker dispatch: runs of a worker target due over a window, claimed by 8 long-polling pull
// workers (pull-worker/create-worker.ts, in this process); due → claimed lag, lost, claimed twice;
// then the same count due at one instant (claims per second at saturation); then the same spread
// as webhooks, for rows written per run beside worker runs.
import { type ClaimedRun, createWorker, type Worker } from "../../pull-worker/create-worker.ts";
import type { JobSpec, Tenant } from "../client.ts";
import { costPerMillion } from "../cost.ts";
import { type LatencySummary, perSecond, ratio, summarize } from "../stats.ts";
import {
  awaitDeliveries,
  type Context,
  createInBatches,
  dueAfterCreating,
  duplicateCount,
  newTenant,
  oneTimeJob,
  perRun,
  readCounters,
  sleep,
  stageLags,
} from "./common.ts";

const WORKERS = 8;
/**
 * Runs one worker executes at once (and so the most one claim takes). 8 × 50 slots: a slot frees
 * only when its complete is answered, so the slots must cover 100 runs/s times the report's round
 * trip (up to a second on a loaded machine), or the lag measured is the workers', not the scheduler's.
 * BENCH_W7_CONCURRENCY overrides it.
 */
const CONCURRENCY = Number(process.env.BENCH_W7_CONCURRENCY ?? 50);
const POOL = "w7";

interface Claim {
  run_id: string;
  attempt: number;
  index: number;
  worker: number;
  /** Claim answer received (the handler starts) minus the run's scheduled time, ms. */
  lag: number;
  at: number;
}

interface RunTimes {
  created: number;
  started: number | null;
}

/** Creation and start (claim) times of the tenant's runs by id, from GET /v1/runs. */
async function runTimes(ctx: Context, tenant: Tenant): Promise<Map<string, RunTimes>> {
  const times = new Map<string, RunTimes>();
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: {
      data: { id: string; created_at: string; started_at: string | null }[];
      next_cursor: string | null;
    } = await ctx.api.json("GET", `/v1/runs?limit=200${query}`, tenant.token, undefined, 200);
    for (const run of page.data) {
      times.set(run.id, {
        created: Date.parse(run.created_at),
        started: run.started_at ? Date.parse(run.started_at) : null,
      });
    }
    cursor = page.next_cursor;
  } while (cursor);
  return times;
}

interface PhaseReport {
  expected: number;
  claimed: number;
  completed: number;
  lost: number;
  claimedTwice: number;
  lag: LatencySummary;
  firstClaimAt: number;
  lastClaimAt: number;
  /** API requests the workers made (claims, heartbeats, reports, drains) per run. */
  requestsPerRun: number;
  claimRequests: number;
  rateLimited: number;
  claims: Claim[];
  /** Claim answer received to the complete report answered (the report's round trip). */
  toCompleted: LatencySummary;
}

function workerJob(i: number, at: number): JobSpec {
  return {
    name: `w7-${i}`,
    schedule: { at: new Date(at).toISOString() },
    target: { type: "worker", pool: POOL, payload: { i } },
  };
}

/** Counts the workers' requests to the API while `phase` runs (claims, heartbeats, reports). */
async function countingRequests<T>(
  baseUrl: string,
  phase: () => Promise<T>,
): Promise<{ value: T; requests: number; claims: number; rateLimited: number }> {
  const original = globalThis.fetch;
  const counts = { requests: 0, claims: 0, rateLimited: 0 };
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    const workerCall =
      url.startsWith(baseUrl) &&
      /\/v1\/(workers\/|runs\/[^/]+\/(heartbeat|complete|fail))/.test(url);
    if (workerCall) {
      counts.requests++;
      if (url.endsWith("/v1/workers/claim")) counts.claims++;
    }
    const response = await original(input, init);
    if (workerCall && response.status === 429) counts.rateLimited++;
    return response;
  }) as typeof fetch;
  try {
    return { value: await phase(), ...counts };
  } finally {
    globalThis.fetch = original;
  }
}

/** 8 workers claim the tenant's worker runs until `expected` were claimed (or the deadline). */
async function runWorkers(
  ctx: Context,
  tenant: Tenant,
  expected: number,
  deadline: number,
): Promise<PhaseReport> {
  const claims: Claim[] = [];
  const completedAt = new Map<string, number>();
  let completed = 0;
  const workers: Worker[] = Array.from({ length: WORKERS }, (_, w) =>
    createWorker({
      url: ctx.api.baseUrl,
      token: tenant.token,
      pools: [POOL],
      workerId: `${tenant.id}-w${w}`,
      concurrency: CONCURRENCY,
      waitSeconds: 20,
      log: (level, message, fields) => {
        if (message.startsWith("completed run")) {
          completed++;
          completedAt.set(String(fields?.run_id), Date.now());
        } else if (level === "warn" || level === "error") ctx.log(`  worker ${w}: ${message}`);
      },
      handler: async (run: ClaimedRun) => {
        const at = Date.now();
        claims.push({
          run_id: run.run_id,
          attempt: run.attempt,
          index: (run.payload as { i: number }).i,
          worker: w,
          lag: at - Date.parse(run.scheduled_for),
          at,
        });
        return { i: (run.payload as { i: number }).i };
      },
    }),
  );
  const counted = await countingRequests(ctx.api.baseUrl, async () => {
    const running = workers.map((worker) => worker.start());
    let lastLog = Date.now();
    while (completed < expected && Date.now() < deadline) {
      if (Date.now() - lastLog > 10_000) {
        ctx.log(`  ${claims.length}/${expected} claimed, ${completed} completed`);
        lastLog = Date.now();
      }
      await sleep(100);
    }
    // A short grace for late duplicates, then drain (nothing runs by then).
    await sleep(ctx.quick ? 1000 : 2000);
    await Promise.all(workers.map((worker) => worker.drain(5000)));
    await Promise.all(running);
  });
  const firstByJob = new Map<number, Claim>();
  let claimedTwice = 0;
  for (const claim of claims) {
    if (firstByJob.has(claim.index)) claimedTwice++;
    else firstByJob.set(claim.index, claim);
  }
  const firsts = [...firstByJob.values()];
  return {
    expected,
    claimed: firstByJob.size,
    completed,
    lost: Math.max(0, expected - firstByJob.size),
    claimedTwice,
    lag: summarize(firsts.map((c) => c.lag)),
    firstClaimAt: firsts.length ? Math.min(...firsts.map((c) => c.at)) : 0,
    lastClaimAt: firsts.length ? Math.max(...firsts.map((c) => c.at)) : 0,
    requestsPerRun: Math.round((counted.requests / Math.max(1, firstByJob.size)) * 100) / 100,
    claimRequests: counted.claims,
    rateLimited: counted.rateLimited,
    claims: firsts,
    toCompleted: summarize(
      firsts.flatMap((c) => {
        const at = completedAt.get(c.run_id);
        return at === undefined ? [] : [at - c.at];
      }),
    ),
  };
}

/** One phase of worker runs: create them (due at `dueAt(i)`), run the workers, read the counters. */
async function workerPhase(
  ctx: Context,
  label: string,
  count: number,
  dueAt: (start: number, i: number) => number,
  lastDue: (start: number) => number,
) {
  const tenant = await newTenant(ctx, label, "premium");
  const start = dueAfterCreating(ctx, count);
  await createInBatches(
    ctx,
    tenant,
    Array.from({ length: count }, (_, i) => workerJob(i, dueAt(start, i))),
  );
  const late = Date.now() > start;
  const before = await readCounters(ctx, tenant);
  ctx.log(
    `  ${label}: ${count} worker runs due from ${new Date(start).toISOString()}${late ? " (creation overran the first due time)" : ""}`,
  );
  const report = await runWorkers(
    ctx,
    tenant,
    count,
    lastDue(start) + Math.max(60_000, count * 20),
  );
  // Counter deltas are written at most once a second: let the last ones land.
  await sleep(1500);
  const after = await readCounters(ctx, tenant);
  const stages = await stageLags(ctx, tenant);
  // The claim's answer reaching the worker, after the object started the attempt.
  const times = await runTimes(ctx, tenant);
  const toWorker: number[] = [];
  for (const claim of report.claims) {
    const started = times.get(claim.run_id)?.started;
    if (started) toWorker.push(claim.at - started);
  }
  return {
    tenant,
    report,
    late,
    perRun: perRun(before, after, report.completed),
    stages: { ...stages, to_worker: summarize(toWorker) },
  };
}

export async function workers(ctx: Context) {
  const count = ctx.quick ? 500 : 2000;
  const windowMs = ctx.quick ? 5000 : 20_000;

  // 1. Spread: due → claimed lag, lost, claimed twice.
  const spread = await workerPhase(
    ctx,
    "w7",
    count,
    (start, i) => start + Math.floor((i * windowMs) / count),
    (start) => start + windowMs,
  );
  // 2. Saturation: all due at one instant; claims per second.
  const burst = await workerPhase(
    ctx,
    "w7-burst",
    count,
    (start) => start,
    (start) => start,
  );
  // 3. The same spread as webhooks to the sink: rows written per run beside worker runs.
  const hooks = await newTenant(ctx, "w7-http", "premium");
  const path = "/w7-http";
  const start = dueAfterCreating(ctx, count);
  await createInBatches(
    ctx,
    hooks,
    Array.from({ length: count }, (_, i) =>
      oneTimeJob(ctx, path, i, start + Math.floor((i * windowMs) / count)),
    ),
  );
  const hooksBefore = await readCounters(ctx, hooks);
  ctx.log(`  w7-http: ${count} webhook runs due over ${windowMs / 1000} s`);
  const hooksReport = await awaitDeliveries(ctx, hooks, path, count, start + windowMs + 60_000);
  await sleep(1500);
  const hooksPerRun = perRun(hooksBefore, await readCounters(ctx, hooks), hooksReport.delivered);

  const s = spread.report;
  const b = burst.report;
  const saturationSpan = b.lastClaimAt - b.firstClaimAt;
  const claimsPerS = perSecond(b.claimed, saturationSpan);
  const cost = costPerMillion(spread.perRun, s.requestsPerRun);
  const lost = s.lost + b.lost;
  const twice = s.claimedTwice + b.claimedTwice;
  return {
    name: "W7 workers",
    params: {
      runs: count,
      window_s: windowMs / 1000,
      workers: WORKERS,
      concurrency_per_worker: CONCURRENCY,
      wait_seconds: 20,
      tier: "premium",
    },
    lag_ms: s.lag,
    completion_ms: {
      claimed_to_completed: s.toCompleted,
      saturation_due_to_claimed: b.lag,
      saturation_claimed_to_completed: b.toCompleted,
    },
    // Where the lag arises: due → run created (the alarm), → attempt started (the claim, in the
    // object), → the claim's answer in the worker (HTTP back through wrangler's proxy).
    stages_ms: spread.stages,
    counts: {
      expected: s.expected,
      claimed: s.claimed,
      completed: s.completed,
      lost: s.lost,
      claimed_twice: s.claimedTwice,
      saturation_expected: b.expected,
      saturation_claimed: b.claimed,
      saturation_lost: b.lost,
      saturation_claimed_twice: b.claimedTwice,
      claim_requests: s.claimRequests,
      saturation_claim_requests: b.claimRequests,
      rate_limited: s.rateLimited + b.rateLimited,
      webhook_delivered: hooksReport.delivered,
      webhook_duplicated: duplicateCount(hooksReport),
    },
    ratio: {
      rows_written_worker_vs_webhook: ratio(
        spread.perRun?.sqlite_rows_written,
        hooksPerRun?.sqlite_rows_written,
      ),
    },
    throughput: {
      claims_per_s_saturation: claimsPerS,
      saturation_span_ms: saturationSpan,
      worker_requests_per_run: s.requestsPerRun,
    },
    // Worker runs, and beside them (webhook_*) the same spread delivered as webhooks.
    per_run: spread.perRun && {
      ...spread.perRun,
      ...Object.fromEntries(Object.entries(hooksPerRun ?? {}).map(([k, v]) => [`webhook_${k}`, v])),
    },
    cost_per_million_usd: cost,
    notes: [
      "lag: the worker receiving the claim answer minus the run's scheduled time (same machine clock).",
      "per_run: worker runs (claims, heartbeats and reports included); webhook_*: the same spread delivered as webhooks.",
      "cost counts the workers' API requests per run as worker_requests.",
      ...(spread.late || burst.late ? ["job creation overran the first due time"] : []),
    ],
    targets: [
      { name: "p99 due → claimed ms", value: s.lag.p99, target: "<= 250", met: s.lag.p99 <= 250 },
      { name: "lost", value: lost, target: "= 0", met: lost === 0 },
      { name: "claimed twice", value: twice, target: "= 0", met: twice === 0 },
    ],
  };
}
