/**
 * The object's in-memory tables of runs (leases, runs in progress per job, runs waiting to be
 * sent), which stand in for indexes. They are loaded from the rows when the object starts and
 * follow the transactions that change those rows: `begin` and `end` bracket one, and a rollback
 * undoes what it did to every table.
 */

import { inArray, isNotNull, or } from "drizzle-orm";
import { ACTIVE_RUN_STATUSES } from "../../domain/run-status";
import type { Database } from "../storage/database";
import { runs } from "../storage/schema";
import { ActiveRuns, isActiveStatus } from "./active-runs";
import { DispatchTable } from "./dispatch-table";
import { LeaseTable } from "./lease-table";

export type RunMemoryMark = readonly [leases: number, active: number, waiting: number];

export class RunMemory {
  readonly leases = new LeaseTable();
  readonly active = new ActiveRuns();
  readonly waiting = new DispatchTable();

  /** Replaces every table with what is stored (object start). */
  load(stored: StoredRunMemory): void {
    this.leases.load(stored.leases);
    this.active.load(stored.active);
    this.waiting.load(stored.waiting);
  }

  begin(): RunMemoryMark {
    return [this.leases.journal.begin(), this.active.journal.begin(), this.waiting.journal.begin()];
  }

  end(mark: RunMemoryMark, committed: boolean): void {
    this.leases.journal.end(mark[0], committed);
    this.active.journal.end(mark[1], committed);
    this.waiting.journal.end(mark[2], committed);
  }
}

/** The rows behind the object's in-memory run tables (run-memory.ts). */
export interface StoredRunMemory {
  leases: { id: string; lease_expires_at: number }[];
  active: { id: string; jobId: string }[];
  waiting: { id: string; rank: number; at: number }[];
}

/**
 * What the in-memory tables (run-memory.ts) hold, from one scan of the runs when the object
 * starts: leases, runs in progress per job (not tasks), runs waiting for the queues. A worker's
 * heartbeats renew its leases in memory only, so a running worker run gets its lease length
 * (`lease_ms`, `defaultWorkerLeaseMs` for rows from before it was stored) again from `now`:
 * never less than its worker was last told, and time for its next heartbeat to arrive.
 */
export function readStoredRunMemory(
  db: Database,
  now: number,
  defaultWorkerLeaseMs: number,
): StoredRunMemory {
  const rows = db
    .select({
      id: runs.id,
      jobId: runs.jobId,
      status: runs.status,
      taskKey: runs.taskKey,
      pool: runs.pool,
      rank: runs.priorityRank,
      dispatchAt: runs.dispatchAt,
      leaseExpiresAt: runs.leaseExpiresAt,
      leaseMs: runs.leaseMs,
    })
    .from(runs)
    .where(
      or(
        inArray(runs.status, [...ACTIVE_RUN_STATUSES]),
        isNotNull(runs.leaseExpiresAt),
        isNotNull(runs.dispatchAt),
      ),
    )
    .all();
  const stored: StoredRunMemory = { leases: [], active: [], waiting: [] };
  for (const r of rows) {
    if (r.leaseExpiresAt !== null) {
      const worker = r.pool !== null && r.status === "running";
      const renewed = now + (r.leaseMs ?? defaultWorkerLeaseMs);
      const at = worker ? Math.max(r.leaseExpiresAt, renewed) : r.leaseExpiresAt;
      stored.leases.push({ id: r.id, lease_expires_at: at });
    }
    if (isActiveStatus(r.status) && r.taskKey === null)
      stored.active.push({ id: r.id, jobId: r.jobId });
    if (r.dispatchAt !== null && r.pool === null)
      stored.waiting.push({ id: r.id, rank: r.rank, at: r.dispatchAt });
  }
  return stored;
}
