// W3 creation: jobs/s through POST /v1/jobs/batch and through single POST /v1/jobs with bounded concurrency.
import { mapLimit } from "../client.ts";
import { perSecond, summarize } from "../stats.ts";
import { BATCH, type Context, newTenant, oneTimeJob } from "./common.ts";

const SINGLE_CONCURRENCY = 16;
const BATCH_CONCURRENCY = 2;

export async function creation(ctx: Context) {
  const count = ctx.quick ? 2000 : 20_000;
  // Due tomorrow: nothing fires while we measure.
  const at = Date.now() + 24 * 3600 * 1000;
  const specs = Array.from({ length: count }, (_, i) => oneTimeJob(ctx, "/w3", i, at));

  const batchTenant = await newTenant(ctx, "w3b", "premium");
  const batches = Array.from({ length: Math.ceil(count / BATCH) }, (_, b) =>
    specs.slice(b * BATCH, (b + 1) * BATCH),
  );
  const batchLatency: number[] = [];
  let t0 = performance.now();
  await mapLimit(batches, BATCH_CONCURRENCY, async (batch) => {
    const t = performance.now();
    await ctx.api.createBatch(batchTenant, batch);
    batchLatency.push(performance.now() - t);
  });
  const batchMs = performance.now() - t0;
  ctx.batchRate = Math.max(200, (count / batchMs) * 1000);

  const singleTenant = await newTenant(ctx, "w3s", "premium");
  const throttledBefore = ctx.api.throttled;
  const singleLatency: number[] = [];
  t0 = performance.now();
  await mapLimit(specs, SINGLE_CONCURRENCY, async (spec) => {
    const t = performance.now();
    await ctx.api.createJob(singleTenant, spec);
    singleLatency.push(performance.now() - t);
  });
  const singleMs = performance.now() - t0;
  const round = (xs: number[]) => xs.map((x) => Math.round(x));
  return {
    name: "W3 creation",
    params: {
      jobs: count,
      batch_size: BATCH,
      batch_concurrency: BATCH_CONCURRENCY,
      single_concurrency: SINGLE_CONCURRENCY,
      tier: "premium",
    },
    throughput: {
      batch_jobs_per_s: perSecond(count, batchMs),
      single_jobs_per_s: perSecond(count, singleMs),
      batch_vs_single: Math.round((batchMs > 0 ? singleMs / batchMs : 0) * 10) / 10,
    },
    request_ms: { batch: summarize(round(batchLatency)), single: summarize(round(singleLatency)) },
    counts: { created: count * 2, throttled_429: ctx.api.throttled - throttledBefore },
    targets: [],
  };
}
