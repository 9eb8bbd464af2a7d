/**
 * Queries about the runs workers execute: the ones a worker runs now, and how many each worker
 * runs, through the partial index `runs_running_by_worker`. (Runs waiting for a claim are in
 * memory: waiting-runs.ts.)
 */
import { and, count, eq, sql } from "drizzle-orm";
import type { Database } from "../storage/database";
import { type RunRow, runs } from "../storage/schema";

const RUNNING_BY_WORKER = sql`status = 'running' and worker_id is not null`;

export class PoolRuns {
  constructor(private readonly db: Database) {}

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
