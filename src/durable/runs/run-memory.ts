/**
 * The object's in-memory tables of runs (leases, runs in progress per job, runs waiting to start,
 * what each flow key and destination uses), which stand in for indexes and counters. They are
 * loaded from the rows when the object starts and follow the transactions that change those rows:
 * `begin` and `end` bracket one, and a rollback undoes what it did to every table.
 */

import { inArray, isNotNull, or } from "drizzle-orm";
import { ACTIVE_RUN_STATUSES, type RunStatus } from "../../domain/run-status";
import type { Database } from "../storage/database";
import { runs } from "../storage/schema";
import { ActiveRuns, isActiveStatus } from "./active-runs";
import { type Counted, FlowUsage } from "./flow-usage";
import { LeaseTable } from "./lease-table";
import { type WaitingEntry, WaitingRuns } from "./waiting-runs";

export type RunMemoryMark = readonly number[];

export class RunMemory {
  readonly leases = new LeaseTable();
  readonly active = new ActiveRuns();
  readonly waiting = new WaitingRuns();
  readonly usage = new FlowUsage();
  /** Other in-memory state that follows transactions the same way (flow limits, rate buckets). */
  private readonly attached: { begin(): number; end(mark: number, committed: boolean): void }[] =
    [];

  /** Brackets `journal` with every transaction too. */
  attach(journal: { begin(): number; end(mark: number, committed: boolean): void }): void {
    this.attached.push(journal);
  }

  /** Replaces every table with what is stored (object start). */
  load(stored: StoredRunMemory): void {
    this.leases.load(stored.leases);
    this.active.load(stored.active);
    this.waiting.load(stored.waiting);
    this.usage.load(stored.usage);
  }

  begin(): RunMemoryMark {
    return this.journals().map((j) => j.begin());
  }

  end(mark: RunMemoryMark, committed: boolean): void {
    this.journals().forEach((j, i) => {
      j.end(mark[i] as number, committed);
    });
  }

  private journals() {
    return [
      this.leases.journal,
      this.active.journal,
      this.waiting.journal,
      this.usage.journal,
      ...this.attached,
    ];
  }
}

/** The rows behind the object's in-memory run tables (run-memory.ts). */
export interface StoredRunMemory {
  leases: { id: string; lease_expires_at: number }[];
  active: { id: string; jobId: string }[];
  waiting: ({ id: string } & WaitingEntry)[];
  usage: (Counted & { status: RunStatus })[];
}

/** Where a waiting run waits: the lane of its pool ("" for the queues), its priority and key. */
export function waitingEntry(
  run: {
    pool: string | null;
    priorityRank: number;
    flowKey: string | null;
    destination: string | null;
  },
  at: number,
): WaitingEntry {
  return {
    lane: run.pool ?? "",
    rank: run.priorityRank,
    key: run.flowKey ?? "",
    destination: run.destination,
    at,
  };
}

/**
 * What the in-memory tables (run-memory.ts) hold, from one scan of the runs when the object
 * starts: leases, runs in progress per job (not tasks), runs waiting to start, usage per flow key
 * and destination. A worker's heartbeats renew its leases in memory only, so a running worker run
 * gets its lease length (`lease_ms`, `defaultWorkerLeaseMs` for rows from before it was stored)
 * again from `now`: never less than its worker was last told, and time for its next heartbeat.
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
      parentId: runs.parentId,
      pool: runs.pool,
      priorityRank: runs.priorityRank,
      dispatchAt: runs.dispatchAt,
      leaseExpiresAt: runs.leaseExpiresAt,
      leaseMs: runs.leaseMs,
      flowKey: runs.flowKey,
      destination: runs.destination,
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
  const stored: StoredRunMemory = { leases: [], active: [], waiting: [], usage: [] };
  for (const r of rows) {
    if (r.leaseExpiresAt !== null) {
      const worker = r.pool !== null && r.status === "running";
      const renewed = now + (r.leaseMs ?? defaultWorkerLeaseMs);
      const at = worker ? Math.max(r.leaseExpiresAt, renewed) : r.leaseExpiresAt;
      stored.leases.push({ id: r.id, lease_expires_at: at });
    }
    if (isActiveStatus(r.status) && r.taskKey === null)
      stored.active.push({ id: r.id, jobId: r.jobId });
    if (r.dispatchAt !== null) stored.waiting.push({ id: r.id, ...waitingEntry(r, r.dispatchAt) });
    if (isActiveStatus(r.status)) stored.usage.push(r);
  }
  return stored;
}
