// W1 precision: one-time jobs due uniformly over a window; fire lag, lost and duplicated deliveries.
import { costPerMillion, costTargets } from "../cost.ts";
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
  stageLags,
} from "./common.ts";

export async function precision(ctx: Context) {
  const count = ctx.quick ? 500 : 2000;
  const windowMs = ctx.quick ? 10_000 : 20_000;
  const path = "/w1";
  const tenant = await newTenant(ctx, "w1", "standard");
  const start = dueAfterCreating(ctx, count);
  const specs = Array.from({ length: count }, (_, i) =>
    oneTimeJob(ctx, path, i, start + Math.floor((i * windowMs) / count)),
  );
  await createInBatches(ctx, tenant, specs);
  const before = await readCounters(ctx, tenant);
  ctx.log(`  ${count} jobs due over ${windowMs / 1000} s from ${new Date(start).toISOString()}`);
  const report = await awaitDeliveries(ctx, tenant, path, count, start + windowMs + 60_000);
  const after = await readCounters(ctx, tenant);
  const stages = await stageLags(ctx, tenant);
  const perRunFigures = perRun(before, after, report.delivered);
  // No API request per run inside the measured window: worker_requests is 0.
  const cost = costPerMillion(perRunFigures, 0);
  return {
    name: "W1 precision",
    params: { jobs: count, window_s: windowMs / 1000, tier: "standard" },
    lag_ms: report.lag,
    stages_ms: stages,
    counts: {
      expected: count,
      delivered: report.delivered,
      lost: report.lost,
      duplicated: duplicateCount(report),
      ...report.duplicates,
    },
    per_run: perRunFigures,
    cost_per_million_usd: cost,
    targets: [
      {
        name: "p99 fire lag ms",
        value: report.lag.p99,
        target: "<= 1000",
        met: report.lag.p99 <= 1000,
      },
      { name: "lost", value: report.lost, target: "= 0", met: report.lost === 0 },
      {
        name: "duplicated",
        value: duplicateCount(report),
        target: "= 0",
        met: duplicateCount(report) === 0,
      },
      ...costTargets(cost),
    ],
  };
}
