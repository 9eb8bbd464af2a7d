/**
 * Metric counters and histograms of the tenant, buffered in memory and added to the `counters`
 * table in one upsert per key at most every 5 s (when a request that writes, or the alarm, ends),
 * so read-only requests add no writes and a burst writes each key every 5 s, not per
 * run. Readers see stored plus buffered values. Deltas buffered when the object is evicted or
 * crashes are lost (at most 5 s worth); the gauges among them are recomputed from the
 * rows when the object starts (gauge-check.ts).
 */
import { and, eq, ne, sql } from "drizzle-orm";
import type { Database } from "../storage/database";
import { counters } from "../storage/schema";
import { MINUTE_STATS, type MinuteStats } from "./minute-stats";

export type Labels = Record<string, string>;

interface CountersSnapshot {
  buffer: Map<string, { name: string; labels: string; value: number }>;
  stats: ReturnType<MinuteStats["snapshot"]> | undefined;
}

/** Buffered deltas are written at most this often (and the alarm wakes to write them). */
// 5 s rather than 1 s: a flush writes some 30 keys (gauges, histogram buckets, totals), so at
// 50 runs a second 1 s cost 0.7 rows per run and 5 s costs 0.14 (decision 38).
export const COUNTER_FLUSH_MS = 5_000;

/** Fire lag and duration buckets, in seconds. */
export const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300] as const;

export function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, "_")}"`)
    .join(",");
}

export class Counters {
  /** `stats` gets the runs finished and first-attempt fire lags, per minute, for charts. */
  constructor(private readonly stats?: MinuteStats) {}

  private buffer = new Map<string, { name: string; labels: string; value: number }>();
  private lookup:
    | { get(values: { name: string; labels: string }): { value: number } | undefined }
    | undefined;
  private flushedAt = 0;
  private flushOwed = false;

  add(name: string, labels: Labels, by = 1): void {
    if (name === "scheduler_runs_finished_total") this.stats?.finished(labels.status ?? "", by);
    if (name === "scheduler_requests_rate_limited_total") this.stats?.rateLimited();
    const key = labelKey(labels);
    const id = `${name}{${key}}`;
    const entry = this.buffer.get(id) ?? { name, labels: key, value: 0 };
    entry.value += by;
    this.buffer.set(id, entry);
  }

  /** A Prometheus histogram: cumulative `_bucket{le}`, `_sum` and `_count`. */
  observe(name: string, labels: Labels, seconds: number): void {
    if (name === "scheduler_fire_lag_seconds") this.stats?.lag(seconds * 1000);
    for (const le of SECONDS_BUCKETS)
      if (seconds <= le) this.add(`${name}_bucket`, { ...labels, le: String(le) });
    this.add(`${name}_bucket`, { ...labels, le: "+Inf" });
    this.add(`${name}_sum`, labels, seconds);
    this.add(`${name}_count`, labels);
  }

  /** A copy of the buffer (and the minute rollups), to undo the deltas of work rolled back. */
  snapshot(): CountersSnapshot {
    return {
      buffer: new Map([...this.buffer].map(([id, entry]) => [id, { ...entry }])),
      stats: this.stats?.snapshot(),
    };
  }

  restore(snapshot: CountersSnapshot): void {
    this.buffer = snapshot.buffer;
    if (snapshot.stats) this.stats?.restore(snapshot.stats);
  }

  /** Whether deltas wait to be written. */
  pending(): boolean {
    return this.buffer.size > 0;
  }

  /**
   * Writes buffered deltas at most once per `COUNTER_FLUSH_MS`: one upsert per changed key for all
   * the runs of that second instead of per transaction. Deltas only enter the buffer with a
   * committed change (a rolled-back transaction restores it). A crash loses at most the last
   * second's deltas: gauges are recomputed from the rows at start, monotonic counters undercount.
   */
  flushIfDue(db: Database, storage: DurableObjectStorage, now: number): void {
    const countersDue = this.pending() && now - this.flushedAt >= COUNTER_FLUSH_MS;
    if (this.pending() && !countersDue) this.flushOwed = true;
    const statsAt = this.stats?.dueAt() ?? null;
    const statsDue = statsAt !== null && statsAt <= now;
    if (!countersDue && !statsDue) return;
    // A flush that fails is rolled back: its deltas go back to the buffer for the next one.
    const before = this.snapshot();
    try {
      storage.transactionSync(() => {
        if (countersDue) this.flush(db);
        if (statsDue) this.stats?.persistIfDue(db, now);
      });
    } catch (error) {
      this.restore(before);
      throw error;
    }
    if (countersDue) {
      this.flushedAt = now;
      this.flushOwed = false;
    }
  }

  /**
   * When deltas left by `flushIfDue` (or minute rollups) are to be written (the alarm wakes for
   * it), or null. Only deltas of writes are owed a flush: a read on an idle tenant must not cause
   * a write.
   */
  flushDueAt(): number | null {
    const times = [this.flushOwed ? this.flushedAt + COUNTER_FLUSH_MS : null, this.stats?.dueAt()];
    const due = times.filter((t): t is number => typeof t === "number");
    return due.length ? Math.min(...due) : null;
  }

  /**
   * Adds the buffered deltas to the table. The buffer is emptied only once the writes are done: if
   * one throws (and the caller's transaction rolls back), the deltas are still buffered.
   */
  flush(db: Database): void {
    if (!this.buffer.size) return;
    const rows = [...this.buffer.values()];
    for (const row of rows) {
      db.insert(counters)
        .values(row)
        .onConflictDoUpdate({
          target: [counters.name, counters.labels],
          set: { value: sql`${counters.value} + ${row.value}` },
        })
        .run();
    }
    this.buffer.clear();
  }

  /** One counter's stored value plus what is still buffered. */
  value(db: Database, name: string, labels: Labels): number {
    const key = labelKey(labels);
    // Prepared once per database: quotas and the in-flight cap read counters on every request.
    this.lookup ??= db
      .select({ value: counters.value })
      .from(counters)
      .where(
        and(
          eq(counters.name, sql.placeholder("name")),
          eq(counters.labels, sql.placeholder("labels")),
        ),
      )
      .prepare();
    const stored = this.lookup.get({ name, labels: key });
    return (stored?.value ?? 0) + (this.buffer.get(`${name}{${key}}`)?.value ?? 0);
  }

  /** Stored values plus what is still buffered. */
  read(db: Database): { name: string; labels: string; value: number }[] {
    const merged = new Map<string, { name: string; labels: string; value: number }>();
    // The minute rollups share the table but are not metrics (minute-stats.ts).
    for (const row of db.select().from(counters).where(ne(counters.name, MINUTE_STATS)).all())
      merged.set(`${row.name}{${row.labels}}`, { ...row });
    for (const [id, row] of this.buffer) {
      const current = merged.get(id);
      if (current) current.value += row.value;
      else merged.set(id, { ...row });
    }
    return [...merged.values()];
  }
}
