import { describe, expect, it } from "vitest";
import {
  callJson,
  createJob,
  createTenant,
  deliveriesAt,
  jobBody,
  type SinkDelivery,
  setTenant,
  sinkUrl,
  uniqueId,
  waitFor,
} from "./support/api";
import { has, runDetail, runsOf, waitForRun, waitForRuns } from "./support/runs";
import { expireLease, fireAlarm, sqlIn } from "./support/tenant-object";

/** A tenant with a job firing every second whose target answers after `delayMs`. */
async function everySecondJob(overlap: string, delayMs: number) {
  const tenant = await createTenant();
  const url = sinkUrl(`/${uniqueId(overlap)}`, { delay_ms: delayMs });
  const job = await createJob(tenant, {
    schedule: { cron: "* * * * * *" },
    target: { type: "http", url },
    overlap,
  });
  return { tenant, job, url };
}

function maxConcurrency(deliveries: SinkDelivery[]): number {
  const events = deliveries.flatMap((d) => [
    [d.received_at, 1],
    [d.finished_at ?? Number.MAX_SAFE_INTEGER, -1],
  ]);
  events.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let current = 0;
  let peak = 0;
  for (const [, delta] of events) {
    current += delta as number;
    peak = Math.max(peak, current);
  }
  return peak;
}

describe("priorities, caps and overlap", () => {
  it("starts high-priority runs before low ones when a backlog waits for the in-flight cap", async () => {
    const tenant = await createTenant();
    await setTenant(tenant, { max_in_flight: 1 });
    const path = `/${uniqueId("prio")}`;
    const blocker = await createJob(tenant, {
      name: "blocker",
      target: { type: "http", url: sinkUrl(path, { delay_ms: 700 }) },
    });
    await waitForRuns(tenant, blocker.id, has("running"), "the blocker to run");
    const jobs = ["low", "high", "low", "high", "low", "high"].map((priority, i) =>
      jobBody({
        name: `${priority}-${i}`,
        priority,
        target: { type: "http", url: sinkUrl(path), body: { priority } },
      }),
    );
    await callJson("/v1/jobs/batch", { token: tenant.token, body: { jobs } }, 201);
    const deliveries = await waitFor(async () => {
      const d = await deliveriesAt(sinkUrl(path));
      return d.length === 7 && d;
    }, "seven deliveries");
    const order = deliveries.slice(1).map((d) => JSON.parse(d.body).priority);
    expect(order).toEqual(["high", "high", "high", "low", "low", "low"]);
  });

  it("never has more runs in flight than the tenant's cap; the rest wait as pending", async () => {
    const tenant = await createTenant();
    await setTenant(tenant, { max_in_flight: 2 });
    const path = `/${uniqueId("cap")}`;
    const jobs = Array.from({ length: 6 }, (_, i) =>
      jobBody({ name: `j${i}`, target: { type: "http", url: sinkUrl(path, { delay_ms: 400 }) } }),
    );
    await callJson("/v1/jobs/batch", { token: tenant.token, body: { jobs } }, 201);
    const pending = await waitFor(async () => {
      const page = await callJson<{ data: any[] }>(
        "/v1/runs?status=pending",
        { token: tenant.token },
        200,
      );
      return page.data.length > 0 && page.data;
    }, "runs waiting for the cap");
    expect(pending.length).toBeGreaterThan(0);
    const deliveries = await waitFor(
      async () => {
        const d = await deliveriesAt(sinkUrl(path));
        return d.length === 6 && d.every((x) => x.finished_at !== null) && d;
      },
      "all six deliveries",
      20_000,
    );
    expect(maxConcurrency(deliveries)).toBeLessThanOrEqual(2);
  });

  it("overlap skip: a 1 s cron with a 2.5 s target never overlaps and records skipped runs", async () => {
    const { tenant, job, url } = await everySecondJob("skip", 2500);
    const runs = await waitForRuns(
      tenant,
      job.id,
      (r) => r.filter((x) => x.status === "succeeded").length >= 2,
      "two runs",
      20_000,
    );
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
    expect(runs.filter((r) => r.status === "skipped").length).toBeGreaterThanOrEqual(2);
    const deliveries = (await deliveriesAt(url)).filter((d) => d.finished_at !== null);
    expect(maxConcurrency(deliveries)).toBe(1);
  });

  it("overlap allow: runs of one job may execute at once", async () => {
    const { tenant, job, url } = await everySecondJob("allow", 2500);
    const deliveries = await waitFor(
      async () => {
        const d = await deliveriesAt(url);
        return d.filter((x) => x.finished_at !== null).length >= 2 && d;
      },
      "overlapping deliveries",
      20_000,
    );
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
    expect(maxConcurrency(deliveries)).toBeGreaterThan(1);
    expect((await runsOf(tenant, job.id)).some((r) => r.status === "skipped")).toBe(false);
  });

  it("overlap buffer_one: keeps one occurrence waiting and skips the rest", async () => {
    const { tenant, job, url } = await everySecondJob("buffer_one", 2000);
    const runs = await waitForRuns(
      tenant,
      job.id,
      (r) => r.filter((x) => x.status === "succeeded").length >= 2,
      "two runs",
      20_000,
    );
    await callJson(`/v1/jobs/${job.id}/pause`, { token: tenant.token, method: "POST" }, 200);
    expect(runs.some((r) => r.status === "skipped")).toBe(true);
    expect(maxConcurrency((await deliveriesAt(url)).filter((d) => d.finished_at !== null))).toBe(1);
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
  });

  it("overlap cancel_other: a new occurrence cancels the one still waiting or running", async () => {
    const { tenant, job } = await everySecondJob("cancel_other", 2500);
    const runs = await waitForRuns(
      tenant,
      job.id,
      (r) => r.filter((x) => x.status === "cancelled").length >= 2,
      "superseded runs",
      20_000,
    );
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
    expect(runs.find((r) => r.status === "cancelled")?.last_error).toMatch(/superseded/);
  });
});

