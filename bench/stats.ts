// Percentiles and summaries of latency samples (nearest-rank, in milliseconds).

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, x) => total + x, 0);
  return {
    count: sorted.length,
    mean: sorted.length ? Math.round(sum / sorted.length) : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/** a / b rounded to two decimals; null when either side is missing or b is zero. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}

/** Per-second rate of `count` events over `ms` milliseconds, rounded to one decimal. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count / ms) * 10_000) / 10 : Number.NaN;
}

/** Most intervals open at one instant (an interval [start, end] ends after a start at the same ms). */
export function maxOverlap(intervals: readonly { start: number; end: number }[]): number {
  const events = intervals.flatMap((i) => [
    [i.start, 1],
    [i.end, -1],
  ]);
  // Starts before ends at the same instant: touching intervals count as overlapping (conservative).
  events.sort((a, b) => (a[0] as number) - (b[0] as number) || (b[1] as number) - (a[1] as number));
  let open = 0;
  let most = 0;
  for (const [, step] of events) {
    open += step as number;
    most = Math.max(most, open);
  }
  return most;
}

/** Most of `times` (ms) inside any window of `windowMs` (sliding, [t, t + windowMs)). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to++) {
    while ((sorted[to] as number) - (sorted[from] as number) >= windowMs) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}
