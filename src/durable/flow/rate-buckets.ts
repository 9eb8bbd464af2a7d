/**
 * Token buckets of rate limits, per flow key or destination: a bucket holds up to `burst` tokens
 * and gains `limit` per `period_seconds`; starting a run takes one. Buckets that are not full are
 * stored (`flow_buckets`), written in the transaction that took their tokens, so a limit holds
 * across restarts; a full bucket needs no row.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../storage/database";
import { type FlowLimits, flowBuckets } from "../storage/schema";
import { UndoJournal } from "../storage/undo-journal";
import type { FlowKind } from "./flow-limits";

type Rate = NonNullable<FlowLimits["rate"]>;

interface Bucket {
  tokens: number;
  at: number;
}

export class RateBuckets {
  private readonly buckets = new Map<string, Bucket | null>();
  private readonly dirty = new Set<string>();
  readonly journal = new UndoJournal<[id: string, before: Bucket | null | undefined]>(
    ([id, before]) => {
      if (before === undefined) this.buckets.delete(id);
      else this.buckets.set(id, before);
    },
  );

  constructor(private readonly db: Database) {}

  /** Tokens available now (whole or not), after refilling since the bucket was last used. */
  tokens(kind: FlowKind, name: string, rate: Rate, now: number): number {
    const bucket = this.bucket(kind, name);
    const burst = burstOf(rate);
    if (!bucket) return burst;
    const gained = ((now - bucket.at) / (rate.period_seconds * 1000)) * rate.limit;
    return Math.min(burst, bucket.tokens + Math.max(0, gained));
  }

  /** Takes one token (the caller checked there is one). */
  take(kind: FlowKind, name: string, rate: Rate, now: number): void {
    const id = `${kind}:${name}`;
    const tokens = this.tokens(kind, name, rate, now) - 1;
    this.journal.record([id, this.buckets.get(id)]);
    this.buckets.set(id, { tokens, at: now });
    this.dirty.add(id);
  }

  /** When the bucket will hold a whole token, or now. */
  nextTokenAt(kind: FlowKind, name: string, rate: Rate, now: number): number {
    const missing = 1 - this.tokens(kind, name, rate, now);
    if (missing <= 0) return now;
    return now + Math.ceil((missing / rate.limit) * rate.period_seconds * 1000);
  }

  /** Writes the buckets changed since the last write (inside the caller's transaction). */
  persist(): void {
    for (const id of this.dirty) {
      const bucket = this.buckets.get(id);
      const [kind, name] = splitId(id);
      if (!bucket) continue;
      this.db
        .insert(flowBuckets)
        .values({ kind, name, tokens: bucket.tokens, at: bucket.at })
        .onConflictDoUpdate({
          target: [flowBuckets.kind, flowBuckets.name],
          set: { tokens: sql`excluded.tokens`, at: sql`excluded.at` },
        })
        .run();
    }
    this.dirty.clear();
  }

  private bucket(kind: FlowKind, name: string): Bucket | null {
    const id = `${kind}:${name}`;
    let bucket = this.buckets.get(id);
    if (bucket === undefined) {
      const row = this.db
        .select({ tokens: flowBuckets.tokens, at: flowBuckets.at })
        .from(flowBuckets)
        .where(and(eq(flowBuckets.kind, kind), eq(flowBuckets.name, name)))
        .get();
      bucket = row ?? null;
      this.buckets.set(id, bucket);
    }
    return bucket;
  }
}

export function burstOf(rate: Rate): number {
  return rate.burst ?? rate.limit;
}

function splitId(id: string): [FlowKind, string] {
  const colon = id.indexOf(":");
  return [id.slice(0, colon) as FlowKind, id.slice(colon + 1)];
}
