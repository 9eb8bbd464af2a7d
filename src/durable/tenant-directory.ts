/**
 * TenantDirectory: a single Durable Object listing tenants for the admin API. It is an index, not
 * the source of truth: each tenant's own object holds its settings and is what requests consult,
 * so tenant requests never touch the directory. Tables are created with plain SQL on start: the
 * entries, and tenant counts by tier and suspension kept with every write, so the admin metrics
 * scrape reads a handful of rows whatever the number of tenants.
 */
import { DurableObject } from "cloudflare:workers";
import type { TenantView } from "../contract/tenant";

type Entry = TenantView;

/** Tenants with one tier and suspension state (admin metrics). */
export interface TenantCount {
  tier: string;
  suspended: boolean;
  count: number;
}

export class TenantDirectory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `create table if not exists tenants (
        id text primary key,
        entry text not null
      )`,
    );
    ctx.storage.sql.exec(
      `create table if not exists tenant_counts (
        tier text not null,
        suspended integer not null,
        n integer not null,
        primary key (tier, suspended)
      )`,
    );
    // Directories that predate the counts table fill it once from the entries.
    const counted = ctx.storage.sql.exec("select 1 from tenant_counts limit 1").toArray().length;
    if (!counted) {
      ctx.storage.sql.exec(
        `insert into tenant_counts (tier, suspended, n)
         select json_extract(entry, '$.tier'), coalesce(json_extract(entry, '$.suspended'), 0), count(*)
         from tenants group by 1, 2`,
      );
    }
  }

  /** Readiness probe: proves the object answers and its SQLite storage can be read. */
  async ping(): Promise<{ ok: true }> {
    this.ctx.storage.sql.exec("select 1").toArray();
    return { ok: true };
  }

  /** Tenant counts by tier and suspension, from the maintained counts (a few rows). */
  async stats(): Promise<TenantCount[]> {
    return this.ctx.storage.sql
      .exec<{ tier: string; suspended: number; n: number }>(
        "select tier, suspended, n from tenant_counts order by tier, suspended",
      )
      .toArray()
      .map((r) => ({ tier: r.tier, suspended: r.suspended === 1, count: r.n }));
  }

  private entry(id: string): Entry | undefined {
    const row = this.ctx.storage.sql
      .exec<{ entry: string }>("select entry from tenants where id = ?", id)
      .toArray()[0];
    return row ? (JSON.parse(row.entry) as Entry) : undefined;
  }

  /** Moves the count of `entry`'s tier and suspension by `delta`. */
  private count(entry: Entry, delta: number): void {
    this.ctx.storage.sql.exec(
      `insert into tenant_counts (tier, suspended, n) values (?, ?, ?)
       on conflict(tier, suspended) do update set n = n + excluded.n`,
      entry.tier,
      entry.suspended ? 1 : 0,
      delta,
    );
  }

  /** Reserves an id; false when it is taken. */
  async reserve(entry: Entry): Promise<boolean> {
    const taken =
      this.ctx.storage.sql.exec("select 1 from tenants where id = ?", entry.id).toArray().length >
      0;
    if (taken) return false;
    this.ctx.storage.sql.exec(
      "insert into tenants (id, entry) values (?, ?)",
      entry.id,
      JSON.stringify(entry),
    );
    this.count(entry, 1);
    return true;
  }

  async release(id: string): Promise<void> {
    const previous = this.entry(id);
    if (!previous) return;
    this.ctx.storage.sql.exec("delete from tenants where id = ?", id);
    this.count(previous, -1);
  }

  async upsert(entry: Entry): Promise<void> {
    // Synchronous statements with no await between them commit together.
    const previous = this.entry(entry.id);
    if (previous) this.count(previous, -1);
    this.count(entry, 1);
    this.ctx.storage.sql.exec(
      "insert into tenants (id, entry) values (?, ?) on conflict(id) do update set entry = excluded.entry",
      entry.id,
      JSON.stringify(entry),
    );
  }

  /** Tenants in id order, after `cursor`. */
  async list(
    limit: number,
    cursor: string | null,
  ): Promise<{ data: Entry[]; next_cursor: string | null }> {
    const rows = this.ctx.storage.sql
      .exec<{ id: string; entry: string }>(
        "select id, entry from tenants where id > ? order by id limit ?",
        cursor ?? "",
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return {
      data: page.map((r) => JSON.parse(r.entry) as Entry),
      next_cursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  }
}
