/** Opens the tenant object's SQLite through drizzle, applies migrations, and meters rows read/written. */
import { type DrizzleSqliteDODatabase, drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import migrations from "../../../migrations/migrations.js";
import * as schema from "./schema";

export type Database = DrizzleSqliteDODatabase<typeof schema>;

/**
 * The object's `transaction`, passed to the modules that open transactions: runs `fn` atomically
 * and drops the counter deltas and lease changes it buffered if it rolls back.
 */
export type Transaction = <T>(fn: () => T) => T;

/** Rows read and written, summed from every SQL cursor the object opened (what a deployment pays for). */
export class RowMeter {
  rowsRead = 0;
  rowsWritten = 0;
  private open: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  private reported = { read: 0, written: 0 };

  track<T extends Record<string, SqlStorageValue>>(
    cursor: SqlStorageCursor<T>,
  ): SqlStorageCursor<T> {
    this.open.push(cursor as unknown as SqlStorageCursor<Record<string, SqlStorageValue>>);
    return cursor;
  }

  /** Adds the counters of cursors opened since the last flush; call once their rows were consumed. */
  flush(): void {
    for (const cursor of this.open) {
      this.rowsRead += cursor.rowsRead;
      this.rowsWritten += cursor.rowsWritten;
    }
    this.open = [];
  }

  /** Rows read and written since the previous call: what the request or alarm now ending cost. */
  unreported(): { read: number; written: number } {
    const rows = {
      read: this.rowsRead - this.reported.read,
      written: this.rowsWritten - this.reported.written,
    };
    this.reported = { read: this.rowsRead, written: this.rowsWritten };
    return rows;
  }
}

/** A drizzle database over `storage` whose every statement is counted by `meter`. */
export function openDatabase(storage: DurableObjectStorage, meter: RowMeter): Database {
  const sql = storage.sql;
  const metered = {
    sql: {
      exec: (query: string, ...bindings: unknown[]) => meter.track(sql.exec(query, ...bindings)),
    },
    transactionSync: <T>(fn: () => T): T => storage.transactionSync(fn),
  } as unknown as DurableObjectStorage;
  return drizzle(metered, { schema });
}

/** Whether this object was ever initialised (a tenant was created in it). Reading creates nothing. */
export function hasSchema(storage: DurableObjectStorage): boolean {
  const row = storage.sql
    .exec("select count(*) as n from sqlite_master where type = 'table' and name = 'tenant'")
    .one();
  return Number(row.n) > 0;
}

export async function applyMigrations(db: Database): Promise<void> {
  await migrate(db, migrations);
}
