/**
 * Leases of sent runs (queued or running), in memory. The lease is stored on the run row, written
 * by the statements that move the run anyway; keeping the "which lease ends first" lookup here
 * instead of in an index saves two index writes per run. The table is loaded from the rows when
 * the object starts (one scan), and changes made inside a transaction are undone if it rolls back.
 */
import { UndoJournal } from "../storage/undo-journal";

export class LeaseTable {
  private readonly leases = new Map<string, number>();
  readonly journal = new UndoJournal<[runId: string, before: number | undefined]>(
    ([runId, before]) => this.put(runId, before),
  );

  /** Replaces the table with stored leases (object start). */
  load(rows: Iterable<{ id: string; lease_expires_at: number }>): void {
    this.leases.clear();
    for (const row of rows) this.leases.set(row.id, row.lease_expires_at);
  }

  set(runId: string, expiresAt: number | null): void {
    this.journal.record([runId, this.leases.get(runId)]);
    this.put(runId, expiresAt ?? undefined);
  }

  private put(runId: string, expiresAt: number | undefined): void {
    if (expiresAt === undefined) this.leases.delete(runId);
    else this.leases.set(runId, expiresAt);
  }

  /** Every lease, by run id: for checks (the simulation), not the hot path. */
  entries(): Map<string, number> {
    return new Map(this.leases);
  }

  /** The lease of run `runId`, or undefined. */
  get(runId: string): number | undefined {
    return this.leases.get(runId);
  }

  /** The earliest lease end, or null. At most the tenant's in-flight cap of entries. */
  earliest(): number | null {
    let earliest: number | null = null;
    for (const at of this.leases.values()) if (earliest === null || at < earliest) earliest = at;
    return earliest;
  }

  /** Runs whose lease ended by `now`, earliest first, at most `limit`. */
  expired(now: number, limit: number): string[] {
    return [...this.leases]
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([id]) => id);
  }
}
