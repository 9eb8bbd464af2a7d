// W5 priority: a saturating backlog a third per priority; high-priority completion vs an all-medium FIFO run.
import type { JobSpec } from "../client.ts";
import { costPerMillion } from "../cost.ts";
import { ratio, summarize } from "../stats.ts";
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
  zeroCounters,
} from "./common.ts";

const PRIORITIES = ["high", "medium", "low"] as const;
const TARGET_DELAY_MS = 75;
const FULL_RUNS = 6000;
const PREMIUM_IN_FLIGHT = 1000;

/** All jobs due at one instant; `priorityOf` picks each job's priority. */
async function phase(
  ctx: Context,
  label: string,
  count: number,
  priorityOf: (i: number) => JobSpec["priority"],
  inFlight: number | undefined,
) {
  const tenant = await newTenant(ctx, label, "premium");
  if (inFlight !== undefined) await ctx.api.setMaxInFlight(tenant.id, inFlight);
  const path = `/${label}`;
  const due = dueAfterCreating(ctx, count);
  const specs = Array.from({ length: count }, (_, i) =>
    oneTimeJob(ctx, `${path}?delay_ms=${TARGET_DELAY_MS}`, i, due, { priority: priorityOf(i) }),
  );
  await createInBatches(ctx, tenant, specs);
  const before = await readCounters(ctx, tenant);
  const report = await awaitDeliveries(ctx, tenant, path, count, due + 180_000);
  const after = await readCounters(ctx, tenant);
  const meanDone = (p: (typeof PRIORITIES)[number]) =>
    summarize([...report.doneByJob].filter(([i]) => PRIORITIES[i % 3] === p).map(([, ms]) => ms));
  return {
    report,
    spent: addSpent(zeroCounters(), before, after),
    done: { high: meanDone("high"), medium: meanDone("medium"), low: meanDone("low") },
  };
}

export async function priority(ctx: Context) {
  const count = ctx.quick ? 900 : FULL_RUNS;
  // Quick mode scales the tenant's in-flight cap with the backlog, so the backlog exceeds the cap
  // by the same factor as in the full run (otherwise everything is dispatched at once).
  const inFlight =
    ctx.quick && ctx.maxInFlight === undefined
      ? Math.round((PREMIUM_IN_FLIGHT * count) / FULL_RUNS)
      : undefined;
  const fifo = await phase(ctx, "w5-fifo", count, () => "medium", inFlight);
  const mixed = await phase(ctx, "w5-mixed", count, (i) => PRIORITIES[i % 3], inFlight);
  // Same job indices in both runs: the third that is high in the mixed run.
  const highRatio = ratio(mixed.done.high.mean, fifo.done.high.mean);
  // Per-run figures over both phases (the FIFO and the mixed run).
  const perRunFigures = perRun(
    zeroCounters(),
    addSpent(fifo.spent, zeroCounters(), mixed.spent),
    fifo.report.delivered + mixed.report.delivered,
  );
  return {
    name: "W5 priority",
    params: {
      runs: count,
      target_delay_ms: TARGET_DELAY_MS,
      tier: "premium",
      max_in_flight: inFlight ?? ctx.maxInFlight ?? PREMIUM_IN_FLIGHT,
    },
    completion_ms: {
      high: mixed.done.high,
      medium: mixed.done.medium,
      low: mixed.done.low,
      fifo_all_medium: summarize([...fifo.report.doneByJob.values()]),
    },
    counts: {
      lost: mixed.report.lost + fifo.report.lost,
      duplicated: duplicateCount(mixed.report) + duplicateCount(fifo.report),
    },
    per_run: perRunFigures,
    cost_per_million_usd: costPerMillion(perRunFigures, 0),
    ratio: { high_mean_vs_fifo: highRatio },
    targets: [
      {
        name: "high mean completion / FIFO",
        value: highRatio,
        target: "<= 0.5",
        met: highRatio !== null && highRatio <= 0.5,
      },
    ],
  };
}
