/**
 * What the charts and summaries draw, computed from what the API gives: the tenant's Prometheus
 * metrics (counters since the object started counting) and its run lists (each run with its
 * scheduled time, status and fire lag). Pure functions; the chart components take their output.
 */
import type { Run } from "../../client/index.ts";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c: string) =>
        c === "n" ? "\n" : c,
      );
    const raw = m[4] as string;
    const value = raw === "+Inf" ? Number.POSITIVE_INFINITY : Number(raw);
    samples.push({ name: m[1] as string, labels, value });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `where`. */
export function total(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Sums by one label's value. */
export function byLabel(samples: Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? "";
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/**
 * A quantile of a Prometheus histogram (all its series summed), interpolated inside the bucket as
 * `histogram_quantile` does; null with no observations.
 */
export function histogramQuantile(samples: Sample[], name: string, q: number): number | null {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  if (count === 0) return null;
  const rank = q * count;
  let previousLe = 0;
  let previousCount = 0;
  for (const [le, cumulative] of sorted) {
    if (cumulative >= rank) {
      if (le === Number.POSITIVE_INFINITY) return previousLe;
      const inBucket = cumulative - previousCount;
      const share = inBucket === 0 ? 0 : (rank - previousCount) / inBucket;
      return previousLe + (le - previousLe) * share;
    }
    previousLe = le;
    previousCount = cumulative;
  }
  return previousLe;
}

/** Run statuses grouped as the charts colour them. */
export const OUTCOMES = [
  { key: "succeeded", label: "Succeeded", statuses: ["succeeded"] },
  { key: "dead", label: "Dead", statuses: ["dead"] },
  { key: "retrying", label: "Retrying", statuses: ["retrying"] },
  { key: "active", label: "Waiting or running", statuses: ["pending", "queued", "running"] },
  {
    key: "other",
    label: "Cancelled, skipped, missed",
    statuses: ["cancelled", "skipped", "missed"],
  },
] as const;
export type OutcomeKey = (typeof OUTCOMES)[number]["key"];

export function outcomeOf(status: string): OutcomeKey {
  return OUTCOMES.find((o) => (o.statuses as readonly string[]).includes(status))?.key ?? "other";
}

/** One point of a time series: the bucket's start and a value per series key (null: no data). */
export interface Point {
  t: number;
  values: Record<string, number | null>;
}

export interface Window {
  from: number;
  to: number;
  bucketMs: number;
}

/** The buckets of a window, oldest first, aligned to the bucket size. */
export function bucketStarts(window: Window): number[] {
  const first = Math.floor(window.from / window.bucketMs) * window.bucketMs;
  const starts: number[] = [];
  for (let t = first; t < window.to; t += window.bucketMs) starts.push(t);
  return starts;
}

/** Runs per bucket of their scheduled time, by outcome. */
export function runsByOutcome(runs: Run[], window: Window): Point[] {
  const points = bucketStarts(window).map((t) => ({
    t,
    values: Object.fromEntries(OUTCOMES.map((o) => [o.key, 0])) as Record<string, number | null>,
  }));
  const first = points[0]?.t ?? window.from;
  for (const run of runs) {
    const at = Date.parse(run.scheduled_for);
    if (at < window.from || at >= window.to) continue;
    const point = points[Math.floor((at - first) / window.bucketMs)];
    if (!point) continue;
    const key = outcomeOf(run.status);
    point.values[key] = (point.values[key] ?? 0) + 1;
  }
  return points;
}

/** The q-quantile of numbers (nearest rank); null for none. */
export function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

/** Fire lag p50 and p99 (ms) per bucket of scheduled time, over runs that started. */
export function fireLagQuantiles(runs: Run[], window: Window): Point[] {
  const starts = bucketStarts(window);
  const first = starts[0] ?? window.from;
  const lags: number[][] = starts.map(() => []);
  for (const run of runs) {
    if (run.fire_lag_ms === null) continue;
    const at = Date.parse(run.scheduled_for);
    if (at < window.from || at >= window.to) continue;
    lags[Math.floor((at - first) / window.bucketMs)]?.push(run.fire_lag_ms);
  }
  return starts.map((t, i) => ({
    t,
    values: { p50: quantile(lags[i] ?? [], 0.5), p99: quantile(lags[i] ?? [], 0.99) },
  }));
}

/** 1, 2 or 5 times a power of ten, at least `value`. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** Four or five round steps from 0 to at least `value` (whole numbers when `whole`). */
export function ticksFor(value: number, whole: boolean): number[] {
  let step = niceCeiling(Math.max(value, whole ? 1 : Number.MIN_VALUE) / 4);
  if (whole) step = Math.max(1, Math.ceil(step));
  const ticks = [0];
  while ((ticks.at(-1) as number) < value) ticks.push((ticks.at(-1) as number) + step);
  if (ticks.length < 2) ticks.push(step);
  return ticks;
}
