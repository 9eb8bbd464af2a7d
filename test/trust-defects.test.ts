/**
 * Regression tests for the defects an outside review of the tenant object found (the simulation
 * in simulation/ checks the same promises over random sequences; these pin each reproduction).
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createJob,
  createTenant,
  setTenant,
  type TestTenant,
  waitFor,
} from "./support/api";
import { runDetail, runsOf } from "./support/runs";
import {
  fireAlarm,
  insideScheduler,
  queueWithoutSending,
  type SchedulerInternals,
  sqlIn,
} from "./support/tenant-object";
import {
  type Claimed,
  claim,
  createWorkerJob,
  runCall,
  workerId,
  workerToken,
} from "./support/workers";

/** What the tests read inside the object beyond the shared internals. */
interface Inside {
  memory: { leases: { get(id: string): number | undefined } };
  workers: {
    serveWaiting(): Promise<void>;
    registry: { remembered(): string[] };
    claims: { waiting: unknown[] };
  };
  gauges: { inFlight(): number };
}

async function premium(maxInFlight = 100): Promise<TestTenant> {
  const tenant = await createTenant({ tier: "premium" });
  await setTenant(tenant, { max_in_flight: maxInFlight });
  return tenant;
}

function inside<T>(tenant: TestTenant, fn: (s: Inside & SchedulerInternals) => T | Promise<T>) {
  return insideScheduler(tenant.id, (s) => fn(s as unknown as Inside & SchedulerInternals));
}

