// W4 backlog: a tenant holding a huge backlog due tomorrow fires a small due set as fast as an empty one.
import type { Counters, Tenant } from "../client.ts";
import { mapLimit } from "../client.ts";
import { costPerMillion } from "../cost.ts";
import { perSecond, ratio, summarize } from "../stats.ts";
import {
  addSpent,
  awaitDeliveries,
  BATCH,
  type Context,
  createInBatches,
  duplicateCount,
  newTenant,
  oneTimeJob,
  perRun,
  readCounters,
  stageLags,
  zeroCounters,
} from "./common.ts";

/** Probe jobs due per second in both modes (the full run: 500 over 10 s). */
const PROBE_RATE = 50;

interface Side {
  tenant: Tenant;
  lags: number[];
  delivered: number;
  lost: number;
  duplicated: number;
  /** Summed counter deltas over the firing phases only (creation requests excluded). */
  spent: Counters;
}

/** Creates jobs due over the next `windowMs` and adds their lag and per-run cost to `side`. */
async function probe(ctx: Context, side: Side, path: string, windowMs: number): Promise<void> {
  const count = (PROBE_RATE * windowMs) / 1000;
  const start = Date.now() + 2000;
  const specs = Array.from({ length: count }, (_, i) =>
    oneTimeJob(ctx, path, i, start + Math.floor((i * windowMs) / count)),
  );
  await createInBatches(ctx, side.tenant, specs);
  const before = await readCounters(ctx, side.tenant);
  const report = await awaitDeliveries(ctx, side.tenant, path, count, start + windowMs + 60_000);
  const after = await readCounters(ctx, side.tenant);
  side.lags.push(...report.lagByJob.values());
  side.delivered += report.delivered;
  side.lost += report.lost;
  side.duplicated += duplicateCount(report);
  side.spent = addSpent(side.spent, before, after);
}

/** Creates `count` jobs due tomorrow (spread over an hour), two batch requests at a time. */
async function buildBacklog(ctx: Context, tenant: Tenant, count: number): Promise<number> {
  const tomorrow = Date.now() + 24 * 3600 * 1000;
  const t0 = performance.now();
  let created = 0;
  await mapLimit(
    Array.from({ length: Math.ceil(count / BATCH) }, (_, b) => b),
    2,
    async (b) => {
      const n = Math.min(BATCH, count - b * BATCH);
      const specs = Array.from({ length: n }, (_, i) =>
        oneTimeJob(ctx, "/w4-never", b * BATCH + i, tomorrow + ((b * BATCH + i) % 3_600_000)),
      );
      await createInBatches(ctx, tenant, specs, 1);
      created += n;
      if (created % 100_000 === 0) ctx.log(`  backlog: ${created}/${count} created`);
    },
  );
  return performance.now() - t0;
}

export async function backlog(ctx: Context) {
  const windowMs = ctx.quick ? 5000 : 10_000;
  // Probes alternate (empty, backlog, empty, backlog) so both sides see the same machine noise.
  const rounds = ctx.quick ? 1 : 2;
  const probeJobs = (PROBE_RATE * windowMs) / 1000;
  // The premium tier allows 1,000,000 live jobs: the backlog plus one probe fill it exactly
  // (a fired one-time job is completed and no longer counts).
  const backlogJobs = ctx.quick ? 20_000 : 1_000_000 - probeJobs;
  const side = async (label: string): Promise<Side> => ({
    tenant: await newTenant(ctx, label, "premium"),
    lags: [],
    delivered: 0,
    lost: 0,
    duplicated: 0,
    spent: zeroCounters(),
  });
  const loaded = await side("w4b");
  const backlogMs = await buildBacklog(ctx, loaded.tenant, backlogJobs);
  const empty = await side("w4a");
  for (let round = 1; round <= rounds; round++) {
    await probe(ctx, empty, `/w4-alone-${round}`, windowMs);
    await probe(ctx, loaded, `/w4-backlog-${round}`, windowMs);
  }
  const lag = summarize(loaded.lags);
  const baselineLag = summarize(empty.lags);
  const stages = {
    loaded: await stageLags(ctx, loaded.tenant),
    empty: await stageLags(ctx, empty.tenant),
  };
  const p99Ratio = ratio(lag.p99, baselineLag.p99);
  const perRunLoaded = perRun(zeroCounters(), loaded.spent, loaded.delivered);
  const perRunEmpty = perRun(zeroCounters(), empty.spent, empty.delivered);
  return {
    name: "W4 backlog",
    params: {
      backlog_jobs: backlogJobs,
      probe_jobs: probeJobs,
      probe_window_s: windowMs / 1000,
      probes_per_side: rounds,
      tier: "premium",
    },
    lag_ms: lag,
    baseline_lag_ms: baselineLag,
    stages_ms: {
      backlog_materialize: stages.loaded.materialize,
      backlog_to_claim: stages.loaded.to_claim,
      alone_materialize: stages.empty.materialize,
      alone_to_claim: stages.empty.to_claim,
    },
    counts: {
      delivered: loaded.delivered + empty.delivered,
      lost: loaded.lost + empty.lost,
      duplicated: loaded.duplicated + empty.duplicated,
    },
    throughput: { backlog_create_jobs_per_s: perSecond(backlogJobs, backlogMs) },
    per_run: perRunLoaded,
    baseline_per_run: perRunEmpty,
    cost_per_million_usd: costPerMillion(perRunLoaded, 0),
    baseline_cost_per_million_usd: costPerMillion(perRunEmpty, 0),
    ratio: { p99_lag_vs_empty: p99Ratio },
    targets: [
      {
        name: "p99 lag with backlog / without",
        value: p99Ratio,
        target: "<= 1.2",
        met: p99Ratio !== null && p99Ratio <= 1.2,
      },
    ],
  };
}
