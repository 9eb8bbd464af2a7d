/**
 * The limits a tenant set on flow keys and destination hosts (`flow_limits`), cached in memory
 * (every request that admits a run of a key reads them), and the tenant's default for keys without
 * limits of their own. Runs without a key (the key "") are limited by nothing here.
 */
import { and, asc, count, eq, gt } from "drizzle-orm";
import type { Database } from "../storage/database";
import { type FlowLimitRow, type FlowLimits, flowLimits } from "../storage/schema";
import { UndoJournal } from "../storage/undo-journal";

export type FlowKind = "key" | "destination";

/** Limits rows a tenant may keep (keys and destinations together). */
export const MAX_FLOW_LIMITS = 10_000;

export class FlowLimitStore {
  private cache: Map<string, FlowLimits> | undefined;
  readonly journal = new UndoJournal<[id: string, before: FlowLimits | undefined]>(
    ([id, before]) => {
      if (before === undefined) this.cache?.delete(id);
      else this.cache?.set(id, before);
    },
  );

  constructor(
    private readonly db: Database,
    /** The tenant's default for keys without limits of their own, read when needed. */
    private readonly defaults: () => FlowLimits | null,
  ) {}

  /** The limits set on `name` itself, or undefined. */
  own(kind: FlowKind, name: string): FlowLimits | undefined {
    return this.all().get(`${kind}:${name}`);
  }

  /** What limits `name` now: its own, else (for a named key) the tenant's default. */
  effective(kind: FlowKind, name: string): FlowLimits | undefined {
    if (kind === "key" && name === "") return undefined;
    return this.own(kind, name) ?? (kind === "key" ? (this.defaults() ?? undefined) : undefined);
  }

  /** Whether anything is limited at all (a tenant without limits skips every check). */
  any(): boolean {
    return this.all().size > 0 || this.defaults() !== null;
  }

  put(kind: FlowKind, name: string, limits: FlowLimits, now: number): void {
    this.db
      .insert(flowLimits)
      .values({ kind, name, limits, updatedAt: now })
      .onConflictDoUpdate({
        target: [flowLimits.kind, flowLimits.name],
        set: { limits, updatedAt: now },
      })
      .run();
    this.remember(`${kind}:${name}`, limits);
  }

  /** Removes `name`'s limits; returns whether it had any. */
  delete(kind: FlowKind, name: string): boolean {
    if (!this.own(kind, name)) return false;
    this.db
      .delete(flowLimits)
      .where(and(eq(flowLimits.kind, kind), eq(flowLimits.name, name)))
      .run();
    this.remember(`${kind}:${name}`, undefined);
    return true;
  }

  /** How many limits rows the tenant keeps. */
  size(): number {
    return this.db.select({ n: count() }).from(flowLimits).get()?.n ?? 0;
  }

  /** A page of `kind`'s limits by name, after `cursor`. */
  list(kind: FlowKind, limit: number, cursor: string | undefined): FlowLimitRow[] {
    return this.db
      .select()
      .from(flowLimits)
      .where(
        and(
          eq(flowLimits.kind, kind),
          cursor !== undefined ? gt(flowLimits.name, cursor) : undefined,
        ),
      )
      .orderBy(asc(flowLimits.name))
      .limit(limit)
      .all();
  }

  private all(): Map<string, FlowLimits> {
    if (!this.cache) {
      this.cache = new Map();
      for (const row of this.db.select().from(flowLimits).all())
        this.cache.set(`${row.kind}:${row.name}`, row.limits);
    }
    return this.cache;
  }

  private remember(id: string, limits: FlowLimits | undefined): void {
    const cache = this.all();
    this.journal.record([id, cache.get(id)]);
    if (limits === undefined) cache.delete(id);
    else cache.set(id, limits);
  }
}
