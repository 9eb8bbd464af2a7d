/**
 * Batched worker protocol: many reports in one request (`POST /v1/workers/{id}/reports`),
 * reports carried by the next claim, and one heartbeat for all of a worker's runs with per-run
 * checkpoints. Each report is answered on its own; a malformed request changes nothing.
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
  waitFor,
} from "./support/api";
import { runDetail } from "./support/runs";
import { insideScheduler } from "./support/tenant-object";
import { type Claimed, claim, createWorkerJobs, workerId, workerToken } from "./support/workers";

const FAST_RETRY = { max_attempts: 3, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.1 };

interface ReportResult {
  run_id: string;
  attempt: number;
  recorded: boolean;
  run_status: string | null;
  problem: { status: number; detail: string; errors?: { path: string }[] } | null;
}

async function premiumTenant(maxInFlight = 1000): Promise<TestTenant> {
  const tenant = await createTenant({ tier: "premium" });
  await setTenant(tenant, { max_in_flight: maxInFlight });
  return tenant;
}

/** Claims until `count` runs of `pool` are the worker's. */
async function claimRuns(
  token: string,
  worker: string,
  pool: string,
  count: number,
  fields: Record<string, unknown> = {},
): Promise<Claimed[]> {
  const got: Claimed[] = [];
  await waitFor(async () => {
    const { runs } = await claim(token, {
      worker_id: worker,
      pools: [pool],
      max: count - got.length,
      wait_seconds: 1,
      ...fields,
    });
    got.push(...runs);
    return got.length >= count;
  }, `${count} claimed runs of ${pool}`);
  return got;
}

function report(token: string, worker: string, reports: unknown[]): Promise<Response> {
  return call(`/v1/workers/${worker}/reports`, { token, body: { reports } });
}

