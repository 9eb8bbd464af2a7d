/**
 * Pull workers a tenant has: pools, drain flag, when last heard from. "Last seen" is kept in
 * memory on every claim and heartbeat and written at most every `SEEN_WRITE_MS`, so an idle
 * long-polling worker costs a row write every 15 s at most, and a busy one no more.
 */
import { asc, count, eq, lt } from "drizzle-orm";
import type { WorkerView } from "../../contract/worker";
import { LIMITS } from "../../domain/limits";
import { fail } from "../../domain/problem";
import type { Database } from "../storage/database";
import { type WorkerRow, workers } from "../storage/schema";
import { iso } from "../storage/views";

/** A worker not heard from for this long is `stale` (its runs' leases have run out by then). */
export const WORKER_STALE_MS = 60_000;
const SEEN_WRITE_MS = 15_000;
/** Workers unseen for a day make room when the tenant has `LIMITS.maxWorkers`. */
const FORGET_AFTER_MS = 24 * 3600 * 1000;

export type WorkerState = WorkerView["state"];

export class WorkerRegistry {
  private readonly seenAt = new Map<string, number>();

  constructor(private readonly db: Database) {}

  get(id: string): WorkerRow | undefined {
    return this.db.select().from(workers).where(eq(workers.id, id)).get();
  }

  /** Records that worker `id` was heard from (serving `pools`, when it says); creates it if new. */
  seen(id: string, pools: string[] | null, now: number): WorkerRow {
    const row = this.get(id);
    const lastSeenAt = Math.max(now, this.seenAt.get(id) ?? 0);
    if (!row) {
      this.makeRoom(now);
      const created: WorkerRow = {
        id,
        pools: pools ?? [],
        draining: false,
        lastSeenAt,
        createdAt: now,
      };
      // Its row holds when it was first seen; memory holds later sightings of stored workers only.
      this.db.insert(workers).values(created).run();
      return created;
    }
    this.seenAt.set(id, lastSeenAt);
    const poolsChanged = pools !== null && pools.join("\n") !== row.pools.join("\n");
    if (!poolsChanged && now - row.lastSeenAt < SEEN_WRITE_MS) return { ...row, lastSeenAt };
    const next = { ...row, pools: poolsChanged ? pools : row.pools, lastSeenAt };
    this.db.update(workers).set({ pools: next.pools, lastSeenAt }).where(eq(workers.id, id)).run();
    return next;
  }

  /** The worker gets no new runs from now on; its runs in flight finish. */
  drain(id: string): WorkerRow {
    const row = this.get(id);
    if (!row) throw fail.notFound(`Worker ${id}`);
    if (!row.draining)
      this.db.update(workers).set({ draining: true }).where(eq(workers.id, id)).run();
    return { ...row, draining: true };
  }

  stateOf(row: WorkerRow, now: number): WorkerState {
    if (row.draining) return "draining";
    return now - this.lastSeen(row) > WORKER_STALE_MS ? "stale" : "active";
  }

  view(row: WorkerRow, now: number, runsInFlight: number): WorkerView {
    return {
      id: row.id,
      pools: row.pools,
      state: this.stateOf(row, now),
      last_seen_at: iso(this.lastSeen(row)),
      runs_in_flight: runsInFlight,
      created_at: iso(row.createdAt),
    };
  }

  /** Every worker (at most `LIMITS.maxWorkers`), by id. */
  all(): WorkerRow[] {
    return this.db.select().from(workers).orderBy(asc(workers.id)).all();
  }

  /** Ids whose last sighting is kept in memory: for checks, every one a stored worker. */
  remembered(): string[] {
    return [...this.seenAt.keys()];
  }

  private lastSeen(row: WorkerRow): number {
    return Math.max(row.lastSeenAt, this.seenAt.get(row.id) ?? 0);
  }

  private makeRoom(now: number): void {
    const total = this.db.select({ n: count() }).from(workers).get()?.n ?? 0;
    if (total < LIMITS.maxWorkers) return;
    const forgotten = this.db
      .delete(workers)
      .where(lt(workers.lastSeenAt, now - FORGET_AFTER_MS))
      .returning({ id: workers.id })
      .all();
    for (const { id } of forgotten) this.seenAt.delete(id);
    const left = this.db.select({ n: count() }).from(workers).get()?.n ?? 0;
    if (left >= LIMITS.maxWorkers) {
      throw fail.conflict(
        `This tenant has ${left} workers seen in the last day, the most it may have; reuse worker ids.`,
      );
    }
  }
}
