import { describe, expect, it } from "vitest";
import { CATCHUP_GRACE_MS } from "../src/durable/lifecycle/occurrences";
import { callJson, createJob, createTenant, deliveriesAt } from "./support/api";
import { has, runsOf, soon, waitForRuns } from "./support/runs";
import { fireAlarm, insideScheduler, sqlIn } from "./support/tenant-object";

describe("catch-up window", () => {
  it("0 s still runs an on-time one-time job: only lateness beyond the grace is a miss", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { at: soon(1) }, catchup_window_seconds: 0 });
    const [run] = await waitForRuns(tenant, job.id, has("succeeded"), "the on-time run");
    expect(run?.status).toBe("succeeded");
    expect(await deliveriesAt(job.target.url)).toHaveLength(1);
  });

  it("0 s runs every occurrence of a per-second cron that fires on time", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {
      schedule: { cron: "* * * * * *" },
      catchup_window_seconds: 0,
    });
    await waitForRuns(
      tenant,
      job.id,
      (runs) => runs.filter((r) => r.status === "succeeded").length >= 3,
      "three runs",
    );
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
    expect((await runsOf(tenant, job.id)).filter((r) => r.status === "missed")).toEqual([]);
  });

  it("records an occurrence later than the window plus the grace as missed", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {
      schedule: { at: soon(3600) },
      catchup_window_seconds: 10,
    });
    // The object "was down": the occurrence is now 10 s + grace + 5 s late.
    const late = Date.now() - 10_000 - CATCHUP_GRACE_MS - 5_000;
    await sqlIn(tenant.id, "update jobs set next_run_at = ? where id = ?", late, job.id);
    await fireAlarm(tenant.id);
    const runs = await runsOf(tenant, job.id);
    expect(runs.map((r) => r.status)).toEqual(["missed"]);
    expect(await deliveriesAt(job.target.url)).toHaveLength(0);
  });
});

describe("a cron occurrence in a repeated fall-back hour", () => {
  it("runs once when the job was given the hour's second instance", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {
      schedule: { cron: "30 2 * * *", timezone: "Europe/Berlin" },
    });
    // 2026-10-25 in Berlin: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET). A job
    // created at 01:00Z, after the first instance, is due at the second.
    const second = Date.UTC(2026, 9, 25, 1, 30);
    await insideScheduler(tenant.id, (s) =>
      s.transaction(() => {
        const row = { ...s.jobs.require(job.id), nextRunAt: second };
        s.jobs.save(row);
        s.lifecycle.occurrences.materialize(row, second + 10);
      }),
    );
    const runs = await runsOf(tenant, job.id);
    expect(runs.map((r) => r.scheduled_for)).toEqual([new Date(second).toISOString()]);
    const after = await callJson<any>(`/v1/jobs/${job.id}`, { token: tenant.token }, 200);
    expect(after.next_run_at).toBe("2026-10-26T01:30:00.000Z");
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
  });
});

describe("the occurrence key", () => {
  it("keeps an occurrence materialized twice (say, after a crash before the job advanced) one run", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { at: soon(3600) } });
    const at = Date.now() - 1_000;
    const created = await insideScheduler(tenant.id, (s) =>
      s.transaction(() => {
        const row = s.jobs.require(job.id);
        return [0, 1].map(
          () =>
            s.runs.create(
              row,
              { scheduledFor: at, trigger: "schedule", status: "pending", dispatchAt: at },
              at,
            )?.id ?? null,
        );
      }),
    );
    expect(created[0]).toMatch(/^run_/);
    expect(created[1]).toBeNull();
    expect((await runsOf(tenant, job.id)).map((r) => r.id)).toEqual([created[0]]);
  });
});
