/**
 * Per-minute rollups for charts: runs finished per minute by status, requests answered 429, and
 * the fire lag of first attempts as a small histogram per minute, for the last 24 hours. They live in the `counters`
 * table under their own name (`minute_stats`, labels `<minute>|<kind>|<key>`, so one range scan
 * reads a window and one delete prunes it) and are written at most every 10 s, so a quiet tenant
 * pays about one row per busy minute and a busy one a few rows per 10 s. A crash loses at most
 * the last 10 s of rollups; they are statistics, not state.
 */
import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { Database } from "../storage/database";
import { counters } from "../storage/schema";

export const MINUTE_STATS = "minute_stats";
const NAME = MINUTE_STATS;
const PERSIST_MS = 10_000;
export const MINUTE_STATS_KEEP_MS = 24 * 3600 * 1000;
/** Upper bounds of the fire-lag buckets in ms; the last bucket is everything above. */
export const LAG_BUCKETS_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

export interface MinutePoint {
  minute: string;
  runs: Record<string, number>;
  /** Requests answered 429 in the minute. */
  rate_limited: number;
  fire_lag_ms: { count: number; p50: number | null; p99: number | null };
}

/** "2026-12-01T05:16" for an instant (UTC), which sorts like the time. */
function minuteOf(at: number): string {
  return new Date(at).toISOString().slice(0, 16);
}

export class MinuteStats {
  private pending = new Map<string, number>();
  private persistedAt = 0;

  /** A run reached a final status. */
  finished(status: string, by: number, now = Date.now()): void {
    this.bump(`${minuteOf(now)}|run|${status}`, by);
  }

  /** A request was answered 429. */
  rateLimited(now = Date.now()): void {
    this.bump(`${minuteOf(now)}|limited|all`, 1);
  }

  /** A first attempt started `lagMs` after its scheduled time. */
  lag(lagMs: number, now = Date.now()): void {
    let bucket = LAG_BUCKETS_MS.findIndex((le) => lagMs <= le);
    if (bucket < 0) bucket = LAG_BUCKETS_MS.length;
    this.bump(`${minuteOf(now)}|lag|${bucket}`, 1);
  }

  /** A copy of what is buffered, to undo the rollups of work that is rolled back. */
  snapshot(): { pending: Map<string, number>; persistedAt: number } {
    return { pending: new Map(this.pending), persistedAt: this.persistedAt };
  }

  restore(snapshot: { pending: Map<string, number>; persistedAt: number }): void {
    this.pending = snapshot.pending;
    this.persistedAt = snapshot.persistedAt;
  }

  /** When buffered rollups are to be written (the alarm wakes for it), or null. */
  dueAt(): number | null {
    return this.pending.size ? this.persistedAt + PERSIST_MS : null;
  }

  /** Writes buffered rollups if 10 s passed since the last write; prunes what is older than a day. */
  persistIfDue(db: Database, now: number): void {
    if (!this.pending.size || now - this.persistedAt < PERSIST_MS) return;
    for (const [labels, value] of this.pending) {
      db.insert(counters)
        .values({ name: NAME, labels, value })
        .onConflictDoUpdate({
          target: [counters.name, counters.labels],
          set: { value: sql`${counters.value} + ${value}` },
        })
        .run();
    }
    this.pending.clear();
    db.delete(counters)
      .where(
        and(eq(counters.name, NAME), lt(counters.labels, minuteOf(now - MINUTE_STATS_KEEP_MS))),
      )
      .run();
    this.persistedAt = now;
  }

  /** Every minute from `from` to `to` (zeros included), stored plus buffered. */
  series(db: Database, from: number, to: number): MinutePoint[] {
    const rows = db
      .select({ labels: counters.labels, value: counters.value })
      .from(counters)
      .where(
        and(
          eq(counters.name, NAME),
          gte(counters.labels, minuteOf(from)),
          lt(counters.labels, `${minuteOf(to)}~`),
        ),
      )
      .all();
    const totals = new Map<string, number>();
    for (const row of rows) totals.set(row.labels, row.value);
    for (const [labels, value] of this.pending) {
      if (labels >= minuteOf(from) && labels < `${minuteOf(to)}~`)
        totals.set(labels, (totals.get(labels) ?? 0) + value);
    }
    const points = new Map<
      string,
      { runs: Record<string, number>; limited: number; lag: number[] }
    >();
    const start = Math.floor(from / 60_000) * 60_000;
    for (let at = start; at <= to; at += 60_000) {
      const lag = new Array(LAG_BUCKETS_MS.length + 1).fill(0);
      points.set(minuteOf(at), { runs: {}, limited: 0, lag });
    }
    for (const [labels, value] of totals) {
      const [minute = "", kind, key = ""] = labels.split("|");
      const point = points.get(minute);
      if (!point) continue;
      if (kind === "run") point.runs[key] = (point.runs[key] ?? 0) + value;
      else if (kind === "limited") point.limited += value;
      else point.lag[Number(key)] = (point.lag[Number(key)] ?? 0) + value;
    }
    return [...points].map(([minute, p]) => ({
      minute: `${minute}:00.000Z`,
      runs: p.runs,
      rate_limited: p.limited,
      fire_lag_ms: lagSummary(p.lag),
    }));
  }

  private bump(labels: string, by: number): void {
    this.pending.set(labels, (this.pending.get(labels) ?? 0) + by);
  }
}

/** p50 and p99 from a bucket histogram, interpolated inside the bucket (the last is capped). */
function lagSummary(buckets: number[]): MinutePoint["fire_lag_ms"] {
  const count = buckets.reduce((a, b) => a + b, 0);
  const quantile = (q: number): number | null => {
    if (!count) return null;
    const rank = q * count;
    let seen = 0;
    for (let i = 0; i < buckets.length; i++) {
      const inBucket = buckets[i] ?? 0;
      if (seen + inBucket >= rank && inBucket > 0) {
        const low = i === 0 ? 0 : (LAG_BUCKETS_MS[i - 1] ?? 0);
        const high = LAG_BUCKETS_MS[i] ?? low * 2;
        return Math.round(low + ((rank - seen) / inBucket) * (high - low));
      }
      seen += inBucket;
    }
    return null;
  };
  return { count, p50: quantile(0.5), p99: quantile(0.99) };
}
