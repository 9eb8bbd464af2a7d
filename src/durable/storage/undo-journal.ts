/**
 * What an in-memory table changed inside a (possibly nested) transaction, so that a rollback can
 * undo it. `begin` returns a mark for `end`; `record` is a no-op outside a transaction. `undo` must
 * change the table directly, not through the methods that record.
 */
export class UndoJournal<Change> {
  private changes: Change[] = [];
  private depth = 0;

  constructor(private readonly undo: (change: Change) => void) {}

  record(change: Change): void {
    if (this.depth > 0) this.changes.push(change);
  }

  /** Starts a (possibly nested) transaction; pass the mark to `end`. */
  begin(): number {
    this.depth++;
    return this.changes.length;
  }

  /** Ends a transaction begun at `mark`: undoes its changes, newest first, unless it committed. */
  end(mark: number, committed: boolean): void {
    this.depth--;
    if (!committed) for (const change of this.changes.splice(mark).reverse()) this.undo(change);
    if (this.depth === 0) this.changes = [];
  }
}