describe("leases, catch-up, pause and cancel", () => {
  it("retries an attempt whose consumer never reports once its lease expires", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("lost")}`, { hang: 1 }) },
      timeout_seconds: 2,
      retry: { max_attempts: 2, initial_backoff_seconds: 30, max_backoff_seconds: 30 },
    });
    const [run] = await waitForRuns(tenant, job.id, has("running"), "the run to start");
    // The consumer "dies": its lease runs out (we move it into the past) and the alarm notices.
    await expireLease(tenant.id, run?.id);
    await fireAlarm(tenant.id);
    const detail = await runDetail(tenant, run?.id);
    expect(detail.status).toBe("retrying");
    expect(detail.attempts[0]).toMatchObject({ attempt: 1, outcome: "lease_expired" });
    expect(Date.parse(detail.next_attempt_at)).toBeGreaterThan(Date.now() + 20_000);
    await callJson(`/v1/runs/${run?.id}/cancel`, { token: tenant.token, method: "POST" }, 200);
  });

  it("records occurrences older than the catch-up window as missed and runs the latest once", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {
      schedule: { cron: "* * * * *" },
      catchup_window_seconds: 120,
    });
    // The scheduler "was down" for ten minutes: the job's next run is far in the past.
    const tenMinutesAgo = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    await sqlIn(tenant.id, "update jobs set next_run_at = ? where id = ?", tenMinutesAgo, job.id);
    const caughtUpBy = Date.now();
    await fireAlarm(tenant.id);
    const runs = await waitForRuns(tenant, job.id, has("succeeded"), "the caught-up run");
    const missed = runs.filter((r) => r.status === "missed");
    // Only the catch-up matters: a minute that starts during the test brings its own, on-time run.
    const ran = runs.filter(
      (r) => r.status !== "missed" && Date.parse(r.scheduled_for) <= caughtUpBy,
    );
    expect(ran).toHaveLength(1);
    expect(missed.length).toBeGreaterThanOrEqual(7);
    expect(missed.length).toBeLessThanOrEqual(9);
    for (const r of missed) expect(Date.parse(r.scheduled_for)).toBeLessThan(Date.now() - 120_000);
    const latestMinute = Math.floor(Date.now() / 60_000) * 60_000;
    expect(Date.parse(ran[0]?.scheduled_for)).toBeGreaterThanOrEqual(latestMinute - 60_000);
    const after = await callJson<any>(`/v1/jobs/${job.id}`, { token: tenant.token }, 200);
    expect(Date.parse(after.next_run_at)).toBeGreaterThan(Date.now());
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
  });

  it("cancelling a job cancels its waiting runs; pausing holds them until resumed", async () => {
    const tenant = await createTenant();
    await setTenant(tenant, { max_in_flight: 1 });
    const blocker = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("blocker")}`, { delay_ms: 2500 }) },
    });
    await waitForRuns(tenant, blocker.id, has("running"), "the blocker to run");
    const toCancel = await createJob(tenant);
    const toPause = await createJob(tenant);
    const [waiting] = await waitForRuns(
      tenant,
      toCancel.id,
      has("pending"),
      "a run waiting for the cap",
    );
    await waitForRuns(tenant, toPause.id, has("pending"), "a second waiting run");

    await callJson(`/v1/jobs/${toCancel.id}`, { token: tenant.token, method: "DELETE" }, 200);
    expect((await runDetail(tenant, waiting?.id)).status).toBe("cancelled");
    await callJson(`/v1/jobs/${toPause.id}/pause`, { token: tenant.token, method: "POST" }, 200);

    // The slot frees up; the paused job's run must still wait.
    await waitForRuns(tenant, blocker.id, has("succeeded"), "the blocker to finish");
    await fireAlarm(tenant.id);
    expect((await runsOf(tenant, toPause.id)).map((r) => r.status)).toEqual(["pending"]);

    await callJson(`/v1/jobs/${toPause.id}/resume`, { token: tenant.token, method: "POST" }, 200);
    await waitForRuns(tenant, toPause.id, has("succeeded"), "the resumed run");
    expect(await deliveriesAt(toCancel.target.url)).toHaveLength(0);
  });

  it("cancels a running run: its attempt finishes but the run stays cancelled", async () => {
    const tenant = await createTenant();
    const url = sinkUrl(`/${uniqueId("slow")}`, { delay_ms: 1500, status: 500 });
    const job = await createJob(tenant, { target: { type: "http", url } });
    const [run] = await waitForRuns(tenant, job.id, has("running"), "the run to start");
    const cancelled = await callJson<any>(
      `/v1/runs/${run?.id}/cancel`,
      { token: tenant.token, method: "POST" },
      200,
    );
    expect(cancelled.status).toBe("cancelled");
    const detail = await waitForRun(
      tenant,
      run?.id,
      (d) => d.attempts[0]?.outcome !== "running",
      "the attempt to report",
    );
    expect(detail.status).toBe("cancelled");
    expect(detail.attempts).toHaveLength(1);
    expect(detail.attempts[0].status_code).toBe(500);
  });

  it("filters runs by status and job and pages through them", async () => {
    const tenant = await createTenant();
    const a = await createJob(tenant);
    const b = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("b")}`, { status: 404 }) },
      retry_on: "transient",
    });
    await waitForRuns(tenant, a.id, has("succeeded"), "a to succeed");
    const [deadB] = await waitForRuns(tenant, b.id, has("dead"), "b to fail without retry");
    expect(deadB?.attempt).toBe(1);
    const succeeded = await callJson<{ data: any[] }>(
      "/v1/runs?status=succeeded",
      { token: tenant.token },
      200,
    );
    expect(succeeded.data.map((r) => r.job_id)).toEqual([a.id]);
    const ofB = await callJson<{ data: any[] }>(
      `/v1/runs?job_id=${b.id}`,
      { token: tenant.token },
      200,
    );
    expect(ofB.data.map((r) => r.status)).toEqual(["dead"]);
    const first = await callJson<{ data: any[]; next_cursor: string }>(
      "/v1/runs?limit=1",
      { token: tenant.token },
      200,
    );
    const second = await callJson<{ data: any[]; next_cursor: string | null }>(
      `/v1/runs?limit=1&cursor=${first.next_cursor}`,
      { token: tenant.token },
      200,
    );
    expect(new Set([...first.data, ...second.data].map((r) => r.id)).size).toBe(2);
    expect(second.next_cursor).toBeNull();
  });
});

describe("a job that cannot be evaluated", () => {
  it("is retried a minute later without stalling the tenant's other jobs", async () => {
    const tenant = await createTenant();
    const broken = await createJob(tenant, { schedule: { cron: "0 * * * *" } });
    // Stored data the scheduler cannot evaluate (as a bug or a bad migration might leave it), due now.
    await sqlIn(
      tenant.id,
      "update jobs set schedule = ?, next_run_at = ? where id = ?",
      JSON.stringify({ cron: "not a cron", timezone: "UTC" }),
      Date.now() - 1000,
      broken.id,
    );
    const healthy = await createJob(tenant);
    await waitForRuns(tenant, healthy.id, has("succeeded"), "the healthy job's run");
    const after = await callJson<any>(`/v1/jobs/${broken.id}`, { token: tenant.token }, 200);
    expect(Date.parse(after.next_run_at)).toBeGreaterThan(Date.now() + 30_000);
    expect(await runsOf(tenant, broken.id)).toEqual([]);
  });
});
