// W6 fairness: tenant B's lag while tenant A bursts, against B alone in the same invocation.
import type { Tenant } from "../client.ts";
import { costPerMillion } from "../cost.ts";
import { ratio } from "../stats.ts";
import {
  addSpent,
  awaitDeliveries,
  type Context,
  createInBatches,
  dueAfterCreating,
  duplicateCount,
  newTenant,
  oneTimeJob,
  perRun,
  readCounters,
  stageLags,
  zeroCounters,
} from "./common.ts";

const B_JOBS = 100;

function bSpecs(ctx: Context, path: string, start: number, windowMs: number) {
  return Array.from({ length: B_JOBS }, (_, i) =>
    oneTimeJob(ctx, path, i, start + Math.floor((i * windowMs) / B_JOBS)),
  );
}

async function createB(ctx: Context, label: string): Promise<Tenant> {
  return newTenant(ctx, label, "standard");
}

export async function fairness(ctx: Context) {
  const burst = ctx.quick ? 2000 : 20_000;
  const windowMs = ctx.quick ? 3000 : 10_000;

  const alone = await createB(ctx, "w6-alone");
  let start = Date.now() + 3000;
  await createInBatches(ctx, alone, bSpecs(ctx, "/w6-alone", start, windowMs));
  const aloneBefore = await readCounters(ctx, alone);
  const aloneReport = await awaitDeliveries(
    ctx,
    alone,
    "/w6-alone",
    B_JOBS,
    start + windowMs + 60_000,
  );
  let spent = addSpent(zeroCounters(), aloneBefore, await readCounters(ctx, alone));

  const a = await newTenant(ctx, "w6-a", "premium");
  const b = await createB(ctx, "w6-b");
  start = dueAfterCreating(ctx, burst);
  await createInBatches(
    ctx,
    a,
    Array.from({ length: burst }, (_, i) => oneTimeJob(ctx, "/w6-a", i, start)),
  );
  await createInBatches(ctx, b, bSpecs(ctx, "/w6-b", start, windowMs));
  const [aBefore, bBefore] = [await readCounters(ctx, a), await readCounters(ctx, b)];
  const bReport = await awaitDeliveries(ctx, b, "/w6-b", B_JOBS, start + windowMs + 120_000, 0);
  const aReport = await awaitDeliveries(
    ctx,
    a,
    "/w6-a",
    burst,
    start + Math.max(120_000, burst * 20),
  );
  spent = addSpent(spent, aBefore, await readCounters(ctx, a));
  spent = addSpent(spent, bBefore, await readCounters(ctx, b));
  // Per-run figures over all three tenants' runs (A's burst dominates).
  const perRunFigures = perRun(
    zeroCounters(),
    spent,
    aloneReport.delivered + bReport.delivered + aReport.delivered,
  );

  const [bStages, aloneStages] = [await stageLags(ctx, b), await stageLags(ctx, alone)];
  const p99Ratio = ratio(bReport.lag.p99, aloneReport.lag.p99);
  return {
    name: "W6 fairness",
    params: {
      a_burst: burst,
      a_tier: "premium",
      b_jobs: B_JOBS,
      b_window_s: windowMs / 1000,
      b_tier: "standard",
    },
    lag_ms: bReport.lag,
    baseline_lag_ms: aloneReport.lag,
    a_lag_ms: aReport.lag,
    stages_ms: {
      b_materialize: bStages.materialize,
      b_to_claim: bStages.to_claim,
      alone_materialize: aloneStages.materialize,
      alone_to_claim: aloneStages.to_claim,
    },
    counts: {
      lost: aloneReport.lost + bReport.lost + aReport.lost,
      duplicated: duplicateCount(aloneReport) + duplicateCount(bReport) + duplicateCount(aReport),
    },
    per_run: perRunFigures,
    cost_per_million_usd: costPerMillion(perRunFigures, 0),
    ratio: { b_p99_vs_alone: p99Ratio },
    targets: [
      {
        name: "B p99 lag during A's burst / alone",
        value: p99Ratio,
        target: "<= 3",
        met: p99Ratio !== null && p99Ratio <= 3,
      },
    ],
  };
}
