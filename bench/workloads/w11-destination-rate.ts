// W11 destination rate: runs due at once to one host limited to 100 starts per second (burst 100);
// the most the sink sees in any 1 s window, the achieved rate against the configured one, and lag.
import type { WorkloadResult } from "../report.ts";
import { maxInWindow, perSecond, ratio } from "../stats.ts";
import {
  awaitDeliveries,
  type Context,
  createInBatches,
  deliveriesAt,
  dueAfterCreating,
  duplicateCount,
  newTenant,
  oneTimeJob,
} from "./common.ts";

const RATE = 100;
const BURST = 100;

export async function destinationRate(ctx: Context): Promise<WorkloadResult> {
  const runs = ctx.quick ? 600 : 2000;
  const path = "/w11";
  // The sink's host as webhook URLs name it (`127.0.0.1:port`): every run goes to it.
  const host = new URL(ctx.sink.url).host;
  const tenant = await newTenant(ctx, "w11", "premium");
  await ctx.api.setFlowLimits(tenant, "destinations", host, {
    rate: { limit: RATE, period_seconds: 1, burst: BURST },
  });
  const due = dueAfterCreating(ctx, runs);
  await createInBatches(
    ctx,
    tenant,
    Array.from({ length: runs }, (_, i) => oneTimeJob(ctx, path, i, due)),
  );
  const late = Date.now() > due;
  // A token bucket full at the due time: BURST start at once, the rest at RATE per second.
  const idealMs = ((runs - BURST) / RATE) * 1000;
  ctx.log(`  ${runs} runs due ${new Date(due).toISOString()} to ${host} at ${RATE}/s`);
  const report = await awaitDeliveries(ctx, tenant, path, runs, due + idealMs * 3 + 60_000);
  const arrivals = deliveriesAt(ctx.sink, path).map((d) => d.received_at);
  const mostInASecond = maxInWindow(arrivals, 1000);
  // The bucket admits at dispatch; queue and delivery jitter can bunch arrivals at the sink. Over
  // 5 s the bucket allows BURST + 5 × RATE, and jitter matters five times less.
  const mostInFiveSeconds = maxInWindow(arrivals, 5000);
  const spanMs = report.lastReceived - due;
  // Past the first burst, what the bucket refilled: runs beyond BURST over the whole span.
  const refillRate = perSecond(report.delivered - BURST, spanMs);
  const lastWithin = Math.round((spanMs / idealMs) * 100) / 100;
  const duplicated = duplicateCount(report);
  return {
    name: "W11 destination rate",
    params: {
      runs,
      destination: "the sink's host",
      rate_per_s: RATE,
      burst: BURST,
      tier: "premium",
    },
    lag_ms: report.lag,
    counts: {
      delivered: report.delivered,
      lost: report.lost,
      duplicated,
      most_in_any_1s_window: mostInASecond,
      most_in_any_5s_window: mostInFiveSeconds,
    },
    throughput: {
      achieved_runs_per_s: perSecond(report.delivered, spanMs),
      achieved_refill_runs_per_s: refillRate,
      configured_runs_per_s: RATE,
      span_ms: spanMs,
      ideal_span_ms: idealMs,
    },
    ratio: { span_vs_ideal: lastWithin, refill_vs_configured: ratio(refillRate, RATE) },
    notes: [
      "lag_ms: start delay of each run (first delivery received − scheduled time); with every run due at once it grows to the ideal span by design.",
      `ideal span: (runs − burst) ÷ rate = ${idealMs / 1000} s (the issue rounds it to runs ÷ rate); a token bucket allows at most rate + burst = ${RATE + BURST} starts in any 1 s window. achieved_refill_runs_per_s: (runs − burst) ÷ span, to compare with the configured rate.`,
      `The object takes a token when it sends a run to its queue; the sink sees the run after the queue and the consumer, so delivery jitter can put more than rate + burst in one 1 s window at the sink without over-admission. most_in_any_5s_window (allowed: ${BURST + 5 * RATE}) tells the two apart.`,
      ...(late ? ["job creation finished after the due time"] : []),
    ],
    targets: [
      {
        name: "most arrivals in any 1 s window",
        value: mostInASecond,
        target: `<= ${RATE + BURST}`,
        met: mostInASecond <= RATE + BURST,
      },
      {
        name: "most arrivals in any 5 s window",
        value: mostInFiveSeconds,
        target: `<= ${BURST + 5 * RATE}`,
        met: mostInFiveSeconds <= BURST + 5 * RATE,
      },
      {
        name: "last arrival / ideal span",
        value: lastWithin,
        target: "0.9 to 1.1",
        met: lastWithin >= 0.9 && lastWithin <= 1.1,
      },
      { name: "lost", value: report.lost, target: "= 0", met: report.lost === 0 },
      { name: "duplicated", value: duplicated, target: "= 0", met: duplicated === 0 },
    ],
  };
}
