import { describe, expect, it } from "vitest";
import { ActiveRuns } from "../src/durable/runs/active-runs";
import {
  callJson,
  createJob,
  createTenant,
  sinkUrl,
  type TestTenant,
  uniqueId,
} from "./support/api";
import { has, waitForRuns } from "./support/runs";
import { insideScheduler } from "./support/tenant-object";

describe("the in-memory runs in progress per job", () => {
  it("undoes the changes of a transaction that rolled back, nested ones included", () => {
    const active = new ActiveRuns();
    active.load([{ id: "r1", jobId: "j" }]);
    const outer = active.journal.begin();
    active.add("j", "r2");
    const inner = active.journal.begin();
    active.remove("j", "r1");
    active.add("k", "r3");
    active.journal.end(inner, false);
    expect(active.of("j")).toEqual(["r1", "r2"]);
    expect(active.of("k")).toEqual([]);
    active.journal.end(outer, false);
    expect(active.of("j")).toEqual(["r1"]);
    const kept = active.journal.begin();
    active.remove("j", "r1");
    active.journal.end(kept, true);
    expect(active.of("j")).toEqual([]);
  });

  it("always equals the stored runs in progress, and what a restarted object would load", async () => {
    const tenant = await createTenant({ tier: "premium" });
    const slow = { type: "http", url: sinkUrl(`/${uniqueId("slow")}`, { delay_ms: 1500 }) };
    const failing = { type: "http", url: sinkUrl(`/${uniqueId("fail")}`, { status: 500 }) };
    const jobs = [
      await createJob(tenant, {
        schedule: { cron: "* * * * * *" },
        overlap: "allow",
        target: slow,
      }),
      await createJob(tenant, {
        schedule: { cron: "* * * * * *" },
        overlap: "buffer_one",
        target: slow,
      }),
      await createJob(tenant, {
        schedule: { cron: "* * * * * *" },
        overlap: "cancel_other",
        target: slow,
      }),
      await createJob(tenant, {
        target: failing,
        retry: { max_attempts: 2, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.1 },
      }),
    ];
    const check = async (label: string) => {
      for (const job of jobs) await expectActiveMatchesRows(tenant, job.id, label);
    };
    await check("at the start");
    await waitForRuns(tenant, jobs[0]!.id, (r) => r.length >= 3, "runs of the allow job");
    await check("while runs overlap");
    await waitForRuns(tenant, jobs[3]!.id, has("dead"), "the failing run to die");
    await check("after a dead run");
    await callJson(`/v1/jobs/${jobs[1]!.id}/pause`, { token: tenant.token, method: "POST" }, 200);
    await callJson(`/v1/jobs/${jobs[2]!.id}`, { token: tenant.token, method: "DELETE" }, 200);
    await check("after pause and cancel");
    await callJson(`/v1/runs?job_id=${jobs[0]!.id}&status=running`, { token: tenant.token }, 200);
    for (const job of jobs.slice(0, 2))
      await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
    await check("after the jobs were cancelled");
  });
});

/** The object's in-memory set for `jobId`, the stored rows, and a fresh load of them agree. */
async function expectActiveMatchesRows(tenant: TestTenant, jobId: string, label: string) {
  // One synchronous look inside the object: nothing can move between the three readings.
  const [inMemory, loaded, stored] = await insideScheduler(tenant.id, (s, state) => {
    const fresh = new ActiveRuns();
    fresh.load(s.runs.storedActive());
    const rows = state.storage.sql
      .exec(
        "select id from runs where job_id = ? and task_key is null and status in ('pending', 'queued', 'running', 'retrying') order by id",
        jobId,
      )
      .toArray()
      .map((r) => String(r.id));
    return [s.runs.activeOfJob(jobId).map((r) => r.id), fresh.of(jobId), rows];
  });
  expect(inMemory, label).toEqual(stored);
  expect(loaded, label).toEqual(stored);
}
