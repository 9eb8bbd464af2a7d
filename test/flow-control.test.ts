/**
 * Flow control inside a tenant: limits per flow key and per destination host (running at once,
 * rate), fair turns between keys, waiting reasons, trigger overrides, changes while runs wait, and
 * restarts. Deliveries go to the real sink; concurrency is read from what it received.
 */
import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createJob,
  createTenant,
  deliveriesAt,
  expectProblem,
  type SinkDelivery,
  setTenant,
  sinkUrl,
  type TestTenant,
  uniqueId,
  waitFor,
} from "./support/api";
import { runDetail, runsOf } from "./support/runs";
import { insideScheduler } from "./support/tenant-object";
import { claim, createWorkerJob, runCall, workerId, workerToken } from "./support/workers";

async function premium(maxInFlight = 100): Promise<TestTenant> {
  const tenant = await createTenant({ tier: "premium" });
  await setTenant(tenant, { max_in_flight: maxInFlight });
  return tenant;
}

async function putKey(
  tenant: TestTenant,
  key: string,
  limits: unknown,
): Promise<Record<string, any>> {
  return callJson(
    `/v1/flow-keys/${encodeURIComponent(key)}`,
    { token: tenant.token, method: "PUT", body: limits },
    200,
  );
}

/** Jobs due now (one batch) to `url`, each under `key`. */
async function dueJobs(tenant: TestTenant, url: string, key: string | null, count: number) {
  const jobs = Array.from({ length: count }, (_, i) => ({
    name: `${key ?? "none"}-${i}`,
    target: { type: "http", url },
    ...(key ? { flow_key: key } : {}),
  }));
  const { data } = await callJson<{ data: { id: string }[] }>(
    "/v1/jobs/batch",
    { token: tenant.token, body: { jobs } },
    201,
  );
  return data;
}

/** The most deliveries the sink was answering at once. */
function mostAtOnce(deliveries: SinkDelivery[]): number {
  const edges = deliveries.flatMap((d) => [
    [d.received_at, 1],
    [d.finished_at ?? Number.POSITIVE_INFINITY, -1],
  ]);
  edges.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let now = 0;
  let most = 0;
  for (const [, delta] of edges) {
    now += delta as number;
    most = Math.max(most, now);
  }
  return most;
}

