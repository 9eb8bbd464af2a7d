// Entry of `npm run bench [-- --quick] [-- --only w1,w4] [-- --profile]`: starts the system, runs the workloads, writes results.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Api } from "./client.ts";
import { COST_ASSUMPTIONS, COST_FORMULA, PRICES_USD_PER_MILLION } from "./cost.ts";
import {
  environment,
  loadAverage,
  markdown,
  type Results,
  type WorkloadResult,
  writeResults,
} from "./report.ts";
import { ratio } from "./stats.ts";
import { type System, startSystem } from "./system.ts";
import type { Context } from "./workloads/common.ts";
import { precision } from "./workloads/w1-precision.ts";
import { bullmqBurst } from "./workloads/w2-bullmq.ts";
import { burst } from "./workloads/w2-burst.ts";
import { creation } from "./workloads/w3-creation.ts";
import { backlog } from "./workloads/w4-backlog.ts";
import { priority } from "./workloads/w5-priority.ts";
import { fairness } from "./workloads/w6-fairness.ts";
import { workers } from "./workloads/w7-workers.ts";
import { graphs } from "./workloads/w8-graphs.ts";
import { slowNeighbour } from "./workloads/w9-slow-neighbour.ts";
import { keys } from "./workloads/w10-keys.ts";
import { destinationRate } from "./workloads/w11-destination-rate.ts";
import { objectCeiling } from "./workloads/w12-object-ceiling.ts";

// W3 first: it measures the batch creation rate the others use to plan due times. W4 last: its
// backlog stays on disk and should not weigh on the others. W2-BullMQ right after W2, so both see
// the same machine state. W12 starts a wrangler dev of its own (the main system idles meanwhile).
const WORKLOADS: [string, (ctx: Context) => Promise<WorkloadResult>][] = [
  ["w3", creation],
  ["w1", precision],
  ["w2", burst],
  ["w2-bullmq", bullmqBurst],
  ["w5", priority],
  ["w6", fairness],
  ["w7", workers],
  ["w8", graphs],
  ["w9", slowNeighbour],
  ["w10", keys],
  ["w11", destinationRate],
  ["w12", objectCeiling],
  ["w4", backlog],
];

const RESULTS_DIR = new URL("./results", import.meta.url).pathname;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    only: { type: "string" },
    "max-in-flight": { type: "string" },
    out: { type: "string", default: RESULTS_DIR },
  },
});
const only = values.only?.split(",").map((s) => s.trim().toLowerCase());
const log = (message: string) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

let system: System | undefined;
async function shutdown(code: number): Promise<never> {
  await system?.stop().catch(() => {});
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void shutdown(130));

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadAverage();
  const mode = values.quick ? "quick" : "full";
  log(`bench (${mode}): starting wrangler dev and the webhook sink`);
  const rawDir = join(values.out, "raw");
  system = await startSystem({ rawDir });
  log(`system up at ${system.baseUrl}, sink at ${system.sink.url}`);
  const ctx: Context = {
    api: new Api(system.baseUrl, system.adminToken),
    sink: system.sink,
    systemPid: system.pid,
    rawDir,
    profile: values.profile,
    inspectorPort: system.inspectorPort,
    systemDir: system.dir,
    quick: mode === "quick",
    batchRate: 1000,
    log,
    ...(values["max-in-flight"] ? { maxInFlight: Number(values["max-in-flight"]) } : {}),
  };
  const results: WorkloadResult[] = [];
  for (const [id, run] of WORKLOADS) {
    // `--only w2` includes its BullMQ peer (w2-bullmq).
    if (only && !only.includes(id) && !only.includes(id.split("-")[0] as string)) continue;
    const t0 = Date.now();
    log(`${id}: running`);
    try {
      const result = await run(ctx);
      if (result.skipped) log(`${id}: skipped: ${result.skipped}`);
      result.duration_s = Math.round((Date.now() - t0) / 1000);
      results.push(result);
      log(
        `${id}: done in ${result.duration_s} s ${JSON.stringify({ lag_ms: result.lag_ms, counts: result.counts, throughput: result.throughput, ratio: result.ratio, per_run: result.per_run })}`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`${id}: failed: ${message}`);
      results.push({
        name: id.toUpperCase(),
        params: {},
        targets: [],
        error: message,
        duration_s: Math.round((Date.now() - t0) / 1000),
      });
    }
    ctx.sink.deliveries.length = 0;
  }
  await system.stop();
  compareWithBullmq(results);
  const report: Results = {
    mode,
    date: new Date(started).toISOString(),
    duration_s: Math.round((Date.now() - started) / 1000),
    ...environment(),
    load_average: { start: loadAtStart, end: loadAverage() },
    overrides: {
      ...(ctx.maxInFlight !== undefined ? { max_in_flight: ctx.maxInFlight } : {}),
      ...(process.env.BENCH_SOURCE_DIR ? { source: process.env.BENCH_SOURCE_DIR } : {}),
    },
    cost_model: {
      formula: COST_FORMULA,
      prices_usd_per_million: { ...PRICES_USD_PER_MILLION },
      assumptions: COST_ASSUMPTIONS,
    },
    workloads: results,
  };
  await writeResults(report, values.out);
  console.log(`\n${markdown(report)}`);
  if (results.some((w) => w.error)) process.exitCode = 1;
  for (const w of results) {
    for (const t of w.targets)
      log(`${w.name}: ${t.name} = ${t.value} (target ${t.target}) ${t.met ? "met" : "MISSED"}`);
  }
  log(
    `results written to ${join(values.out, "latest.json")} and latest.md (${report.duration_s} s)`,
  );
}

/**
 * W2's baseline: BullMQ running the same burst against the same sink in this run. Adds the
 * throughput and CPU-per-run ratios and the CPU target (issue 22: ≤ 1.5x BullMQ's CPU per run).
 */
function compareWithBullmq(results: WorkloadResult[]): void {
  const w2 = results.find((w) => w.name === "W2 burst" && !w.error);
  const peer = results.find((w) => w.name === "W2-BullMQ" && w.lag_ms);
  if (!w2 || !peer) return;
  w2.baseline_lag_ms = peer.lag_ms;
  const cpuRatio = ratio(w2.per_run?.cpu_ms, peer.per_run?.cpu_ms);
  if (w2.per_run && peer.per_run?.cpu_ms !== undefined)
    w2.per_run = { ...w2.per_run, bullmq_cpu_ms: peer.per_run.cpu_ms };
  w2.ratio = {
    ...w2.ratio,
    runs_per_s_vs_bullmq: ratio(w2.throughput?.runs_per_s, peer.throughput?.runs_per_s),
    cpu_per_run_vs_bullmq: cpuRatio,
  };
  w2.targets.push({
    name: "CPU ms per run / BullMQ's",
    value: cpuRatio,
    target: "<= 1.5",
    met: cpuRatio !== null && cpuRatio <= 1.5,
  });
}

main().catch(async (error) => {
  console.error(error);
  await shutdown(1);
});
