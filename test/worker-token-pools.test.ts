/**
 * Worker tokens tied to pools and runs tied to the token that claimed them: a worker token may
 * name the pools it serves (claims outside them are 403 naming `pools`; it acts only as workers
 * of those pools), and a run's heartbeats and reports must come with the token that claimed it.
 */
import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createTenant,
  expectProblem,
  setTenant,
  type TestTenant,
} from "./support/api";
import { runDetail } from "./support/runs";
import { fireAlarm } from "./support/tenant-object";
import {
  type Claimed,
  claim,
  createWorkerJob,
  runCall,
  workerId,
  workerToken,
} from "./support/workers";

async function issue(tenant: TestTenant, body: Record<string, unknown>): Promise<Response> {
  return call(`/v1/admin/tenants/${tenant.id}/tokens`, { token: ADMIN_TOKEN, body });
}

async function poolToken(tenant: TestTenant, pools: string[]): Promise<string> {
  const response = await issue(tenant, { scope: "worker", pools });
  expect(response.status).toBe(201);
  const issued = (await response.json()) as { token: string; pools: string[] };
  expect(issued.pools).toEqual(pools);
  return issued.token;
}

async function tenantWithRun(pool: string): Promise<{ tenant: TestTenant; jobId: string }> {
  const tenant = await createTenant({ tier: "premium" });
  await setTenant(tenant, { max_in_flight: 100 });
  const job = await createWorkerJob(tenant, pool, {
    retry: { max_attempts: 3, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.1 },
  });
  await fireAlarm(tenant.id);
  return { tenant, jobId: job.id };
}

describe("issuing worker tokens with pools", () => {
  it("shows the pools on the issued token; other tokens show none", async () => {
    const tenant = await createTenant();
    await poolToken(tenant, ["video", "audio"]);
    const plain = await callJson<{ pools: unknown }>(
      `/v1/admin/tenants/${tenant.id}/tokens`,
      { token: ADMIN_TOKEN, body: { scope: "worker" } },
      201,
    );
    expect(plain.pools).toBe(null);
  });

  it("refuses pools on a read or write token, a pool named twice and a bad pool name, naming pools", async () => {
    const tenant = await createTenant();
    for (const [body, path] of [
      [{ scope: "write", pools: ["video"] }, "pools"],
      [{ scope: "read", pools: ["video"] }, "pools"],
      [{ scope: "worker", pools: ["video", "video"] }, "pools"],
      [{ scope: "worker", pools: [] }, "pools"],
      [{ scope: "worker", pools: ["no spaces"] }, "pools[0]"],
    ] as const) {
      const problem = await expectProblem(await issue(tenant, body), 400, [path]);
      expect(problem.detail).toContain("pools");
    }
  });
});

describe("a worker token limited to pools", () => {
  it("claims in its pools and gets 403 naming pools for any other", async () => {
    const { tenant } = await tenantWithRun("a");
    const onlyA = await poolToken(tenant, ["a"]);
    const refused = await expectProblem(
      await call("/v1/workers/claim", {
        token: onlyA,
        body: { worker_id: workerId(), pools: ["a", "b"] },
      }),
      403,
      ["pools"],
    );
    expect(refused.detail).toMatch(/b is not among the pools this token serves \(a\)/);
    const { runs } = await claim(onlyA, { worker_id: workerId(), pools: ["a"] });
    expect(runs).toHaveLength(1);
  });

  it("may neither claim as, heartbeat nor drain a worker of other pools (403 naming worker_id)", async () => {
    const { tenant } = await tenantWithRun("b");
    const any = await workerToken(tenant);
    const onlyA = await poolToken(tenant, ["a"]);
    const worker = workerId();
    await claim(any, { worker_id: worker, pools: ["b"] });
    for (const [path, body] of [
      ["/v1/workers/claim", { worker_id: worker, pools: ["a"] }],
      [`/v1/workers/${worker}/heartbeat`, { runs: [] }],
      [`/v1/workers/${worker}/drain`, undefined],
    ] as const) {
      await expectProblem(
        await call(path, { token: onlyA, method: "POST", ...(body ? { body } : {}) }),
        403,
        ["worker_id"],
      );
    }
    // A token without pools (and a write token) may drain any worker of the tenant.
    const drained = await callJson<{ state: string }>(
      `/v1/workers/${worker}/drain`,
      { token: any, method: "POST" },
      200,
    );
    expect(drained.state).toBe("draining");
  });
});