describe("flow keys", () => {
  it("never has more of a key's runs in flight than its max_running, and says why the others wait", async () => {
    const tenant = await premium();
    await putKey(tenant, "hot", { max_running: 2 });
    const url = sinkUrl(`/${uniqueId("hot")}`, { delay_ms: 400 });
    const jobs = await dueJobs(tenant, url, "hot", 6);
    const waiting = await waitFor(async () => {
      const runs = (await Promise.all(jobs.map((j) => runsOf(tenant, j.id)))).flat();
      const held = runs.filter((r) => r.waiting_reason === "flow_key");
      return held.length > 0 ? held : undefined;
    }, "a run waiting for its key");
    expect(waiting[0]).toMatchObject({ status: "pending", flow_key: "hot", attempt: 0 });
    const usage = await callJson<Record<string, any>>(
      "/v1/flow-keys/hot",
      { token: tenant.token },
      200,
    );
    expect(usage).toMatchObject({ key: "hot", own_limits: true, limits: { max_running: 2 } });
    expect(usage.running).toBeLessThanOrEqual(2);
    await waitFor(async () => (await deliveriesAt(url)).length === 6, "six deliveries");
    expect(mostAtOnce(await deliveriesAt(url))).toBeLessThanOrEqual(2);
    // Waiting for the key used no attempt.
    for (const job of jobs) expect((await runsOf(tenant, job.id))[0]?.attempt).toBe(1);
  });

  it("starts no more of a key's runs per period than its rate and burst allow", async () => {
    const tenant = await premium();
    await putKey(tenant, "paced", { rate: { limit: 2, period_seconds: 1, burst: 2 } });
    const url = sinkUrl(`/${uniqueId("paced")}`);
    await dueJobs(tenant, url, "paced", 6);
    await waitFor(async () => (await deliveriesAt(url)).length === 6, "six deliveries", 20_000);
    const times = (await deliveriesAt(url)).map((d) => d.received_at).sort((a, b) => a - b);
    // Any window of one period holds at most burst + limit (tokens refilled during it).
    for (const start of times) {
      const inWindow = times.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(4);
    }
    // Six runs at 2 a second after a burst of 2 take at least 2 seconds.
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(1500);
  });

  it("gives a key with one waiting run its turn before a key with many (keys in turn, then age)", async () => {
    const tenant = await premium(1);
    const token = await workerToken(tenant);
    const hot = await Promise.all(
      [1, 2, 3, 4].map(() => createWorkerJob(tenant, "turns", { flow_key: "hot" })),
    );
    const cold = await createWorkerJob(tenant, "turns", { flow_key: "cold" });
    const order: string[] = [];
    const worker = workerId();
    for (let i = 0; i < 5; i++) {
      let taken: { run_id: string; job_id: string } | undefined;
      await waitFor(async () => {
        [taken] = (
          await claim(token, { worker_id: worker, pools: ["turns"], wait_seconds: 1 })
        ).runs;
        return taken !== undefined;
      }, `claim ${i}`);
      order.push(taken?.job_id === cold.id ? "cold" : "hot");
      await runCall(token, taken?.run_id as string, "complete", { worker_id: worker, attempt: 1 });
    }
    // The tenant's cap of 1 makes every run wait for a slot: the cold key gets the second.
    expect(order).toEqual(["hot", "cold", "hot", "hot", "hot"]);
    expect(hot).toHaveLength(4);
  });

  it("counts a triggered run under the key the trigger names, and runs without a key apart", async () => {
    const tenant = await premium();
    const job = await createJob(tenant, { schedule: { cron: "0 0 1 1 *" }, flow_key: "job-key" });
    const run = await callJson<Record<string, any>>(
      `/v1/jobs/${job.id}/trigger`,
      { token: tenant.token, body: { flow_key: "other" } },
      202,
    );
    expect(run.flow_key).toBe("other");
    const plain = await callJson<Record<string, any>>(
      `/v1/jobs/${job.id}/trigger`,
      { token: tenant.token, method: "POST" },
      202,
    );
    expect(plain.flow_key).toBe("job-key");
    const none = await callJson<Record<string, any>>(
      `/v1/jobs/${job.id}/trigger`,
      { token: tenant.token, body: { flow_key: null } },
      202,
    );
    expect(none.flow_key).toBeNull();
  });

  it("moves a job's waiting runs to its new key, and starts them when limits are raised", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    await putKey(tenant, "narrow", { max_running: 1 });
    const worker = workerId();
    await createWorkerJob(tenant, "rekey", { flow_key: "narrow" });
    await waitFor(
      async () =>
        (await claim(token, { worker_id: worker, pools: ["rekey"], wait_seconds: 1 })).runs
          .length === 1,
      "the key's first run claimed",
    );
    // The key is full: the next job's run waits, visibly, and no claim gets it.
    const second = await createWorkerJob(tenant, "rekey", { flow_key: "narrow" });
    const waiting = await waitFor(async () => {
      const [r] = await runsOf(tenant, second.id);
      return r?.waiting_reason === "flow_key" ? r : undefined;
    }, "the second run waiting for its key");
    expect((await claim(token, { worker_id: workerId(), pools: ["rekey"], max: 5 })).runs).toEqual(
      [],
    );
    // Moved to a key with room, it is claimed.
    await callJson(
      `/v1/jobs/${second.id}`,
      { token: tenant.token, method: "PATCH", body: { flow_key: "wide" } },
      200,
    );
    expect((await runDetail(tenant, waiting.id)).flow_key).toBe("wide");
    const [moved] = (await claim(token, { worker_id: workerId(), pools: ["rekey"], max: 5 })).runs;
    expect(moved?.run_id).toBe(waiting.id);
    // A third run under "narrow" waits until the limit is raised.
    const third = await createWorkerJob(tenant, "rekey", { flow_key: "narrow" });
    const runs = await waitFor(async () => {
      const [r] = await runsOf(tenant, third.id);
      return r?.waiting_reason === "flow_key" ? r : undefined;
    }, "the third run waiting");
    await putKey(tenant, "narrow", { max_running: 2 });
    const [raised] = (await claim(token, { worker_id: workerId(), pools: ["rekey"], max: 5 })).runs;
    expect(raised?.run_id).toBe(runs.id);
  });

  it("applies the tenant's default to keys without limits of their own", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    await callJson(
      `/v1/admin/tenants/${tenant.id}`,
      { token: ADMIN_TOKEN, method: "PATCH", body: { default_flow_limits: { max_running: 1 } } },
      200,
    );
    await createWorkerJob(tenant, "default", { flow_key: "customer-1" });
    await createWorkerJob(tenant, "default", { flow_key: "customer-1" });
    await createWorkerJob(tenant, "default", { flow_key: "customer-2" });
    await createWorkerJob(tenant, "default");
    const taken: { flow_key?: string }[] = [];
    await waitFor(async () => {
      const { runs } = await claim(token, { worker_id: workerId(), pools: ["default"], max: 10 });
      taken.push(...(runs as never[]));
      return taken.length >= 3;
    }, "three runs claimed");
    // One of customer-1's two, customer-2's, and the run without a key (no default applies).
    expect(taken).toHaveLength(3);
    const usage = await callJson<Record<string, any>>(
      "/v1/flow-keys/customer-1",
      { token: tenant.token },
      200,
    );
    expect(usage).toMatchObject({
      own_limits: false,
      limits: { max_running: 1 },
      running: 1,
      waiting: 1,
    });
  });

  it("keeps limits, usage and rate tokens across a restart of the object", async () => {
    const tenant = await premium();
    const token = await workerToken(tenant);
    await putKey(tenant, "kept", { max_running: 1, rate: { limit: 1, period_seconds: 3600 } });
    await createWorkerJob(tenant, "kept", { flow_key: "kept" });
    await createWorkerJob(tenant, "kept", { flow_key: "kept" });
    await waitFor(
      async () =>
        (await claim(token, { worker_id: workerId(), pools: ["kept"] })).runs.length === 1,
      "one run claimed",
    );
    const before = await callJson<Record<string, any>>(
      "/v1/flow-keys/kept",
      { token: tenant.token },
      200,
    );
    expect(before).toMatchObject({ running: 1, waiting: 1, rate_tokens: 0 });
    await insideScheduler(tenant.id, (_s, state) => state.abort("restart for the test")).catch(
      () => {},
    );
    const after = await callJson<Record<string, any>>(
      "/v1/flow-keys/kept",
      { token: tenant.token },
      200,
    );
    expect(after).toMatchObject({ running: 1, waiting: 1, rate_tokens: 0 });
    expect((await claim(token, { worker_id: workerId(), pools: ["kept"] })).runs).toEqual([]);
  });

  it("lists keys and destinations with limits or runs, and removes limits", async () => {
    const tenant = await premium();
    await putKey(tenant, "b-key", { max_running: 3 });
    await putKey(tenant, "a-key", { rate: { limit: 10, period_seconds: 60 } });
    const page = await callJson<{ data: Record<string, any>[]; next_cursor: string | null }>(
      "/v1/flow-keys?limit=1",
      { token: tenant.token },
      200,
    );
    expect(page.data.map((k) => k.key)).toEqual(["a-key"]);
    expect(page.next_cursor).toBe("a-key");
    await callJson(
      "/v1/destinations/api.example.com",
      { token: tenant.token, method: "PUT", body: { max_running: 5 } },
      200,
    );
    const hosts = await callJson<{ data: Record<string, any>[] }>(
      "/v1/destinations",
      { token: tenant.token },
      200,
    );
    expect(hosts.data).toEqual([
      expect.objectContaining({ host: "api.example.com", limits: { max_running: 5 }, running: 0 }),
    ]);
    expect(
      (await call("/v1/flow-keys/b-key", { token: tenant.token, method: "DELETE" })).status,
    ).toBe(204);
    await expectProblem(
      await call("/v1/flow-keys/b-key", { token: tenant.token, method: "DELETE" }),
      404,
    );
  });

  it("refuses bad keys and limits with a problem naming the field, storing nothing", async () => {
    const tenant = await premium();
    await expectProblem(
      await call("/v1/flow-keys/hot", { token: tenant.token, method: "PUT", body: {} }),
      400,
    );
    await expectProblem(
      await call("/v1/flow-keys/hot", {
        token: tenant.token,
        method: "PUT",
        body: { max_running: 0 },
      }),
      400,
      ["max_running"],
    );
    await expectProblem(
      await call("/v1/flow-keys/hot", {
        token: tenant.token,
        method: "PUT",
        body: { rate: { limit: 5, period_seconds: 3601 } },
      }),
      400,
      ["rate.period_seconds"],
    );
    await expectProblem(
      await call(`/v1/flow-keys/${"x".repeat(129)}`, { token: tenant.token, method: "GET" }),
      400,
      ["key"],
    );
    await expectProblem(
      await call("/v1/jobs", {
        token: tenant.token,
        body: { target: { type: "http", url: "https://example.com/x" }, flow_key: "has space" },
      }),
      400,
      ["flow_key"],
    );
    await expectProblem(
      await call("/v1/destinations/Not_A_Host", {
        token: tenant.token,
        method: "PUT",
        body: { max_running: 1 },
      }),
      400,
      ["host"],
    );
    const keys = await callJson<{ data: unknown[] }>("/v1/flow-keys", { token: tenant.token }, 200);
    expect(keys.data).toEqual([]);
  });
});

describe("destinations", () => {
  it("caps what the tenant sends to one host, whatever the keys", async () => {
    const tenant = await premium();
    const url = sinkUrl(`/${uniqueId("host")}`, { delay_ms: 300 });
    const host = new URL(url).host;
    await callJson(
      `/v1/destinations/${host}`,
      { token: tenant.token, method: "PUT", body: { max_running: 1 } },
      200,
    );
    await dueJobs(tenant, url, "k1", 2);
    await dueJobs(tenant, url, "k2", 2);
    await waitFor(async () => {
      const runs = await callJson<{ data: Record<string, any>[] }>(
        "/v1/runs?status=pending",
        { token: tenant.token },
        200,
      );
      return runs.data.some((r) => r.waiting_reason === "destination");
    }, "a run waiting for its destination");
    await waitFor(async () => (await deliveriesAt(url)).length === 4, "four deliveries");
    expect(mostAtOnce(await deliveriesAt(url))).toBe(1);
  });
});
