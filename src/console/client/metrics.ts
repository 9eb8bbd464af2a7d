/**
 * What the charts and summaries draw, from what the API gives: the tenant's per-minute rollup
 * (`GET /v1/stats`: runs finished by status and fire lag p50/p99, each minute of the last day) and
 * its Prometheus metrics (counters since the object started counting). Pure functions; the chart
 * components take their output, a plain series.
 */
import type { Stats } from "../../client/index.ts";

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

/** One point of a time series: the bucket's start and a value per series key (null: no data). */
export interface Point {
  t: number;
  values: Record<string, number | null>;
}

/** Final run statuses grouped as the charts colour them. */
export const OUTCOMES = [
  { key: "succeeded", label: "Succeeded", statuses: ["succeeded"] },
  { key: "failed", label: "Dead or failed", statuses: ["dead", "failed", "upstream_failed"] },
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

/**
 * Runs finished per bucket by outcome, summed from the per-minute rollup (`GET /v1/stats`, every
 * minute of the window, oldest first). Buckets are aligned to their size.
 */
export function finishedByOutcome(minutes: Stats["minutes"], bucketMs: number): Point[] {
  const points = new Map<number, Point>();
  for (const m of minutes) {
    const t = Math.floor(Date.parse(m.minute) / bucketMs) * bucketMs;
    let point = points.get(t);
    if (!point) {
      point = { t, values: Object.fromEntries(OUTCOMES.map((o) => [o.key, 0])) };
      points.set(t, point);
    }
    for (const [status, count] of Object.entries(m.runs)) {
      const key = outcomeOf(status);
      point.values[key] = (point.values[key] ?? 0) + count;
    }
  }
  return [...points.values()].sort((a, b) => a.t - b.t);
}

/** Fire lag p50 and p99 per minute (null for a minute without first attempts). */
export function fireLagSeries(minutes: Stats["minutes"]): Point[] {
  return minutes.map((m) => ({
    t: Date.parse(m.minute),
    values: m.fire_lag_ms.count
      ? { p50: m.fire_lag_ms.p50, p99: m.fire_lag_ms.p99 }
      : { p50: null, p99: null },
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
