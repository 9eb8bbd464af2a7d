/**
 * Leases of sent runs (queued or running), in memory. The lease is stored on the run row, written
 * by the statements that move the run anyway; keeping the "which lease ends first" lookup here
 * instead of in an index saves two index writes per run. The table is loaded from the rows when
 * the object starts (one scan), and changes made inside a transaction are undone if it rolls back.
 */
export class LeaseTable {
  private readonly leases = new Map<string, number>();
  private journal: [runId: string, before: number | undefined][] = [];
  private depth = 0;

  /** Replaces the table with stored leases (object start). */
  load(rows: Iterable<{ id: string; lease_expires_at: number }>): void {
    this.leases.clear();
    for (const row of rows) this.leases.set(row.id, row.lease_expires_at);
  }

  set(runId: string, expiresAt: number | null): void {
    if (this.depth > 0) this.journal.push([runId, this.leases.get(runId)]);
    if (expiresAt === null) this.leases.delete(runId);
    else this.leases.set(runId, expiresAt);
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

  /** Starts a (possibly nested) transaction; pass the mark to `end`. */
  begin(): number {
    this.depth++;
    return this.journal.length;
  }

  /** Ends a transaction begun at `mark`: undoes its changes unless it committed. */
  end(mark: number, committed: boolean): void {
    this.depth--;
    if (!committed) {
      for (const [runId, before] of this.journal.splice(mark).reverse()) {
        if (before === undefined) this.leases.delete(runId);
        else this.leases.set(runId, before);
      }
    }
    if (this.depth === 0) this.journal = [];
  }
}
