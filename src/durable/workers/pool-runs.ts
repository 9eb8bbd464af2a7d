/**
 * Queries about worker target runs: the ones a worker of some pools may claim (priority, then
 * age), and the ones a worker is executing. Each has its own partial index (`runs_pool_ready`,
 * `runs_running_by_worker`); webhook runs have no entry in either.
 */
import { and, asc, count, eq, isNotNull, lte, min, sql } from "drizzle-orm";
import type { Database } from "../storage/database";
import { type RunRow, runs } from "../storage/schema";

/** The WHERE of `runs_pool_ready`, repeated so SQLite uses the partial index. */
const POOL_READY = and(isNotNull(runs.dispatchAt), isNotNull(runs.pool));
const RUNNING_BY_WORKER = sql`status = 'running' and worker_id is not null`;

export class PoolRuns {
  constructor(private readonly db: Database) {}

  /**
   * Up to `limit` runs of `pools` ready at `now`: highest priority first, oldest first inside a
   * priority, across all the pools. Reads at most `limit` index entries per pool and priority.
   * A pool named twice is read once: a run must never be handed out twice by one claim.
   */
  ready(pools: readonly string[], now: number, limit: number): RunRow[] {
    const out: RunRow[] = [];
    const distinct = [...new Set(pools)];
    for (let rank = 0; rank <= 2 && out.length < limit; rank++) {
      const candidates = distinct.flatMap((pool) =>
        this.db
          .select()
          .from(runs)
          .where(
            and(
              eq(runs.pool, pool),
              eq(runs.priorityRank, rank),
              POOL_READY,
              lte(runs.dispatchAt, now),
            ),
          )
          .orderBy(asc(runs.dispatchAt))
          .limit(limit - out.length)
          .all(),
      );
      candidates.sort((a, b) => (a.dispatchAt ?? 0) - (b.dispatchAt ?? 0));
      out.push(...candidates.slice(0, limit - out.length));
    }
    return out;
  }

  /** When the next run of `pools` becomes claimable, or null. */
  nextReadyAt(pools: Iterable<string>): number | null {
    let earliest: number | null = null;
    for (const pool of pools) {
      for (let rank = 0; rank <= 2; rank++) {
        const at =
          this.db
            .select({ at: min(runs.dispatchAt) })
            .from(runs)
            .where(and(eq(runs.pool, pool), eq(runs.priorityRank, rank), POOL_READY))
            .get()?.at ?? null;
        if (at !== null && (earliest === null || at < earliest)) earliest = at;
      }
    }
    return earliest;
  }

  /** Runs waiting for a claim, per pool (ready now or later), for the metrics. */
  waitingByPool(): { pool: string; waiting: number }[] {
    return this.db
      .select({ pool: sql<string>`${runs.pool}`, waiting: count() })
      .from(runs)
      .where(POOL_READY)
      .groupBy(runs.pool)
      .all();
  }

  /** The runs worker `workerId` is executing. */
  runningOf(workerId: string): RunRow[] {
    return this.db
      .select()
      .from(runs)
      .where(and(eq(runs.workerId, workerId), RUNNING_BY_WORKER))
      .all();
  }

  /** How many runs each worker is executing. */
  runningCounts(): Map<string, number> {
    const rows = this.db
      .select({ workerId: sql<string>`${runs.workerId}`, running: count() })
      .from(runs)
      .where(RUNNING_BY_WORKER)
      .groupBy(runs.workerId)
      .all();
    return new Map(rows.map((r) => [r.workerId, r.running]));
  }
}