describe("defects found by review, each pinned", () => {
  it("1: a waiting run that a new occurrence cancels (cancel_other) is not sent in the same round", async () => {
    const tenant = await premium();
    const job = await createJob(tenant, {
      schedule: { cron: "0 0 1 1 *" },
      overlap: "cancel_other",
      retry: { max_attempts: 3, initial_backoff_seconds: 1, max_backoff_seconds: 1 },
    });
    // A run of the job waits, ready to send, when the job's next occurrence comes due.
    const [message] = await queueWithoutSending(tenant.id, [job.id]);
    const waitingId = message?.run_id as string;
    await insideScheduler(tenant.id, async (s, state) => {
      const now = Date.now();
      s.transaction(() => {
        s.runs.patch(s.runs.require(waitingId), { leaseExpiresAt: null });
        s.runs.transition(s.runs.require(waitingId), "pending", { dispatchAt: now - 10 });
        s.jobs.save({ ...s.jobs.require(job.id), nextRunAt: now - 5 });
      });
      // The round under test is the one fired below, not an alarm the object set earlier.
      await state.storage.setAlarm(now + 3_600_000);
    });
    expect(await fireAlarm(tenant.id)).toBe(true);
    const waiting = await runDetail(tenant, waitingId);
    expect(waiting.status).toBe("cancelled");
    const runs = await runsOf(tenant, job.id);
    // The new occurrence was sent (the consumer may have delivered it already); the cancelled one was not.
    const started = runs.filter((r) => ["queued", "running", "succeeded"].includes(r.status));
    expect(started.map((r) => r.id)).not.toContain(waitingId);
    expect(started.length).toBe(1);
    const gauges = await sqlIn(
      tenant.id,
      "select labels, value from counters where name = 'scheduler_runs' and value < 0",
    );
    expect(gauges).toEqual([]);
  });

  it("2: a claim naming one pool twice hands out each run once", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    const jobs = await Promise.all([1, 2, 3].map(() => createWorkerJob(tenant, "twice")));
    const worker = workerId();
    const got: Claimed[] = [];
    await waitFor(async () => {
      const answer = await claim(token, {
        worker_id: worker,
        pools: ["twice", "twice"],
        max: 10,
        wait_seconds: 1,
      });
      got.push(...answer.runs);
      return got.length >= 3;
    }, "3 runs claimed");
    expect(new Set(got.map((r) => r.run_id)).size).toBe(got.length);
    expect(got.map((r) => r.job_id).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(await inside(tenant, (s) => s.gauges.inFlight())).toBe(3);
  });

  it("3: a worker's lease length and renewals survive a restart of the object", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    await createWorkerJob(tenant, "long", { timeout_seconds: 3600 });
    const worker = workerId();
    let run: Claimed | undefined;
    await waitFor(async () => {
      [run] = (await claim(token, { worker_id: worker, pools: ["long"], lease_seconds: 600 })).runs;
      return run !== undefined;
    }, "a claimed run");
    const claimed = run as Claimed;
    const beat = await callJson<{ lease_expires_at: string }>(
      `/v1/runs/${claimed.run_id}/heartbeat`,
      { token, body: { worker_id: worker, attempt: 1 } },
      200,
    );
    const told = Date.parse(beat.lease_expires_at);
    // A restart: the object's memory is gone; what it loads must keep the lease it gave.
    await insideScheduler(tenant.id, (_s, state) => state.abort("restart for the test")).catch(
      () => {},
    );
    const lease = await inside(tenant, (s) => s.memory.leases.get(claimed.run_id) ?? 0);
    expect(lease).toBeGreaterThanOrEqual(told);
    const next = await callJson<{ lease_expires_at: string }>(
      `/v1/runs/${claimed.run_id}/heartbeat`,
      { token, body: { worker_id: worker, attempt: 1 } },
      200,
    );
    // A renewal after the restart is still 600 s long, not the default 30.
    expect(Date.parse(next.lease_expires_at) - Date.now()).toBeGreaterThan(500_000);
  });

  it("5: a target changed from http to worker and back moves the runs that have not started", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    const job = await createJob(tenant, { schedule: { cron: "0 0 1 1 *" } });
    const [message] = await queueWithoutSending(tenant.id, [job.id]);
    const runId = message?.run_id as string;
    await callJson(
      `/v1/jobs/${job.id}`,
      { token: tenant.token, method: "PATCH", body: { target: { type: "worker", pool: "moved" } } },
      200,
    );
    // The queued message is now stale: a worker of the new pool gets the run, attempt 1.
    expect(await runDetail(tenant, runId)).toMatchObject({ status: "pending" });
    const worker = workerId();
    let got: Claimed | undefined;
    await waitFor(async () => {
      [got] = (await claim(token, { worker_id: worker, pools: ["moved"], wait_seconds: 1 })).runs;
      return got !== undefined;
    }, "the moved run claimed");
    expect(got).toMatchObject({ run_id: runId, attempt: 1 });
    // It fails and the job goes back to a webhook: the retry is sent to the queues.
    await callJson(
      `/v1/jobs/${job.id}`,
      {
        token: tenant.token,
        method: "PATCH",
        body: { target: { type: "http", url: "https://example.com/back" } },
      },
      200,
    );
    const failed = await callJson<{ status: string }>(
      `/v1/runs/${runId}/fail`,
      { token, body: { worker_id: worker, attempt: 1, error: "boom" } },
      200,
    );
    expect(failed.status).toBe("retrying");
    const stored = await inside(tenant, (s) => s.runs.get(runId));
    expect(stored?.pool).toBeNull();
  });

  it("6: a long-poll claim whose client went away is not served", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    const worker = workerId();
    const abort = new AbortController();
    const pending = SELF.fetch("https://scheduler.test/v1/workers/claim", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ worker_id: worker, pools: ["gone"], wait_seconds: 20 }),
      signal: abort.signal,
    }).catch(() => null);
    // The claim is parked in the object; its client disconnects; then a run becomes ready.
    await waitFor(
      () => inside(tenant, (s) => s.workers.claims.waiting.length === 1),
      "the claim waiting",
    );
    abort.abort();
    await pending;
    const job = await createWorkerJob(tenant, "gone");
    await fireAlarm(tenant.id);
    const [run] = await runsOf(tenant, job.id);
    expect(run?.status).toBe("pending");
    const [taken] = (await claim(token, { worker_id: workerId(), pools: ["gone"] })).runs;
    expect(taken).toMatchObject({ run_id: run?.id, attempt: 1 });
  });

  it("8: retention never prunes a finished task of an occurrence that has not finished", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    const job = await callJson<{ id: string }>(
      "/v1/jobs",
      {
        token: tenant.token,
        body: {
          tasks: [
            { key: "first", target: { type: "worker", pool: "graph-keep" } },
            {
              key: "second",
              target: { type: "worker", pool: "graph-keep" },
              depends_on: ["first"],
            },
          ],
        },
      },
      201,
    );
    const worker = workerId();
    let first: Claimed | undefined;
    await waitFor(async () => {
      [first] = (
        await claim(token, { worker_id: worker, pools: ["graph-keep"], wait_seconds: 1 })
      ).runs;
      return first !== undefined;
    }, "the first task claimed");
    await callJson(`/v1/jobs/${job.id}/pause`, { token: tenant.token, method: "POST" }, 200);
    await runCall(token, first?.run_id as string, "complete", { worker_id: worker, attempt: 1 });
    // A long pause: the first task finished longer ago than the run retention.
    const pruned = await inside(tenant, (s) =>
      s.transaction(() => s.runs.pruneFinished(Date.now() + 365 * 24 * 3600_000, 100)),
    );
    expect(pruned).toBe(0);
    await callJson(`/v1/jobs/${job.id}/resume`, { token: tenant.token, method: "POST" }, 200);
    let second: Claimed | undefined;
    await waitFor(async () => {
      [second] = (
        await claim(token, { worker_id: worker, pools: ["graph-keep"], wait_seconds: 1 })
      ).runs;
      return second !== undefined;
    }, "the second task claimed");
    await runCall(token, second?.run_id as string, "complete", { worker_id: worker, attempt: 1 });
    const [occurrence] = await runsOf(tenant, job.id);
    expect(occurrence?.status).toBe("succeeded");
  });

  it("12: a waiting claim is not served once its token is revoked", async () => {
    const tenant = await premium();
    const issued = await callJson<{ token: string; id: string }>(
      `/v1/admin/tenants/${tenant.id}/tokens`,
      { token: ADMIN_TOKEN, body: { scope: "worker" } },
      201,
    );
    const parked = call("/v1/workers/claim", {
      token: issued.token,
      body: { worker_id: workerId(), pools: ["revoked"], wait_seconds: 10 },
    });
    await waitFor(
      () => inside(tenant, (s) => s.workers.claims.waiting.length === 1),
      "the claim waiting",
    );
    await callJson(
      `/v1/admin/tenants/${tenant.id}/tokens/${issued.id}`,
      { token: ADMIN_TOKEN, method: "DELETE" },
      204,
    );
    const job = await createWorkerJob(tenant, "revoked");
    await fireAlarm(tenant.id);
    expect(await (await parked).json()).toMatchObject({ runs: [] });
    const [run] = await runsOf(tenant, job.id);
    expect(run?.status).toBe("pending");
  });

  it("12: a waiting claim is not served when its tenant was suspended during the round", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    const job = await createWorkerJob(tenant, "suspended", { schedule: { delay_seconds: 3600 } });
    const parked = call("/v1/workers/claim", {
      token,
      body: { worker_id: workerId(), pools: ["suspended"], wait_seconds: 10 },
    });
    await waitFor(
      () => inside(tenant, (s) => s.workers.claims.waiting.length === 1),
      "the claim waiting",
    );
    await setTenant(tenant, { suspended: true });
    // The rest of an alarm round that began before the suspension: a run became ready, and the
    // round ends by serving waiting claims.
    await inside(tenant, async (s) => {
      s.transaction(() => s.lifecycle.occurrences.trigger(s.jobs.require(job.id), Date.now()));
      await s.workers.serveWaiting();
    });
    expect(await (await parked).json()).toMatchObject({ runs: [] });
  });

  it("13: the workers' last-seen memory holds only workers the object stores", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    for (const id of ["a", "b", "c"].map((x) => `${workerId()}-${x}`)) {
      await claim(token, { worker_id: id, pools: ["seen"] });
      await claim(token, { worker_id: id, pools: ["seen"] });
    }
    // A heartbeat refused for a worker id never stored leaves nothing behind.
    const refused = await runCall(token, "run_missing", "heartbeat", {
      worker_id: "never-stored",
      attempt: 1,
    });
    expect(refused.status).toBe(404);
    const remembered = await inside(tenant, (s) => s.workers.registry.remembered());
    const stored = new Set((await sqlIn(tenant.id, "select id from workers")).map((r) => r.id));
    expect(remembered.length).toBeGreaterThan(0);
    expect(remembered.filter((id) => !stored.has(id))).toEqual([]);
  });
});
