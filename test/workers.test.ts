import { describe, expect, it } from "vitest";
import type { LeaseTable } from "../src/durable/runs/lease-table";
import {
  call,
  callJson,
  createTenant,
  expectProblem,
  setTenant,
  type TestTenant,
  waitFor,
} from "./support/api";
import { runDetail, waitForRuns } from "./support/runs";
import { fireAlarm, insideScheduler } from "./support/tenant-object";
import {
  type Claimed,
  claim,
  createWorkerJob,
  createWorkerJobs,
  runCall,
  workerId,
  workerToken,
} from "./support/workers";

const FAST_RETRY = { max_attempts: 3, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.1 };

async function premiumTenant(maxInFlight = 1000): Promise<TestTenant> {
  const tenant = await createTenant({ tier: "premium" });
  await setTenant(tenant, { max_in_flight: maxInFlight });
  return tenant;
}

describe("pull workers: claims", () => {
  it("hands each of 200 due runs to exactly one of 20 concurrent claimers", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    await createWorkerJobs(tenant, "video", 200);
    const claimed: Claimed[] = [];
    const claimer = async (index: number) => {
      const id = `claimer-${index}`;
      for (let round = 0; round < 100 && claimed.length < 200; round++) {
        const { runs } = await claim(token, {
          worker_id: id,
          pools: ["video"],
          max: 7,
          wait_seconds: 0.2,
        });
        claimed.push(...runs);
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => claimer(i)));
    const ids = claimed.map((r) => r.run_id);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    expect(claimed.every((r) => r.attempt === 1 && r.pool === "video")).toBe(true);
    expect(claimed[0]?.payload).toEqual({ command: ["true"] });
  });

  it("orders by priority, then age, across the worker's pools, within the in-flight cap", async () => {
    const tenant = await premiumTenant(3);
    const token = await workerToken(tenant);
    const low = await createWorkerJob(tenant, "a", { priority: "low" });
    const mediumOld = await createWorkerJob(tenant, "b");
    const mediumNew = await createWorkerJob(tenant, "a");
    const high = await createWorkerJob(tenant, "b", { priority: "high" });
    await createWorkerJob(tenant, "elsewhere", { priority: "high" });
    await fireAlarm(tenant.id);
    const { runs } = await claim(token, { worker_id: workerId(), pools: ["a", "b"], max: 10 });
    expect(runs.map((r) => r.job_id)).toEqual([high.id, mediumOld.id, mediumNew.id]);
    // The cap of 3 is used up: nothing more until a run finishes.
    const more = await claim(token, { worker_id: workerId(), pools: ["a", "b"], max: 10 });
    expect(more.runs).toEqual([]);
    const [first] = runs as [Claimed];
    await callJson(
      `/v1/runs/${first.run_id}/complete`,
      {
        token,
        body: { worker_id: (await runDetail(tenant, first.run_id)).worker_id, attempt: 1 },
      },
      200,
    );
    const last = await claim(token, { worker_id: workerId(), pools: ["a", "b"], max: 10 });
    expect(last.runs.map((r) => r.job_id)).toEqual([low.id]);
  });

  it("long-polls: a waiting claim gets a run that becomes due while it waits", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    const job = await createWorkerJob(tenant, "poll", {
      schedule: { at: new Date(Date.now() + 3_600_000).toISOString() },
    });
    const waiting = claim(token, {
      worker_id: workerId(),
      pools: ["poll"],
      max: 1,
      wait_seconds: 20,
    });
    await new Promise((r) => setTimeout(r, 200));
    await callJson(`/v1/jobs/${job.id}/trigger`, { token: tenant.token, method: "POST" }, 202);
    const { runs } = await waiting;
    // An empty answer would have meant the wait ran out: the trigger woke it instead.
    expect(runs.map((r) => r.job_id)).toEqual([job.id]);
    const empty = await claim(token, {
      worker_id: workerId(),
      pools: ["poll"],
      max: 1,
      wait_seconds: 0.3,
    });
    expect(empty).toEqual({ runs: [], draining: false });
  });
});