async function reportJson(token: string, worker: string, reports: unknown[]) {
  const response = await report(token, worker, reports);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${text}`);
  return (JSON.parse(text) as { reports: ReportResult[] }).reports;
}

async function poolToken(tenant: TestTenant, pools: string[]): Promise<string> {
  return (
    await callJson<{ token: string }>(
      `/v1/admin/tenants/${tenant.id}/tokens`,
      { token: ADMIN_TOKEN, body: { scope: "worker", pools } },
      201,
    )
  ).token;
}

const paths = (result: ReportResult | undefined) => result?.problem?.errors?.map((e) => e.path);

describe("batched reports", () => {
  it("records valid complete and fail reports and refuses stale, foreign and unknown ones, each on its own", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    await createWorkerJobs(tenant, "batch", 4, { retry: FAST_RETRY });
    const worker = workerId();
    const other = workerId();
    const [a, b, c] = await claimRuns(token, worker, "batch", 3);
    const [d] = await claimRuns(token, other, "batch", 1);
    const items = [
      { kind: "complete", run_id: a?.run_id, attempt: 1, result: { frames: 3 } },
      { kind: "fail", run_id: b?.run_id, attempt: 1, error: "bad input", retryable: false },
      { kind: "complete", run_id: c?.run_id, attempt: 2 },
      { kind: "complete", run_id: d?.run_id, attempt: 1 },
      { kind: "fail", run_id: "run_unknown", attempt: 1, error: "x" },
    ];
    const results = await reportJson(token, worker, items);
    expect(results.map((r) => [r.run_id, r.recorded, r.run_status, r.problem?.status])).toEqual([
      [a?.run_id, true, "succeeded", undefined],
      [b?.run_id, true, "dead", undefined],
      [c?.run_id, false, null, 409],
      [d?.run_id, false, null, 409],
      ["run_unknown", false, null, 404],
    ]);
    expect(paths(results[2])).toEqual(["reports[2].attempt"]);
    expect(paths(results[3])).toEqual(["worker_id"]);
    expect(paths(results[4])).toEqual(["reports[4].run_id"]);
    // What was refused changed nothing: c and d still run, and their holders can still report.
    expect((await runDetail(tenant, c?.run_id as string)).status).toBe("running");
    expect((await runDetail(tenant, d?.run_id as string)).status).toBe("running");
    expect((await runDetail(tenant, a?.run_id as string)).attempts[0]?.response_body).toBe(
      JSON.stringify({ frames: 3 }),
    );
    // A repeat of the same batch (a retry after a lost answer) is answered the same.
    const again = await reportJson(token, worker, items.slice(0, 2));
    expect(again.map((r) => [r.recorded, r.run_status])).toEqual([
      [true, "succeeded"],
      [true, "dead"],
    ]);
    const [late] = await reportJson(token, worker, [
      { kind: "complete", run_id: c?.run_id, attempt: 1 },
    ]);
    expect(late).toMatchObject({ recorded: true, run_status: "succeeded", problem: null });
  });

  it("records the reports a claim carries before taking runs, so the freed slots are claimed at once", async () => {
    const tenant = await premiumTenant(2);
    const token = await workerToken(tenant);
    await createWorkerJobs(tenant, "carry", 3);
    const worker = workerId();
    const held = await claimRuns(token, worker, "carry", 2);
    // The in-flight cap (2) is full: without the reports this claim could take nothing.
    const answer = await callJson<{ runs: Claimed[]; reports: ReportResult[] }>(
      "/v1/workers/claim",
      {
        token,
        body: {
          worker_id: worker,
          pools: ["carry"],
          max: 2,
          reports: [
            ...held.map((r) => ({ kind: "complete", run_id: r.run_id, attempt: r.attempt })),
            { kind: "complete", run_id: held[0]?.run_id, attempt: 7 },
          ],
        },
      },
      200,
    );
    expect(answer.reports.map((r) => r.recorded)).toEqual([true, true, false]);
    expect(paths(answer.reports[2])).toEqual(["reports[2].attempt"]);
    expect(answer.runs).toHaveLength(1);
    expect(held.map((r) => r.run_id)).not.toContain(answer.runs[0]?.run_id);
    // A claim without reports is answered as before, without `reports`.
    const plain = await callJson<Record<string, unknown>>(
      "/v1/workers/claim",
      { token, body: { worker_id: worker, pools: ["carry"] } },
      200,
    );
    expect(plain).toEqual({ runs: [], draining: false });
  });

  it("applies a token's pools to each item: a run of another pool is refused with 403 naming it", async () => {
    const tenant = await premiumTenant();
    await createWorkerJobs(tenant, "a", 1);
    await createWorkerJobs(tenant, "b", 1);
    const onlyA = await poolToken(tenant, ["a"]);
    const onlyB = await poolToken(tenant, ["b"]);
    const plain = await workerToken(tenant);
    const worker = workerId();
    const [runA] = await claimRuns(onlyA, worker, "a", 1);
    const [runB] = await claimRuns(onlyB, workerId(), "b", 1);
    const results = await reportJson(onlyA, worker, [
      { kind: "complete", run_id: runB?.run_id, attempt: 1 },
      { kind: "complete", run_id: runA?.run_id, attempt: 1 },
    ]);
    expect(results.map((r) => [r.recorded, r.problem?.status])).toEqual([
      [false, 403],
      [true, undefined],
    ]);
    expect(paths(results[0])).toEqual(["reports[0].run_id"]);
    // A token that did not claim the attempt may not report on it either (whatever its pools).
    const stranger = workerId();
    await claim(plain, { worker_id: stranger, pools: ["b"] });
    const [byOther] = await reportJson(plain, stranger, [
      { kind: "complete", run_id: runB?.run_id, attempt: 1 },
    ]);
    expect(byOther?.problem?.status).toBe(403);
    expect(paths(byOther)).toEqual(["authorization"]);
    expect((await runDetail(tenant, runB?.run_id as string)).status).toBe("running");
    // And it may not report as a worker of pools outside its own, nor as one never seen (the
    // whole request).
    await expectProblem(
      await report(onlyB, worker, [{ kind: "complete", run_id: runA?.run_id, attempt: 1 }]),
      403,
      ["worker_id"],
    );
    await expectProblem(
      await report(plain, workerId(), [{ kind: "complete", run_id: runA?.run_id, attempt: 1 }]),
      404,
    );
  });

  it("refuses a malformed batch as a whole with a problem naming the field, storing none of it", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    await createWorkerJobs(tenant, "strict", 2);
    const worker = workerId();
    const [a, b] = await claimRuns(token, worker, "strict", 2);
    const good = { kind: "complete", run_id: a?.run_id, attempt: 1 };
    const cases: [unknown[], number, string][] = [
      [[good, good, good, { kind: "complete", run_id: b?.run_id }], 400, "reports[3].attempt"],
      [[good, { kind: "done", run_id: b?.run_id, attempt: 1 }], 400, "reports[1].kind"],
      [[good, { kind: "fail", run_id: b?.run_id, attempt: 1 }], 400, "reports[1].error"],
      [[{ ...good, extra: 1 }], 400, "reports[0].extra"],
      [Array.from({ length: 101 }, () => good), 400, "reports"],
      [[], 400, "reports"],
      [
        [good, { kind: "complete", run_id: b?.run_id, attempt: 1, result: "x".repeat(70_000) }],
        413,
        "reports[1].result",
      ],
    ];
    for (const [reports, status, path] of cases) {
      await expectProblem(await report(token, worker, reports), status, [path]);
    }
    // A claim carrying a malformed report takes no runs either.
    await createWorkerJobs(tenant, "strict", 1);
    await expectProblem(
      await call("/v1/workers/claim", {
        token,
        body: { worker_id: worker, pools: ["strict"], reports: [{ ...good, attempt: 0 }] },
      }),
      400,
      ["reports[0].attempt"],
    );
    expect((await runDetail(tenant, a?.run_id as string)).status).toBe("running");
    expect((await runDetail(tenant, b?.run_id as string)).status).toBe("running");
    const workers = await callJson<{ data: { id: string; runs_in_flight: number }[] }>(
      "/v1/workers",
      { token: tenant.token },
      200,
    );
    expect(workers.data.find((w) => w.id === worker)?.runs_in_flight).toBe(2);
  });
});

describe("one heartbeat for all of a worker's runs", () => {
  it("renews every named lease with the claim's length, keeps per-run checkpoints, and still does after a restart", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    await createWorkerJobs(tenant, "beat", 3, { timeout_seconds: 3600, retry: FAST_RETRY });
    const worker = workerId();
    const held = await claimRuns(token, worker, "beat", 3, { lease_seconds: 600 });
    const beat = () =>
      callJson<{ runs: { run_id: string; lease_expires_at: string | null; cancel: boolean }[] }>(
        `/v1/workers/${worker}/heartbeat`,
        {
          token,
          body: {
            runs: held.map((r, i) => ({
              run_id: r.run_id,
              attempt: r.attempt,
              ...(i === 0 ? { checkpoint: { step: 3 }, progress: { pct: 40 } } : {}),
            })),
          },
        },
        200,
      );
    const first = await beat();
    expect(first.runs).toHaveLength(3);
    for (const lease of first.runs) {
      expect(lease.cancel).toBe(false);
      expect(Date.parse(lease.lease_expires_at ?? "") - Date.now()).toBeGreaterThan(500_000);
    }
    // A restart: what the object loads keeps each run's lease length (600 s, not the default 30).
    await insideScheduler(tenant.id, (_s, state) => state.abort("restart for the test")).catch(
      () => {},
    );
    const second = await beat();
    for (const lease of second.runs) {
      expect(Date.parse(lease.lease_expires_at ?? "") - Date.now()).toBeGreaterThan(500_000);
    }
    // The checkpoint saved with the worker heartbeat is handed to the next attempt.
    const first0 = held[0] as Claimed;
    const [failed] = await reportJson(token, worker, [
      { kind: "fail", run_id: first0.run_id, attempt: 1, error: "try again" },
    ]);
    expect(failed?.run_status).toBe("retrying");
    let retried: Claimed | undefined;
    await waitFor(async () => {
      const { runs } = await claim(token, { worker_id: worker, pools: ["beat"], wait_seconds: 1 });
      retried = runs.find((r) => r.run_id === first0.run_id) ?? retried;
      return retried !== undefined;
    }, "the retried run claimed");
    expect(retried).toMatchObject({ attempt: 2, checkpoint: { step: 3 } });
  });

  it("refuses a checkpoint over 64 KiB with 413 naming runs[i].checkpoint, saving nothing", async () => {
    const tenant = await premiumTenant();
    const token = await workerToken(tenant);
    await createWorkerJobs(tenant, "big", 1);
    const worker = workerId();
    const [run] = await claimRuns(token, worker, "big", 1);
    await expectProblem(
      await call(`/v1/workers/${worker}/heartbeat`, {
        token,
        body: {
          runs: [{ run_id: run?.run_id, attempt: 1, checkpoint: "x".repeat(70_000) }],
        },
      }),
      413,
      ["runs[0].checkpoint"],
    );
    expect((await runDetail(tenant, run?.run_id as string)).checkpoint ?? null).toBe(null);
  });
});
