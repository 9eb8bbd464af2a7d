/** Idempotency keys of job creation: the request each key was first used with, kept for the TTL. */
import { eq, lt, min } from "drizzle-orm";
import { LIMITS } from "../../domain/limits";
import type { Database } from "../storage/database";
import { idempotencyKeys } from "../storage/schema";

type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;

export class IdempotencyKeyStore {
  /** Prepared once: every request's alarm re-arm asks for it (nextWake). */
  private readonly oldest;

  constructor(private readonly db: Database) {
    this.oldest = this.db
      .select({ at: min(idempotencyKeys.createdAt) })
      .from(idempotencyKeys)
      .prepare();
  }

  find(key: string): IdempotencyKeyRow | undefined {
    return this.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key)).get();
  }

  insert(row: IdempotencyKeyRow): void {
    this.db.insert(idempotencyKeys).values(row).run();
  }

  /** Forgets keys older than the TTL. */
  prune(now: number): void {
    const cutoff = now - LIMITS.idempotencyTtlSeconds * 1000;
    this.db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, cutoff)).run();
  }

  /** When the oldest key passes the TTL (the alarm wakes to prune it), or null with no keys. */
  nextExpiry(): number | null {
    const oldest = this.oldest.get()?.at ?? null;
    return oldest === null ? null : oldest + LIMITS.idempotencyTtlSeconds * 1000;
  }
}
