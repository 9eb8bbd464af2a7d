// W9 slow neighbour: tenant B's lag while tenant A's runs hang on targets that never answer, against B alone in the same invocation.
import type { Tenant } from "../client.ts";
import { ratio } from "../stats.ts";
import {
  awaitDeliveries,
  type Context,
  createInBatches,
  deliveriesAt,
  dueAfterCreating,
  duplicateCount,
  newTenant,
  oneTimeJob,
  stageLags,
} from "./common.ts";

const A_RUNS = 300;
const A_TIMEOUT_S = 20;
const B_JOBS = 60;
const B_WINDOW_MS = 10_000;
/** B's first run is due this long after A's runs. */
const B_OFFSET_MS = 2000;

function bSpecs(ctx: Context, path: string, start: number) {
  return Array.from({ length: B_JOBS }, (_, i) =>
    oneTimeJob(ctx, path, i, start + Math.floor((i * B_WINDOW_MS) / B_JOBS)),
  );
}

async function createB(ctx: Context, label: string, path: string, start: number): Promise<Tenant> {
  const b = await newTenant(ctx, label, "standard");
  await createInBatches(ctx, b, bSpecs(ctx, path, start));
  return b;
}

export async function slowNeighbour(ctx: Context) {
  // B alone first (fresh tenant), then A's hanging runs and another fresh B beside them.
  const aloneStart = dueAfterCreating(ctx, B_JOBS);
  const alone = await createB(ctx, "w9-alone", "/w9-alone", aloneStart);
  const aloneReport = await awaitDeliveries(
    ctx,
    alone,
    "/w9-alone",
    B_JOBS,
    aloneStart + B_WINDOW_MS + 60_000,
  );

  const a = await newTenant(ctx, "w9-a", "premium");
  const aDue = dueAfterCreating(ctx, A_RUNS + B_JOBS);
  // `hang=1`: the sink accepts the request and never answers; each attempt ends by its timeout.
  await createInBatches(
    ctx,
    a,
    Array.from({ length: A_RUNS }, (_, i) =>
      oneTimeJob(ctx, "/w9-a?hang=1", i, aDue, {
        timeout_seconds: A_TIMEOUT_S,
        retry: { max_attempts: 1, initial_backoff_seconds: 1, max_backoff_seconds: 1 },
      }),
    ),
  );
  const b = await createB(ctx, "w9-b", "/w9-b", aDue + B_OFFSET_MS);
  const bReport = await awaitDeliveries(
    ctx,
    b,
    "/w9-b",
    B_JOBS,
    aDue + B_OFFSET_MS + B_WINDOW_MS + 90_000,
  );
  // How many of A's hanging requests had reached the sink by the time B was done.
  const aReached = new Set(deliveriesAt(ctx.sink, "/w9-a").map((d) => d.body)).size;

  const [bStages, aloneStages] = [await stageLags(ctx, b), await stageLags(ctx, alone)];
  const p99Ratio = ratio(bReport.lag.p99, aloneReport.lag.p99);
  const lost = aloneReport.lost + bReport.lost;
  const duplicated = duplicateCount(aloneReport) + duplicateCount(bReport);
  return {
    name: "W9 slow neighbour",
    params: {
      a_runs: A_RUNS,
      a_target: "never answers",
      a_timeout_s: A_TIMEOUT_S,
      a_tier: "premium",
      b_jobs: B_JOBS,
      b_window_s: B_WINDOW_MS / 1000,
      b_offset_s: B_OFFSET_MS / 1000,
      b_tier: "standard",
    },
    lag_ms: bReport.lag,
    baseline_lag_ms: aloneReport.lag,
    stages_ms: {
      b_materialize: bStages.materialize,
      b_to_claim: bStages.to_claim,
      alone_materialize: aloneStages.materialize,
      alone_to_claim: aloneStages.to_claim,
    },
    counts: { lost, duplicated, a_requests_reached_target: aReached },
    ratio: { b_p99_vs_alone: p99Ratio },
    targets: [
      {
        name: "B p99 lag beside A's hanging targets / alone",
        value: p99Ratio,
        target: "<= 3",
        met: p99Ratio !== null && p99Ratio <= 3,
      },
      { name: "B runs lost", value: lost, target: "= 0", met: lost === 0 },
      { name: "B runs duplicated", value: duplicated, target: "= 0", met: duplicated === 0 },
    ],
  };
}
