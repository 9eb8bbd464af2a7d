/**
 * The migrations that rebuild tables (0011: `runs` and `counters` WITHOUT ROWID) keep every stored
 * value. Applied here to a plain SQLite database, statement by statement, as the object applies them.
 */
import { readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import journal from "../migrations/meta/_journal.json";

function apply(db: DatabaseSync, tags: string[]): void {
  for (const tag of tags) {
    const text = readFileSync(new URL(`../migrations/${tag}.sql`, import.meta.url), "utf8");
    for (const statement of text.split("--> statement-breakpoint")) {
      if (statement.trim()) db.exec(statement);
    }
  }
}

const tags = journal.entries.map((e) => e.tag);
const rebuild = tags.indexOf("0011_runs_without_rowid");

describe("table rebuilds keep the stored rows", () => {
  it("a run and a counter stored before 0011 read back the same after it, and the indexes exist", () => {
    const db = new DatabaseSync(":memory:");
    apply(db, tags.slice(0, rebuild));
    const run = {
      id: "run_0000000001aaaaaaaaaaaaaaaa",
      job_id: "job_x",
      key: "job_x@2026-01-01T00:00:00.000Z",
      trigger: "schedule",
      status: "retrying",
      priority: "high",
      priority_rank: 0,
      scheduled_for: 1,
      attempt: 2,
      max_attempts: 3,
      due_at: 4,
      dispatch_at: 5,
      lease_expires_at: 6,
      worker_id: "w",
      started_at: 7,
      finished_at: 8,
      last_error: "boom",
      created_at: 9,
      attempt_record: '{"attempt":2}',
      pool: "p",
      checkpoint: '{"step":1}',
      progress: '{"pct":50}',
      parent_id: "run_parent",
      task_key: "t",
    };
    const columns = Object.keys(run);
    db.prepare(
      `insert into runs (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})`,
    ).run(...Object.values(run));
    db.prepare("insert into counters (name, labels, value) values (?, ?, ?)").run("c", "l", 42);

    apply(db, tags.slice(rebuild));

    expect({ ...db.prepare("select * from runs").get() }).toEqual({
      ...run,
      named_by_job: 0,
      lease_ms: null,
      flow_key: null,
      destination: null,
    });
    expect({ ...db.prepare("select * from counters").get() }).toEqual({
      name: "c",
      labels: "l",
      value: 42,
    });
    const ddl = String(
      db.prepare("select sql from sqlite_master where type = 'table' and name = 'runs'").get()?.sql,
    );
    expect(ddl).toMatch(/WITHOUT ROWID/);
    const indexes = db
      .prepare(
        "select name from sqlite_master where type = 'index' and tbl_name = 'runs' order by name",
      )
      .all()
      .map((r) => r.name);
    expect(indexes).toEqual([
      "runs_by_job",
      "runs_by_status",
      "runs_by_worker",
      "runs_of_graph",
      "runs_running_by_worker",
    ]);
  });
});
