/**
 * A Durable Object's storage for the simulation: SQLite through `node:sqlite` behind the same
 * surface the object uses in workerd (`sql.exec` cursors, `transactionSync` with nested
 * savepoints, one alarm), plus the faults the simulation injects: a write that throws inside a
 * transaction. The database outlives the object instances that use it, as storage outlives a
 * restarted object.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";

type Row = Record<string, SqlStorageValue>;

/** The part of workerd's `SqlStorageCursor` the object and drizzle use. */
export class SimCursor<T extends Row = Row> implements Iterable<T> {
  private index = 0;

  constructor(
    private readonly rows: SqlStorageValue[][],
    readonly columnNames: string[],
    readonly rowsRead: number,
    readonly rowsWritten: number,
  ) {}

  next(): IteratorResult<T> {
    const row = this.rows[this.index++];
    return row ? { done: false, value: this.toObject(row) } : { done: true, value: undefined };
  }

  toArray(): T[] {
    const rest = this.rows.slice(this.index).map((r) => this.toObject(r));
    this.index = this.rows.length;
    return rest;
  }

  one(): T {
    if (this.rows.length !== 1) throw new Error(`expected one row, got ${this.rows.length}`);
    return this.toObject(this.rows[0] as SqlStorageValue[]);
  }

  raw(): IterableIterator<SqlStorageValue[]> & { toArray(): SqlStorageValue[][] } {
    const rest = this.rows.slice(this.index);
    this.index = this.rows.length;
    const iterator = rest[Symbol.iterator]();
    return Object.assign(iterator, { toArray: () => rest });
  }

  [Symbol.iterator](): Iterator<T> {
    return this;
  }

  private toObject(row: SqlStorageValue[]): T {
    const out: Row = {};
    this.columnNames.forEach((name, i) => {
      out[name] = row[i] ?? null;
    });
    return out as T;
  }
}

/** Thrown by a write the simulation made fail. */
export class SimulatedStorageFailure extends Error {
  constructor() {
    super("simulated storage failure");
  }
}

const WRITE = /^\s*(insert|update|delete|replace)\b/i;

export class SimStorage {
  readonly db = new DatabaseSync(":memory:");
  alarmAt: number | null = null;
  private readonly statements = new Map<string, StatementSync>();
  private depth = 0;
  /** Write statements committed so far, and those inside the transaction under way. */
  committedWrites = 0;
  private pendingWrites = 0;
  /** Writes left before the armed failure, counted inside transactions only; null: none armed. */
  private writesBeforeFailure: number | null = null;

  readonly sql = {
    exec: <T extends Row>(query: string, ...bindings: unknown[]): SimCursor<T> =>
      this.exec<T>(query, bindings),
    get databaseSize(): number {
      return 0;
    },
  };

  /** The `n`-th write inside a transaction from now on throws (n >= 1). */
  failWriteAfter(n: number): void {
    this.writesBeforeFailure = n;
  }

  disarm(): void {
    this.writesBeforeFailure = null;
  }

  get armed(): boolean {
    return this.writesBeforeFailure !== null;
  }

  transactionSync<T>(fn: () => T): T {
    const savepoint = `sim_${this.depth}`;
    const writesBefore = this.pendingWrites;
    this.db.exec(this.depth === 0 ? "begin" : `savepoint ${savepoint}`);
    this.depth++;
    try {
      const value = fn();
      this.depth--;
      this.db.exec(this.depth === 0 ? "commit" : `release ${savepoint}`);
      if (this.depth === 0) this.settleWrites(true);
      return value;
    } catch (error) {
      this.depth--;
      if (this.depth === 0) {
        this.db.exec("rollback");
        this.settleWrites(false);
      } else {
        this.db.exec(`rollback to ${savepoint}; release ${savepoint}`);
        this.pendingWrites = writesBefore;
      }
      throw error;
    }
  }

  private settleWrites(committed: boolean): void {
    if (committed) this.committedWrites += this.pendingWrites;
    this.pendingWrites = 0;
  }

  private countWrite(changed: number): void {
    if (changed === 0) return;
    if (this.depth > 0) this.pendingWrites += changed;
    else this.committedWrites += changed;
  }

  async getAlarm(): Promise<number | null> {
    return this.alarmAt;
  }

  async setAlarm(at: number | Date): Promise<void> {
    this.alarmAt = typeof at === "number" ? at : at.getTime();
  }

  async deleteAlarm(): Promise<void> {
    this.alarmAt = null;
  }

  private exec<T extends Row>(query: string, bindings: unknown[]): SimCursor<T> {
    if (bindings.length === 0 && statementCount(query) > 1) {
      this.db.exec(query);
      return new SimCursor<T>([], [], 0, 0);
    }
    if (this.depth > 0 && this.writesBeforeFailure !== null && WRITE.test(query)) {
      this.writesBeforeFailure--;
      if (this.writesBeforeFailure <= 0) {
        this.writesBeforeFailure = null;
        throw new SimulatedStorageFailure();
      }
    }
    let statement = this.statements.get(query);
    if (!statement) {
      statement = this.db.prepare(query);
      this.statements.set(query, statement);
    }
    const values = bindings.map(toSqlite);
    const columns = statement.columns().map((c) => c.name);
    if (columns.length === 0) {
      const result = statement.run(...values);
      if (WRITE.test(query)) this.countWrite(Number(result.changes));
      return new SimCursor<T>([], [], 0, Number(result.changes));
    }
    statement.setReturnArrays(true);
    const rows = statement.all(...values) as unknown as SqlStorageValue[][];
    const written = WRITE.test(query) ? rows.length : 0;
    this.countWrite(written);
    return new SimCursor<T>(rows, columns, rows.length, written);
  }
}

function toSqlite(value: unknown): null | number | bigint | string | Uint8Array {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return value as number | bigint | string | Uint8Array;
}

/** Statements in `query` (semicolons outside quotes, ignoring a trailing one). */
function statementCount(query: string): number {
  let count = 1;
  let quote: string | null = null;
  const text = query.trim().replace(/;+$/, "");
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ";") count++;
  }
  return count;
}