describe("pull workers: leases, checkpoints and reports", () => {
  it("keeps a long run alive through heartbeats past several lease lengths", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    const job = await createWorkerJob(tenant, "long", { retry: FAST_RETRY });
    const worker = workerId();
    const [run] = await claimRuns(token, worker, "long", 1, 1);
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      const answer = await callJson<{ cancel: boolean; lease_expires_at: string }>(
        `/v1/runs/${run.run_id}/heartbeat`,
        { token, body: { worker_id: worker, attempt: 1, progress: { done: 0.5 } } },
        200,
      );
      expect(answer.cancel).toBe(false);
      await fireAlarm(tenant.id);
      await new Promise((r) => setTimeout(r, 250));
    }
    const done = await callJson<Record<string, any>>(
      `/v1/runs/${run.run_id}/complete`,
      { token, body: { worker_id: worker, attempt: 1, result: { frames: 42 } } },
      200,
    );
    expect(done).toMatchObject({ status: "succeeded", attempt: 1, job_id: job.id });
    const detail = await runDetail(tenant, run.run_id);
    expect(detail.attempts).toHaveLength(1);
    expect(detail.attempts[0]).toMatchObject({ outcome: "succeeded", worker_id: worker });
    expect(JSON.parse(detail.attempts[0].response_body)).toEqual({ frames: 42 });
    expect(detail.progress).toEqual({ done: 0.5 });
  });

  it("retries a run whose worker stopped heartbeating, from its last checkpoint; the old worker gets 409", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    const job = await createWorkerJob(tenant, "encode", { retry: FAST_RETRY });
    const dead = workerId();
    const [run] = await claimRuns(token, dead, "encode", 1, 1);
    expect(run.checkpoint).toBeNull();
    const saved = await runCall(token, run.run_id, "heartbeat", {
      worker_id: dead,
      attempt: 1,
      checkpoint: { frame: 1200 },
    });
    expect(saved.status).toBe(200);
    // The worker dies: no heartbeat; its 1 s lease runs out and the run is retried.
    await waitForRuns(
      tenant,
      job.id,
      (r) => r[0]?.status === "retrying" || r[0]?.attempt === 2,
      "the retry",
      10_000,
    );
    const next = workerId();
    const [again] = await claimRuns(token, next, "encode", 1, 30);
    expect(again).toMatchObject({ run_id: run.run_id, attempt: 2, checkpoint: { frame: 1200 } });
    // The first worker comes back: its attempt is over.
    await expectProblem(
      await runCall(token, run.run_id, "complete", { worker_id: dead, attempt: 1 }),
      409,
      ["attempt"],
    );
    await expectProblem(
      await runCall(token, run.run_id, "heartbeat", { worker_id: dead, attempt: 1 }),
      409,
      ["attempt"],
    );
    // Someone else's attempt: 409 naming the worker.
    await expectProblem(
      await runCall(token, run.run_id, "heartbeat", { worker_id: dead, attempt: 2 }),
      409,
      ["worker_id"],
    );
    const detail = await runDetail(tenant, run.run_id);
    expect(detail.attempts.map((a: any) => [a.attempt, a.outcome, a.worker_id])).toEqual([
      [1, "lease_expired", dead],
      [2, "running", next],
    ]);
    expect(detail.checkpoint).toEqual({ frame: 1200 });
  });

  it("makes reports idempotent per attempt and honours retryable: false", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    await createWorkerJob(tenant, "rep", { retry: FAST_RETRY });
    await createWorkerJob(tenant, "rep", { retry: FAST_RETRY });
    const worker = workerId();
    const [ok, bad] = await claimRuns(token, worker, "rep", 2, 30);
    const body = { worker_id: worker, attempt: 1, result: { n: 1 } };
    const first = await callJson(`/v1/runs/${ok!.run_id}/complete`, { token, body }, 200);
    const again = await callJson(`/v1/runs/${ok!.run_id}/complete`, { token, body }, 200);
    expect(again).toEqual(first);
    await expectProblem(
      await runCall(token, ok!.run_id, "fail", { worker_id: worker, attempt: 1, error: "late" }),
      409,
    );
    const failed = await callJson<Record<string, any>>(
      `/v1/runs/${bad!.run_id}/fail`,
      { token, body: { worker_id: worker, attempt: 1, error: "bad input file", retryable: false } },
      200,
    );
    expect(failed).toMatchObject({ status: "dead", attempt: 1, last_error: "bad input file" });
    const dead = await callJson<{ data: { id: string }[] }>(
      "/v1/dead-letters",
      { token: tenant.token },
      200,
    );
    expect(dead.data.map((r) => r.id)).toContain(bad!.run_id);
  });

  it("tells a running worker to stop a cancelled run, but lets a paused job's run go on; a retry waits for resume", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    const cancelledJob = await createWorkerJob(tenant, "stop");
    const pausedJob = await createWorkerJob(tenant, "stop", { retry: FAST_RETRY });
    const worker = workerId();
    const runs = await claimRuns(token, worker, "stop", 2, 30);
    const runOf = (jobId: string) => runs.find((r) => r.job_id === jobId) as Claimed;
    const cancelled = runOf(cancelledJob.id);
    const paused = runOf(pausedJob.id);
    await callJson(
      `/v1/runs/${cancelled.run_id}/cancel`,
      { token: tenant.token, method: "POST" },
      200,
    );
    await callJson(`/v1/jobs/${pausedJob.id}/pause`, { token: tenant.token, method: "POST" }, 200);
    const one = await callJson<Record<string, any>>(
      `/v1/runs/${cancelled.run_id}/heartbeat`,
      { token, body: { worker_id: worker, attempt: 1 } },
      200,
    );
    expect(one).toMatchObject({
      cancel: true,
      cancel_reason: "cancelled by request",
      lease_expires_at: null,
    });
    const all = await callJson<{ runs: Record<string, any>[] }>(
      `/v1/workers/${worker}/heartbeat`,
      {
        token,
        body: {
          runs: [
            { run_id: cancelled.run_id, attempt: 1 },
            { run_id: paused.run_id, attempt: 1 },
          ],
        },
      },
      200,
    );
    const byRun = new Map(all.runs.map((r) => [r.run_id, r]));
    // Pausing holds what waits; the attempt already running goes on, with its lease renewed.
    expect(byRun.get(paused.run_id)).toMatchObject({ cancel: false, cancel_reason: null });
    expect(byRun.get(paused.run_id)?.lease_expires_at).not.toBeNull();
    expect(byRun.get(cancelled.run_id)).toMatchObject({ cancel: true });
    // The cancelled run's attempt ends; the run stays cancelled.
    const after = await callJson<Record<string, any>>(
      `/v1/runs/${cancelled.run_id}/complete`,
      { token, body: { worker_id: worker, attempt: 1 } },
      200,
    );
    expect(after.status).toBe("cancelled");
    // The paused job's attempt fails on its own: its retry is held until the job resumes.
    await callJson(
      `/v1/runs/${paused.run_id}/fail`,
      { token, body: { worker_id: worker, attempt: 1, error: "the command failed" } },
      200,
    );
    expect((await runDetail(tenant, paused.run_id)).status).toBe("retrying");
    expect(await claim(token, { worker_id: worker, pools: ["stop"], max: 1 })).toMatchObject({
      runs: [],
    });
    await callJson(`/v1/jobs/${pausedJob.id}/resume`, { token: tenant.token, method: "POST" }, 200);
    const [resumed] = await claimRuns(token, worker, "stop", 1, 30);
    expect(resumed).toMatchObject({ run_id: paused.run_id, attempt: 2 });
  });

  it("ends a cancelled job's running worker run cancelled, not dead, when its worker stops", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    const job = await createWorkerJob(tenant, "cancel-job", { retry: { max_attempts: 1 } });
    const worker = workerId();
    const [run] = await claimRuns(token, worker, "cancel-job", 1, 30);
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
    const beat = await callJson<Record<string, any>>(
      `/v1/runs/${run?.run_id}/heartbeat`,
      { token, body: { worker_id: worker, attempt: 1 } },
      200,
    );
    expect(beat).toMatchObject({ cancel: true, cancel_reason: "job cancelled" });
    // The bundled worker stops the command and reports the attempt failed.
    const reported = await callJson<Record<string, any>>(
      `/v1/runs/${run?.run_id}/fail`,
      { token, body: { worker_id: worker, attempt: 1, error: "stopped: cancelled" } },
      200,
    );
    expect(reported.status).toBe("cancelled");
    expect((await runDetail(tenant, run?.run_id as string)).attempts[0]).toMatchObject({
      outcome: "failed",
    });
  });

  it("renews only the runs a worker heartbeat names (a restarted process reusing the id holds none)", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    await createWorkerJob(tenant, "reuse");
    const worker = workerId();
    const [run] = await claimRuns(token, worker, "reuse", 1, 30);
    const lease = () =>
      insideScheduler(tenant.id, (internals) =>
        (internals as unknown as { memory: { leases: LeaseTable } }).memory.leases.get(run.run_id),
      );
    const before = await lease();
    const answer = await callJson<{ runs: unknown[] }>(
      `/v1/workers/${worker}/heartbeat`,
      { token, body: { runs: [] } },
      200,
    );
    expect(answer.runs).toEqual([]);
    expect(await lease()).toBe(before);
    const named = await callJson<{ runs: { lease_expires_at: string }[] }>(
      `/v1/workers/${worker}/heartbeat`,
      { token, body: { runs: [{ run_id: run.run_id, attempt: 1 }] } },
      200,
    );
    expect(Date.parse(named.runs[0]?.lease_expires_at ?? "")).toBeGreaterThanOrEqual(before ?? 0);
  });

  it("drains a worker: no new runs, its run in flight finishes; the list shows it", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    await createWorkerJobs(tenant, "drain", 3);
    const worker = workerId();
    const [held] = await claimRuns(token, worker, "drain", 1, 30, 1);
    const drained = await callJson<Record<string, any>>(
      `/v1/workers/${worker}/drain`,
      { token, method: "POST" },
      200,
    );
    expect(drained).toMatchObject({
      id: worker,
      state: "draining",
      runs_in_flight: 1,
      pools: ["drain"],
    });
    const waiting = await (await call("/v1/metrics", { token: tenant.token })).text();
    expect(waiting).toContain(`scheduler_pool_runs_waiting{tenant="${tenant.id}",pool="drain"} 2`);
    expect(
      await claim(token, { worker_id: worker, pools: ["drain"], max: 5, wait_seconds: 1 }),
    ).toEqual({
      runs: [],
      draining: true,
    });
    await callJson(
      `/v1/runs/${held!.run_id}/complete`,
      { token, body: { worker_id: worker, attempt: 1 } },
      200,
    );
    const other = workerId();
    expect((await claim(token, { worker_id: other, pools: ["drain"], max: 5 })).runs).toHaveLength(
      2,
    );
    const list = await callJson<{ data: Record<string, any>[] }>(
      "/v1/workers",
      { token: tenant.token },
      200,
    );
    const states = Object.fromEntries(list.data.map((w) => [w.id, [w.state, w.runs_in_flight]]));
    expect(states).toEqual({ [worker]: ["draining", 0], [other]: ["active", 2] });
    const mine = await callJson<{ data: { id: string }[] }>(
      `/v1/runs?worker_id=${other}`,
      { token: tenant.token },
      200,
    );
    expect(mine.data).toHaveLength(2);
    const metrics = await (await call("/v1/metrics", { token: tenant.token })).text();
    expect(metrics).toContain(`scheduler_workers{tenant="${tenant.id}",state="draining"} 1`);
    expect(metrics).toContain(`scheduler_workers{tenant="${tenant.id}",state="active"} 1`);
    expect(metrics).toMatch(/scheduler_worker_claim_lag_seconds_count\{[^}]*pool="drain"[^}]*\} 3/);
  });
});

