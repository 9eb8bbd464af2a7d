// Writes bench/results/latest.json and latest.md (a Markdown table), and prints the summary.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import {
  COST_ASSUMPTIONS,
  COST_FORMULA,
  type CostEstimate,
  type CostTerm,
  PRICES_USD_PER_MILLION,
} from "./cost.ts";
import type { LatencySummary } from "./stats.ts";

const ROOT = new URL("..", import.meta.url).pathname;

export interface Target {
  name: string;
  value: number | null;
  target: string;
  met: boolean;
}

export interface WorkloadResult {
  name: string;
  params: Record<string, unknown>;
  lag_ms?: LatencySummary;
  baseline_lag_ms?: LatencySummary;
  completion_ms?: Record<string, LatencySummary>;
  request_ms?: Record<string, LatencySummary>;
  /** Where the lag arises (object timestamps): alarm/materialization and dispatch-to-claim. */
  stages_ms?: Record<string, LatencySummary>;
  counts?: Record<string, number>;
  throughput?: Record<string, number>;
  per_run?: Record<string, number> | null;
  baseline_per_run?: Record<string, number> | null;
  /** Estimated USD per million fired runs at list prices, with its per-term breakdown (cost.ts). */
  cost_per_million_usd?: CostEstimate | null;
  baseline_cost_per_million_usd?: CostEstimate | null;
  ratio?: Record<string, number | null>;
  /** CPU time of the processes measured (process-cpu.ts): ms by process name, and where it goes. */
  cpu?: Record<string, unknown>;
  targets: Target[];
  notes?: string[];
  error?: string;
  /** Why the workload did not run (a missing tool); not an error. */
  skipped?: string;
  duration_s?: number;
}

export interface Results {
  mode: "quick" | "full";
  date: string;
  duration_s: number;
  machine: { cores: number; cpu: string; memory_gb: number; platform: string };
  /** 1-minute load average when the run started and ended: other work on the machine skews figures. */
  load_average: { start: number; end: number };
  /** What-if settings of this run (none in a standard run). */
  overrides: Record<string, string | number>;
  versions: { node: string; wrangler: string; workerd: string };
  /** How cost_per_million_usd is computed. */
  cost_model?: {
    formula: string;
    prices_usd_per_million: Record<CostTerm, number>;
    assumptions: string[];
  };
  workloads: WorkloadResult[];
}

export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

export function environment(): Pick<Results, "machine" | "versions"> {
  const wrangler = execFileSync(join(ROOT, "node_modules/.bin/wrangler"), ["--version"], {
    encoding: "utf8",
  }).trim();
  const workerd = JSON.parse(readFileSync(join(ROOT, "node_modules/workerd/package.json"), "utf8"))
    .version as string;
  return {
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? "unknown",
      memory_gb: Math.round(totalmem() / 2 ** 30),
      platform: `${process.platform} ${process.arch}`,
    },
    versions: { node: process.version, wrangler: wrangler.split("\n").pop() ?? wrangler, workerd },
  };
}

const fmt = (x: number | null | undefined) => (x == null || Number.isNaN(x) ? "n/a" : String(x));
const lat = (s?: LatencySummary) =>
  s ? `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.p99)} / ${fmt(s.max)}` : "";
const pairs = (o?: Record<string, unknown> | null) =>
  o
    ? Object.entries(o)
        .map(([k, v]) => `${k} ${fmt(v as number)}`)
        .join(", ")
    : "n/a";

/** The latency that stands for the workload in the summary table. */
function headline(w: WorkloadResult): LatencySummary | undefined {
  return w.lag_ms ?? w.completion_ms?.high ?? w.request_ms?.single;
}

export function markdown(r: Results): string {
  const lines = [
    `# Benchmark results (${r.mode})`,
    "",
    `${r.date}, ${r.duration_s} s. Machine: ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memory_gb} GiB, ${r.machine.platform}.`,
    `Node ${r.versions.node}, wrangler ${r.versions.wrangler}, workerd ${r.versions.workerd}. Everything local (\`wrangler dev\`).`,
    `1-minute load average: ${r.load_average.start} at start, ${r.load_average.end} at end.${Object.keys(r.overrides).length ? ` Overrides: ${pairs(r.overrides)}.` : ""}`,
    "",
    "Latencies in ms as p50 / p95 / p99 / max. W1, W2, W2-BullMQ, W4, W6, W9, W11: fire lag (sink receipt minus scheduled time); W10: the cold keys' fire lag, its baseline the same runs alone. W12 has no latency (see its per-run figures). W5: completion of high-priority runs. W3: single-request latency. W2's baseline is W2-BullMQ (the same burst run by BullMQ in this run).",
    "",
    "| workload | latency p50 / p95 / p99 / max | baseline (same run) | counts | throughput | ratio | per fired run | target |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const w of r.workloads) {
    const targets = w.error
      ? `error: ${w.error.slice(0, 120)}`
      : w.skipped
        ? `skipped: ${w.skipped}`
        : w.targets
            .map((t) => `${t.name} ${fmt(t.value)} (${t.target}) ${t.met ? "met" : "**missed**"}`)
            .join("; ") || "-";
    const baseline = w.baseline_lag_ms ?? w.completion_ms?.fifo_all_medium;
    lines.push(
      `| ${w.name} | ${lat(headline(w))} | ${lat(baseline)} | ${pairs(w.counts)} | ${pairs(w.throughput)} | ${pairs(w.ratio)} | ${pairs(w.per_run)}${w.baseline_per_run ? ` (without backlog: ${pairs(w.baseline_per_run)})` : ""} | ${targets} |`,
    );
  }
  lines.push(...costSection(r));
  lines.push("", "Parameters:", "");
  for (const w of r.workloads)
    lines.push(
      `- ${w.name}: ${Object.entries(w.params)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}${w.notes?.length ? `. ${w.notes.join(" ")}` : ""}`,
    );
  return `${lines.join("\n")}\n`;
}

const usd = (x: number) => `$${x.toFixed(x < 0.1 ? 3 : 2)}`;

/** One row per workload with a cost estimate: units per run → USD per million runs, per term. */
function costSection(r: Results): string[] {
  const rows: [string, CostEstimate][] = [];
  for (const w of r.workloads) {
    if (w.cost_per_million_usd) rows.push([w.name, w.cost_per_million_usd]);
    if (w.baseline_cost_per_million_usd)
      rows.push([`${w.name} (without backlog)`, w.baseline_cost_per_million_usd]);
  }
  if (!rows.length) return [];
  const terms = Object.keys(PRICES_USD_PER_MILLION) as CostTerm[];
  return [
    "",
    "Estimated cost per million fired runs at list prices (USD):",
    "",
    `\`${COST_FORMULA}\`, all per fired run.`,
    "",
    ...(r.cost_model?.assumptions ?? COST_ASSUMPTIONS).map((a) => `- ${a}`),
    "",
    "Each cell: units per fired run → USD per million runs.",
    "",
    `| workload | ${terms.join(" | ")} | cost per million runs |`,
    `|---|${terms.map(() => "---|").join("")}---|`,
    ...rows.map(
      ([name, c]) =>
        `| ${name} | ${terms.map((t) => `${c.per_run[t]} → ${usd(c.usd_by_term[t])}`).join(" | ")} | **${usd(c.usd)}** |`,
    ),
  ];
}

export async function writeResults(r: Results, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "latest.json"), `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(join(dir, "latest.md"), markdown(r));
}
