/**
 * The object's in-memory tables of runs (leases, runs in progress per job, runs waiting to be
 * sent), which stand in for indexes. They are loaded from the rows when the object starts and
 * follow the transactions that change those rows: `begin` and `end` bracket one, and a rollback
 * undoes what it did to every table.
 */
import { ActiveRuns } from "./active-runs";
import { DispatchTable } from "./dispatch-table";
import { LeaseTable } from "./lease-table";

export type RunMemoryMark = readonly [leases: number, active: number, waiting: number];

export class RunMemory {
  readonly leases = new LeaseTable();
  readonly active = new ActiveRuns();
  readonly waiting = new DispatchTable();

  begin(): RunMemoryMark {
    return [this.leases.journal.begin(), this.active.journal.begin(), this.waiting.journal.begin()];
  }

  end(mark: RunMemoryMark, committed: boolean): void {
    this.leases.journal.end(mark[0], committed);
    this.active.journal.end(mark[1], committed);
    this.waiting.journal.end(mark[2], committed);
  }
}
