// W10 flow keys: a hot key with a burst of runs and max_running 50 beside nine cold keys due 2 s
// later; the hot key's concurrency at the sink, and the cold runs' lag against the same runs in a
// fresh tenant without keys (measured first, in the same invocation).
import type { Delivery } from "../../tools/webhook-sink.ts";
import type { Tenant } from "../client.ts";
import type { WorkloadResult } from "../report.ts";
import { maxOverlap, perSecond, ratio } from "../stats.ts";
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

const HOT_MAX_RUNNING = 50;
const COLD_KEYS = 9;
const COLD_RUNS_PER_KEY = 50;
const COLD_OFFSET_MS = 2000;
/** The sink holds each hot request this long, so that the key's running runs overlap. */
const HOT_DELAY_MS = 100;

/** The cold runs: `k1`..`k9` (or no key for the baseline), 50 each, all due at `at`. */
function coldSpecs(ctx: Context, path: string, at: number, keyed: boolean) {
  return Array.from({ length: COLD_KEYS * COLD_RUNS_PER_KEY }, (_, i) =>
    oneTimeJob(ctx, path, i, at, keyed ? { flow_key: `k${1 + (i % COLD_KEYS)}` } : {}),
  );
}

/** Most of the deliveries open at once (request received to response sent). */
function concurrency(list: Delivery[]): number {
  return maxOverlap(
    list.map((d) => ({ start: d.received_at, end: d.finished_at ?? d.received_at })),
  );
}

export async function keys(ctx: Context): Promise<WorkloadResult> {
  const hotRuns = ctx.quick ? 2000 : 10_000;
  const coldRuns = COLD_KEYS * COLD_RUNS_PER_KEY;

  // The baseline: the same cold runs in a fresh tenant alone, without keys.
  const aloneDue = dueAfterCreating(ctx, coldRuns);
  const alone = await newTenant(ctx, "w10-alone", "premium");
  await createInBatches(ctx, alone, coldSpecs(ctx, "/w10-alone", aloneDue, false));
  const aloneReport = await awaitDeliveries(ctx, alone, "/w10-alone", coldRuns, aloneDue + 60_000);

  const tenant: Tenant = await newTenant(ctx, "w10", "premium");
  await ctx.api.setFlowLimits(tenant, "flow-keys", "hot", { max_running: HOT_MAX_RUNNING });
  const hotDue = dueAfterCreating(ctx, hotRuns + coldRuns);
  const coldDue = hotDue + COLD_OFFSET_MS;
  await createInBatches(
    ctx,
    tenant,
    Array.from({ length: hotRuns }, (_, i) =>
      oneTimeJob(ctx, `/w10-hot?delay_ms=${HOT_DELAY_MS}`, i, hotDue, { flow_key: "hot" }),
    ),
  );
  await createInBatches(ctx, tenant, coldSpecs(ctx, "/w10-cold", coldDue, true));
  const late = Date.now() > hotDue;
  ctx.log(`  hot: ${hotRuns} runs due ${new Date(hotDue).toISOString()}, cold 2 s later`);
  const coldReport = await awaitDeliveries(ctx, tenant, "/w10-cold", coldRuns, coldDue + 60_000);
  // The hot key drains at about HOT_MAX_RUNNING per (delay + overhead).
  const hotReport = await awaitDeliveries(
    ctx,
    tenant,
    "/w10-hot",
    hotRuns,
    hotDue + Math.max(120_000, hotRuns * 30),
  );
  const hotConcurrency = concurrency(deliveriesAt(ctx.sink, "/w10-hot"));
  const coldByKey: Record<string, number> = {};
  for (const d of deliveriesAt(ctx.sink, "/w10-cold")) {
    const i = Number((JSON.parse(d.body) as { i: number }).i);
    const key = `k${1 + (i % COLD_KEYS)}`;
    coldByKey[key] = (coldByKey[key] ?? 0) + 1;
  }
  const stages = await stageLags(ctx, tenant);
  const p99Ratio = ratio(coldReport.lag.p99, aloneReport.lag.p99);
  const lost = aloneReport.lost + coldReport.lost + hotReport.lost;
  const duplicated =
    duplicateCount(aloneReport) + duplicateCount(coldReport) + duplicateCount(hotReport);
  const hotSpan = hotReport.lastReceived - hotDue;
  return {
    name: "W10 flow keys",
    params: {
      hot_runs: hotRuns,
      hot_max_running: HOT_MAX_RUNNING,
      hot_target_delay_ms: HOT_DELAY_MS,
      cold_keys: COLD_KEYS,
      cold_runs_per_key: COLD_RUNS_PER_KEY,
      cold_offset_s: COLD_OFFSET_MS / 1000,
      tier: "premium",
    },
    lag_ms: coldReport.lag,
    baseline_lag_ms: aloneReport.lag,
    stages_ms: {
      hot_and_cold_materialize: stages.materialize,
      hot_and_cold_to_claim: stages.to_claim,
      hot_lag: hotReport.lag,
    },
    counts: {
      lost,
      duplicated,
      hot_delivered: hotReport.delivered,
      cold_delivered: coldReport.delivered,
      alone_delivered: aloneReport.delivered,
      hot_max_concurrent_at_sink: hotConcurrency,
      cold_keys_with_all_runs: Object.values(coldByKey).filter((n) => n >= COLD_RUNS_PER_KEY)
        .length,
    },
    throughput: { hot_runs_per_s: perSecond(hotReport.delivered, hotSpan), hot_span_ms: hotSpan },
    ratio: { cold_p99_vs_alone: p99Ratio },
    notes: [
      "lag_ms: the cold keys' fire lag (first delivery received − scheduled time) beside the hot key; baseline_lag_ms: the same 450 runs without keys in a fresh tenant alone, measured first.",
      `hot_max_concurrent_at_sink: most hot requests open at the sink at one instant (each held ${HOT_DELAY_MS} ms); the key's limit counts runs queued or running, a superset.`,
      ...(late ? ["job creation finished after the hot due time"] : []),
    ],
    targets: [
      {
        name: "hot key's most concurrent runs at the sink",
        value: hotConcurrency,
        target: `<= ${HOT_MAX_RUNNING}`,
        met: hotConcurrency <= HOT_MAX_RUNNING,
      },
      {
        name: "cold keys' p99 lag beside the hot key / alone",
        value: p99Ratio,
        target: "<= 2",
        met: p99Ratio !== null && p99Ratio <= 2,
      },
      { name: "lost", value: lost, target: "= 0", met: lost === 0 },
      { name: "duplicated", value: duplicated, target: "= 0", met: duplicated === 0 },
    ],
  };
}