describe("a run's reports", () => {
  async function claimedRun(): Promise<{
    tenant: TestTenant;
    owner: string;
    other: string;
    run: Claimed;
    worker: string;
  }> {
    const { tenant } = await tenantWithRun("jobs");
    const owner = await workerToken(tenant);
    const other = await workerToken(tenant);
    const worker = workerId();
    const { runs } = await claim(owner, { worker_id: worker, pools: ["jobs"] });
    expect(runs).toHaveLength(1);
    return { tenant, owner, other, run: runs[0] as Claimed, worker };
  }

  it("are refused with 403 when they come with another token, even naming the right worker", async () => {
    const { tenant, owner, other, run, worker } = await claimedRun();
    const attempt = { worker_id: worker, attempt: run.attempt };
    for (const [action, body] of [
      ["heartbeat", attempt],
      ["complete", attempt],
      ["fail", { ...attempt, error: "not mine", retryable: false }],
    ] as const) {
      const refused = await expectProblem(await runCall(other, run.run_id, action, body), 403, [
        "authorization",
      ]);
      expect(refused.detail).toMatch(/claimed with another token/);
    }
    // A write token is another token too.
    await expectProblem(await runCall(tenant.token, run.run_id, "complete", attempt), 403);
    expect((await runDetail(tenant, run.run_id)).status).toBe("running");
    // The claiming token's report goes through.
    const done = await callJson<{ status: string }>(
      `/v1/runs/${run.run_id}/complete`,
      { token: owner, body: attempt },
      200,
    );
    expect(done.status).toBe("succeeded");
    // A repeat of the report with another token is still refused.
    await expectProblem(await runCall(other, run.run_id, "complete", attempt), 403);
  });

  it("are not renewed by another token's worker heartbeat, which is told to stop them", async () => {
    const { tenant, other, run, worker } = await claimedRun();
    const answer = await callJson<{ runs: { run_id: string; cancel: boolean }[] }>(
      `/v1/workers/${worker}/heartbeat`,
      { token: other, body: { runs: [{ run_id: run.run_id, attempt: run.attempt }] } },
      200,
    );
    expect(answer.runs).toEqual([expect.objectContaining({ run_id: run.run_id, cancel: true })]);
    expect((await runDetail(tenant, run.run_id)).status).toBe("running");
  });

  it("of a retried attempt come with the token that claimed the retry", async () => {
    const { tenant, owner, other, run, worker } = await claimedRun();
    await callJson(
      `/v1/runs/${run.run_id}/fail`,
      { token: owner, body: { worker_id: worker, attempt: 1, error: "again", retryable: true } },
      200,
    );
    let second: Claimed | undefined;
    for (let i = 0; i < 50 && !second; i++) {
      await fireAlarm(tenant.id);
      second = (await claim(other, { worker_id: "w-second", pools: ["jobs"], wait_seconds: 0.2 }))
        .runs[0];
    }
    expect(second?.attempt).toBe(2);
    const attempt = { worker_id: "w-second", attempt: 2 };
    await expectProblem(await runCall(owner, run.run_id, "complete", attempt), 403);
    await callJson(`/v1/runs/${run.run_id}/complete`, { token: other, body: attempt }, 200);
    const detail = await runDetail(tenant, run.run_id);
    expect(detail.status).toBe("succeeded");
    expect(detail.attempts).toHaveLength(2);
  });
});
