/**
 * TenantDirectory: a single Durable Object listing tenants for the admin API. It is an index, not
 * the source of truth: each tenant's own object holds its settings and is what requests consult,
 * so tenant requests never touch the directory. One table, created with plain SQL on start.
 */
import { DurableObject } from "cloudflare:workers";
import type { TenantView } from "../contract/tenant";

type Entry = TenantView;

export class TenantDirectory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `create table if not exists tenants (
        id text primary key,
        entry text not null
      )`,
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
    return true;
  }

  async release(id: string): Promise<void> {
    this.ctx.storage.sql.exec("delete from tenants where id = ?", id);
  }

  async upsert(entry: Entry): Promise<void> {
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
