import { describe, expect, it } from "vitest";
import { reconcileGauges } from "../src/durable/metrics/gauge-check";
import {
  call,
  callJson,
  createJob,
  createTenant,
  expectProblem,
  jobBody,
  setTenant,
  sinkUrl,
  uniqueId,
  waitFor,
} from "./support/api";
import { insideScheduler, sqlIn } from "./support/tenant-object";

/** The `scheduler_runs` gauge per status, summed over priorities, read from /v1/metrics. */
async function gauge(token: string): Promise<Record<string, number>> {
  const text = await (await call("/v1/metrics", { token })).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^scheduler_runs\{[^}]*status="(\w+)"[^}]*\} (-?\d+)$/gm)) {
    out[match[1] as string] = (out[match[1] as string] ?? 0) + Number(match[2]);
  }
  return out;
}

describe("gauges kept in transactions", () => {
  it("match the stored runs at every step of a burst and never pass the in-flight cap", async () => {
    const tenant = await createTenant();
    await setTenant(tenant, { max_in_flight: 5 });
    const path = `/${uniqueId("gauge")}`;
    const jobs = Array.from({ length: 40 }, (_, i) =>
      jobBody({ name: `g${i}`, target: { type: "http", url: sinkUrl(path, { delay_ms: 50 }) } }),
    );
    await callJson("/v1/jobs/batch", { token: tenant.token, body: { jobs } }, 201);
    await waitFor(
      async () => {
        const g = await gauge(tenant.token);
        expect((g.queued ?? 0) + (g.running ?? 0)).toBeLessThanOrEqual(5);
        for (const value of Object.values(g)) expect(value).toBeGreaterThanOrEqual(0);
        return g.succeeded === 40;
      },
      "all runs to succeed",
      30_000,
    );
    const stored = await sqlIn(tenant.id, "select status, count(*) as n from runs group by status");
    const g = await gauge(tenant.token);
    for (const row of stored) expect(g[row.status as string]).toBe(Number(row.n));
    expect(Object.entries(g).filter(([, v]) => v !== 0)).toEqual([["succeeded", 40]]);
  });
});

/** The `scheduler_jobs` gauge per status, from /v1/metrics. */
async function jobGauge(token: string): Promise<Record<string, number>> {
  const text = await (await call("/v1/metrics", { token })).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^scheduler_jobs\{[^}]*status="(\w+)"[^}]*\} (-?\d+)$/gm))
    out[match[1] as string] = Number(match[2]);
  return out;
}

async function storedJobCounts(tenantId: string): Promise<Record<string, number>> {
  const rows = await sqlIn(tenantId, "select status, count(*) as n from jobs group by status");
  return Object.fromEntries(rows.map((r) => [r.status as string, Number(r.n)]));
}

describe("the job quota", () => {
  it("counts a reactivated job once, and a refused request leaves the gauges equal to the rows", async () => {
    const tenant = await createTenant({ tier: "free" });
    // Two one-off jobs that complete, then 98 cron jobs: 98 live of the free tier's 100.
    const done = await Promise.all([1, 2].map(() => createJob(tenant)));
    for (const job of done)
      await waitFor(
        async () =>
          (await callJson<any>(`/v1/jobs/${job.id}`, { token: tenant.token }, 200)).status ===
          "completed",
        "the one-off job to complete",
      );
    const crons = Array.from({ length: 98 }, (_, i) =>
      jobBody({ name: `c${i}`, schedule: { cron: "0 3 * * *" } }),
    );
    await callJson("/v1/jobs/batch", { token: tenant.token, body: { jobs: crons } }, 201);
    const reactivate = (id: string) =>
      call(`/v1/jobs/${id}`, {
        token: tenant.token,
        method: "PATCH",
        body: { schedule: { cron: "0 4 * * *" } },
      });

    expect((await reactivate(done[0]?.id)).status).toBe(200); // 99 live
    await createJob(tenant, { schedule: { cron: "0 5 * * *" } }); // 100 live
    for (let i = 0; i < 3; i++) {
      const refused = await expectProblem(await reactivate(done[1]?.id), 409);
      expect(refused.detail).toMatch(/has 100 /);
    }
    expect(await jobGauge(tenant.token)).toMatchObject(await storedJobCounts(tenant.id));

    // Freeing one slot lets exactly one job in again.
    await callJson(`/v1/jobs/${done[0]?.id}`, { token: tenant.token, method: "DELETE" }, 200);
    await createJob(tenant, { schedule: { cron: "0 6 * * *" } });
    await expectProblem(
      await call("/v1/jobs", {
        token: tenant.token,
        body: jobBody({ schedule: { cron: "0 7 * * *" } }),
      }),
      409,
    );
    expect(await jobGauge(tenant.token)).toMatchObject(await storedJobCounts(tenant.id));
  });

  it("gauges that drifted are recomputed from the rows when the object starts", async () => {
    const tenant = await createTenant();
    await createJob(tenant, { schedule: { cron: "0 3 * * *" } });
    await sqlIn(
      tenant.id,
      "update counters set value = 5000 where name = 'scheduler_jobs' and labels = 'status=\"active\"'",
    );
    const corrections = await insideScheduler(tenant.id, (_s, state) =>
      state.storage.transactionSync(() => reconcileGauges(state.storage.sql)),
    );
    expect(corrections).toEqual([
      { name: "scheduler_jobs", labels: 'status="active"', stored: 5000, actual: 1 },
    ]);
    expect((await jobGauge(tenant.token)).active).toBe(1);
    // A second check finds nothing to repair and writes nothing.
    expect(
      await insideScheduler(tenant.id, (_s, state) => reconcileGauges(state.storage.sql)),
    ).toEqual([]);
  });
});
