/**
 * What each flow key and destination host uses now, in memory: runs in flight (queued or running:
 * what `max_running` limits) per key and per destination, and runs waiting per key. Kept in step by
 * the statements that move runs (run-store.ts), loaded from the rows when the object starts, and
 * undone with a rolled-back transaction. Runs without a key count under the key "".
 */
import type { RunStatus } from "../../domain/run-status";
import { UndoJournal } from "../storage/undo-journal";

/** The fields of a run that decide where it counts. */
export interface Counted {
  id: string;
  parentId: string | null;
  flowKey: string | null;
  destination: string | null;
}

type Table = "keyInFlight" | "destinationInFlight" | "keyWaiting";

const IN_FLIGHT: readonly string[] = ["queued", "running"];
const WAITING: readonly string[] = ["pending", "retrying"];

export class FlowUsage {
  private readonly tables: Record<Table, Map<string, number>> = {
    keyInFlight: new Map(),
    destinationInFlight: new Map(),
    keyWaiting: new Map(),
  };
  readonly journal = new UndoJournal<[table: Table, name: string, delta: number]>(
    ([table, name, delta]) => this.add(table, name, -delta),
  );

  /** Replaces the counts with those of the stored runs (object start). */
  load(rows: Iterable<Counted & { status: RunStatus }>): void {
    for (const table of Object.values(this.tables)) table.clear();
    for (const run of rows) this.count(run, run.status, 1, false);
  }

  /** A run moved from `from` to `to` (null: it did not exist, or no longer does). */
  track(run: Counted, from: RunStatus | null, to: RunStatus | null): void {
    if (from === to) return;
    if (from) this.count(run, from, -1, true);
    if (to) this.count(run, to, 1, true);
  }

  /** A run in `status` changed its key or destination. */
  moved(before: Counted, after: Counted, status: RunStatus): void {
    if (before.flowKey === after.flowKey && before.destination === after.destination) return;
    this.count(before, status, -1, true);
    this.count(after, status, 1, true);
  }

  keyInFlight(key: string): number {
    return this.tables.keyInFlight.get(key) ?? 0;
  }

  destinationInFlight(host: string): number {
    return this.tables.destinationInFlight.get(host) ?? 0;
  }

  keyWaiting(key: string): number {
    return this.tables.keyWaiting.get(key) ?? 0;
  }

  /** Keys with runs waiting or in flight, for metrics and checks. */
  keys(): Map<string, { waiting: number; inFlight: number }> {
    const out = new Map<string, { waiting: number; inFlight: number }>();
    for (const [key, n] of this.tables.keyWaiting) out.set(key, { waiting: n, inFlight: 0 });
    for (const [key, n] of this.tables.keyInFlight)
      out.set(key, { waiting: out.get(key)?.waiting ?? 0, inFlight: n });
    return out;
  }

  /** Destinations with runs in flight. */
  destinations(): Map<string, number> {
    return new Map(this.tables.destinationInFlight);
  }

  private count(run: Counted, status: RunStatus, delta: number, journal: boolean): void {
    // A graph occurrence never executes itself: its tasks count.
    if (run.parentId === run.id) return;
    const key = run.flowKey ?? "";
    if (IN_FLIGHT.includes(status)) {
      this.change("keyInFlight", key, delta, journal);
      if (run.destination !== null)
        this.change("destinationInFlight", run.destination, delta, journal);
    } else if (WAITING.includes(status)) this.change("keyWaiting", key, delta, journal);
  }

  private change(table: Table, name: string, delta: number, journal: boolean): void {
    this.add(table, name, delta);
    if (journal) this.journal.record([table, name, delta]);
  }

  private add(table: Table, name: string, delta: number): void {
    const map = this.tables[table];
    const value = (map.get(name) ?? 0) + delta;
    if (value === 0) map.delete(name);
    else map.set(name, value);
  }
}