describe("pull workers: request allowance", () => {
  it("draws workers' calls from their own allowance, so they neither starve API clients nor hit the API rate", async () => {
    const tenant = await createTenant({ tier: "free" }); // 120 API requests a minute
    const token = await workerToken(tenant);
    for (let i = 0; i < 130; i++) {
      const answer = await call("/v1/workers/claim", {
        token,
        body: { worker_id: "w-busy", pools: ["p"] },
      });
      expect(answer.status).toBe(200);
      await answer.arrayBuffer();
    }
    // The tenant's API allowance is untouched by the workers.
    expect((await call("/v1/jobs", { token: tenant.token })).status).toBe(200);
  });
});

describe("pull workers: bad input and scopes", () => {
  it("answers each wrong request with a problem naming the field, and stores nothing", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    const bad = (body: Record<string, unknown>) => call("/v1/workers/claim", { token, body });
    await expectProblem(await bad({ worker_id: "w1", pools: ["vid eo"] }), 400, ["pools[0]"]);
    await expectProblem(await bad({ worker_id: "w1", pools: ["a"], max: 0 }), 400, ["max"]);
    await expectProblem(await bad({ worker_id: "w1", pools: ["a"], max: 101 }), 400, ["max"]);
    await expectProblem(await bad({ worker_id: "w1", pools: ["a"], wait_seconds: 26 }), 400, [
      "wait_seconds",
    ]);
    await expectProblem(await bad({ worker_id: " w", pools: ["a"] }), 400, ["worker_id"]);
    await expectProblem(
      await call("/v1/jobs", {
        token: tenant.token,
        body: { target: { type: "worker", pool: "a/b" } },
      }),
      400,
      ["target.pool"],
    );
    await expectProblem(
      await call("/v1/jobs", {
        token: tenant.token,
        body: { target: { type: "http", url: "https://example.com/x" }, timeout_seconds: 3600 },
      }),
      400,
      ["timeout_seconds"],
    );
    const list = await callJson<{ data: unknown[] }>("/v1/workers", { token: tenant.token }, 200);
    expect(list.data).toEqual([]);
    expect(
      (await callJson<{ data: unknown[] }>("/v1/jobs", { token: tenant.token }, 200)).data,
    ).toEqual([]);

    // An oversized checkpoint is 413 naming it, and is not saved.
    await createWorkerJob(tenant, "big");
    const worker = workerId();
    const [run] = await claimRuns(token, worker, "big", 1, 30);
    const huge = { blob: "x".repeat(70 * 1024) };
    await expectProblem(
      await runCall(token, run.run_id, "heartbeat", {
        worker_id: worker,
        attempt: 1,
        checkpoint: huge,
      }),
      413,
      ["checkpoint"],
    );
    await expectProblem(
      await runCall(token, run.run_id, "complete", { worker_id: worker, attempt: 1, result: huge }),
      413,
      ["result"],
    );
    expect((await runDetail(tenant, run.run_id)).checkpoint).toBeNull();
  });

  it("limits a worker token to the worker routes, and refuses a suspended tenant's claims", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    for (const [path, method] of [
      ["/v1/jobs", "GET"],
      ["/v1/runs", "GET"],
      ["/v1/workers", "GET"],
      ["/v1/metrics", "GET"],
    ] as const) {
      await expectProblem(await call(path, { token, method }), 403);
    }
    await expectProblem(
      await call("/v1/jobs", { token, body: { target: { type: "worker", pool: "a" } } }),
      403,
    );
    const read = await callJson<{ token: string }>(
      `/v1/admin/tenants/${tenant.id}/tokens`,
      { token: "test-admin-token", body: { scope: "read" } },
      201,
    );
    await expectProblem(
      await call("/v1/workers/claim", {
        token: read.token,
        body: { worker_id: "w", pools: ["a"] },
      }),
      403,
    );
    // A write token may act as a worker.
    expect((await claim(tenant.token, { worker_id: "w-write", pools: ["a"] })).runs).toEqual([]);
    await setTenant(tenant, { suspended: true });
    await expectProblem(
      await call("/v1/workers/claim", { token, body: { worker_id: "w", pools: ["a"] } }),
      403,
    );
  });
});

/** Claims `count` runs of `pool` as `worker` with a lease of `leaseSeconds`. */
async function claimRuns(
  token: string,
  worker: string,
  pool: string,
  count: number,
  leaseSeconds: number,
  max = 100,
): Promise<[Claimed, ...Claimed[]]> {
  const got: Claimed[] = [];
  await waitFor(async () => {
    const { runs } = await claim(token, {
      worker_id: worker,
      pools: [pool],
      max: Math.min(max, count - got.length),
      lease_seconds: leaseSeconds,
      wait_seconds: 1,
    });
    got.push(...runs);
    return got.length >= count;
  }, `${count} claimed runs of ${pool}`);
  return got as [Claimed, ...Claimed[]];
}
