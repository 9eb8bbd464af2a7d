import { describe, expect, it } from "vitest";
import { readStoredRunMemory } from "../src/durable/runs/run-memory";
import { type WaitingEntry, WaitingRuns } from "../src/durable/runs/waiting-runs";
import { callJson, createJob, createTenant, setTenant, sinkUrl, uniqueId } from "./support/api";
import { waitForRuns } from "./support/runs";
import { insideScheduler } from "./support/tenant-object";

const entry = (fields: Partial<WaitingEntry> & { at: number }): WaitingEntry => ({
  lane: "",
  rank: 1,
  key: "",
  destination: null,
  ...fields,
});

/** Takes everything offered, up to `limit`, and returns the order. */
function takeAll(table: WaitingRuns, lanes: string[], now: number, limit: number, maxRank = 2) {
  const taken: string[] = [];
  table.pick(lanes, now, limit, maxRank, (id) => {
    taken.push(id);
    table.set(id, null);
    return "taken";
  });
  return taken;
}

describe("the in-memory table of runs waiting to start", () => {
  it("offers the highest priority first, then keys in turn, then the oldest of each key", () => {
    const table = new WaitingRuns();
    table.load([
      { id: "low", ...entry({ rank: 2, at: 1 }) },
      { id: "hot-1", ...entry({ key: "hot", at: 10 }) },
      { id: "hot-2", ...entry({ key: "hot", at: 11 }) },
      { id: "hot-3", ...entry({ key: "hot", at: 12 }) },
      { id: "cold-1", ...entry({ key: "cold", at: 50 }) },
      { id: "none-1", ...entry({ at: 40 }) },
      { id: "later", ...entry({ key: "cold", at: 5_000 }) },
    ]);
    const order = takeAll(table, [""], 1_000, 10);
    // One of each key in turn: the key with one waiting run is not behind the key with three.
    expect(order.slice(0, 3).sort()).toEqual(["cold-1", "hot-1", "none-1"]);
    expect(order.slice(3)).toEqual(["hot-2", "hot-3", "low"]);
    expect(table.earliest([""], 2)).toBe(5_000);
  });

  it("skips a key whose run is blocked, and stops at a priority that had runs taken when asked", () => {
    const table = new WaitingRuns();
    table.load([
      { id: "a-1", ...entry({ key: "a", at: 1 }) },
      { id: "a-2", ...entry({ key: "a", at: 2 }) },
      { id: "b-1", ...entry({ key: "b", at: 3 }) },
      { id: "low", ...entry({ rank: 2, at: 1 }) },
    ]);
    const offered: string[] = [];
    const result = table.pick(
      [""],
      100,
      10,
      2,
      (id, e) => {
        offered.push(id);
        if (e.key === "a") return "blocked";
        table.set(id, null);
        return "taken";
      },
      true,
    );
    expect(result).toEqual({ taken: 1, blocked: true });
    expect(offered.sort()).toEqual(["a-1", "b-1"]);
  });

  it("takes across pools for a worker's claim: keys in turn, the oldest of a key across its pools first", () => {
    const table = new WaitingRuns();
    table.load([
      { id: "p-1", ...entry({ lane: "p", at: 1 }) },
      { id: "p-2", ...entry({ lane: "p", at: 2 }) },
      { id: "q-1", ...entry({ lane: "q", at: 3 }) },
      { id: "queues", ...entry({ at: 0 }) },
    ]);
    expect(takeAll(table, ["p", "q"], 10, 10)).toEqual(["p-1", "p-2", "q-1"]);
    expect(table.countsByLane()).toEqual(new Map([["", 1]]));
  });

  it("undoes the changes of a transaction that rolled back, nested ones included", () => {
    const table = new WaitingRuns();
    table.load([{ id: "a", ...entry({ at: 10 }) }]);
    const outer = table.journal.begin();
    table.set("b", entry({ rank: 0, at: 20 }));
    const inner = table.journal.begin();
    table.set("a", null);
    table.set("c", entry({ rank: 2, at: 5 }));
    table.journal.end(inner, false);
    expect(
      table
        .entries()
        .map((e) => e.id)
        .sort(),
    ).toEqual(["a", "b"]);
    table.journal.end(outer, false);
    expect(table.entries()).toEqual([{ id: "a", ...entry({ at: 10 }) }]);
    expect(takeAll(table, [""], 100, 10)).toEqual(["a"]);
    expect(table.earliest([""], 2)).toBeNull();
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
        flow_key: `k${i % 3}`,
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
    const inside = s as unknown as { memory: { waiting: WaitingRuns }; db: never };
    const sorted = (rows: ({ id: string } & WaitingEntry)[]) =>
      rows.map((r) => `${r.id} ${r.lane}/${r.rank}/${r.key}@${r.at}`).sort();
    const rows = state.storage.sql
      .exec(
        "select id, coalesce(pool, '') as lane, priority_rank as rank, coalesce(flow_key, '') as key, destination, dispatch_at as at from runs where dispatch_at is not null",
      )
      .toArray()
      .map((r) => ({
        id: String(r.id),
        lane: String(r.lane),
        rank: Number(r.rank),
        key: String(r.key),
        destination: r.destination === null ? null : String(r.destination),
        at: Number(r.at),
      }));
    return [
      sorted(inside.memory.waiting.entries()),
      sorted(readStoredRunMemory(inside.db, Date.now(), 0).waiting),
      sorted(rows),
    ];
  });
  expect(inMemory, label).toEqual(stored);
  expect(loaded, label).toEqual(stored);
  return stored.length;
}
