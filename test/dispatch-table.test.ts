import { describe, expect, it } from "vitest";
import { DispatchTable } from "../src/durable/runs/dispatch-table";
import { callJson, createJob, createTenant, setTenant, sinkUrl, uniqueId } from "./support/api";
import { waitForRuns } from "./support/runs";
import { insideScheduler } from "./support/tenant-object";

describe("the in-memory table of runs waiting to be sent", () => {
  it("answers the highest priority first, then the earliest dispatch time, without removing", () => {
    const table = new DispatchTable();
    table.load([
      { id: "low-1", rank: 2, at: 100 },
      { id: "medium-2", rank: 1, at: 300 },
      { id: "medium-1", rank: 1, at: 200 },
      { id: "medium-later", rank: 1, at: 5_000 },
    ]);
    expect(table.ready(1_000, 10, 2)).toEqual(["medium-1", "medium-2"]);
    // Reading does not take: the same answer again, and a limit cuts the oldest first.
    expect(table.ready(1_000, 1, 2)).toEqual(["medium-1"]);
    // Strict priority: a lower rank is answered only when `maxRank` stops above the others.
    expect(table.ready(1_000, 10, 0)).toEqual([]);
    expect(table.earliest(2)).toBe(100);
    expect(table.earliest(1)).toBe(200);
    table.set("medium-1", 1, null);
    table.set("medium-2", 1, null);
    expect(table.ready(1_000, 10, 2)).toEqual(["low-1"]);
    // A run moved to a later time is answered at its new time only.
    table.set("low-1", 2, 9_000);
    expect(table.ready(1_000, 10, 2)).toEqual([]);
    expect(table.earliest(2)).toBe(5_000);
    expect(table.entries().map((e) => e.id)).toEqual(["medium-later", "low-1"]);
  });

  it("undoes the changes of a transaction that rolled back, nested ones included", () => {
    const table = new DispatchTable();
    table.load([{ id: "a", rank: 1, at: 10 }]);
    const outer = table.journal.begin();
    table.set("b", 0, 20);
    const inner = table.journal.begin();
    table.set("a", 1, null);
    table.set("c", 2, 5);
    table.journal.end(inner, false);
    expect(table.entries().map((e) => e.id)).toEqual(["b", "a"]);
    table.journal.end(outer, false);
    expect(table.entries()).toEqual([{ id: "a", rank: 1, at: 10 }]);
    expect(table.ready(100, 10, 2)).toEqual(["a"]);
    const kept = table.journal.begin();
    table.set("a", 1, null);
    table.journal.end(kept, true);
    expect(table.ready(100, 10, 2)).toEqual([]);
    expect(table.earliest(2)).toBeNull();
  });

  it("always equals the stored waiting runs during a burst, and what a restarted object would load", async () => {
    const tenant = await createTenant({ tier: "premium" });
    await setTenant(tenant, { max_in_flight: 5 });
    const url = sinkUrl(`/${uniqueId("waiting")}`, { delay_ms: 100 });
    const at = new Date(Date.now() + 1_500).toISOString();
    const jobs = [];
    for (const priority of ["low", "high", "medium"]) {
      const batch = Array.from({ length: 20 }, (_, i) => ({
        name: `${priority}-${i}`,
        priority,
        schedule: { at },
        target: { type: "http", url },
      }));
      const created = await callJson<{ data: { id: string }[] }>(
        "/v1/jobs/batch",
        { token: tenant.token, body: { jobs: batch } },
        201,
      );
      jobs.push(...created.data);
    }
    // A failing job adds retries: runs that wait again with a later dispatch time.
    const failing = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("fail")}`, { status: 500 }) },
      retry: { max_attempts: 3, initial_backoff_seconds: 0.5, max_backoff_seconds: 0.5 },
    });
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const waiting = await expectTableMatchesRows(tenant.id, `reading ${i}`);
      seen.add(waiting);
      const finished = await insideScheduler(tenant.id, (_s, state) =>
        Number(
          state.storage.sql
            .exec("select count(*) as n from runs where finished_at is not null")
            .one().n,
        ),
      );
      if (finished === jobs.length + 1) break;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    // The burst did wait in the table (more runs than the cap of 5), and drained from it.
    expect(Math.max(...seen)).toBeGreaterThan(5);
    await waitForRuns(tenant, failing.id, (r) => r[0]?.status === "dead", "the failing run to die");
    expect(await expectTableMatchesRows(tenant.id, "at the end")).toBe(0);
  });
});

/** The object's table, the stored rows and a fresh load of them agree; returns how many wait. */
async function expectTableMatchesRows(tenantId: string, label: string): Promise<number> {
  const [inMemory, loaded, stored] = await insideScheduler(tenantId, (s, state) => {
    const memory = (s as unknown as { memory: { waiting: DispatchTable } }).memory.waiting;
    const fresh = new DispatchTable();
    fresh.load(s.runs.storedWaiting());
    const rows = state.storage.sql
      .exec(
        "select id, priority_rank as rank, dispatch_at as at from runs where dispatch_at is not null and pool is null order by priority_rank, dispatch_at, id",
      )
      .toArray()
      .map((r) => ({ id: String(r.id), rank: Number(r.rank), at: Number(r.at) }));
    return [memory.entries(), fresh.entries(), rows];
  });
  expect(inMemory, label).toEqual(stored);
  expect(loaded, label).toEqual(stored);
  return stored.length;
}
