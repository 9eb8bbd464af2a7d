import { describe, expect, it } from "vitest";
import {
  call,
  callJson,
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
import { type Run, runDetail, runsOf } from "./support/runs";
import { claim, runCall, workerId, workerToken } from "./support/workers";

const NO_RETRY = { max_attempts: 1, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.1 };

function hook(name: string, params: Record<string, string | number> = {}): string {
  return sinkUrl(`/${uniqueId(name)}`, params);
}

function httpTask(key: string, url: string, fields: Record<string, unknown> = {}) {
  return { key, target: { type: "http", url }, ...fields };
}

async function createGraph(
  tenant: TestTenant,
  tasks: Record<string, unknown>[],
  fields: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  return callJson(
    "/v1/jobs",
    { token: tenant.token, body: { name: "graph", tasks, ...fields } },
    201,
  );
}

/** The job's one occurrence once it reached a final status. */
async function finishedOccurrence(tenant: TestTenant, jobId: string, what: string): Promise<Run> {
  const occurrence = await waitFor(
    async () => {
      const [run] = await runsOf(tenant, jobId);
      return run && ["succeeded", "failed", "cancelled"].includes(run.status) && run;
    },
    what,
    20_000,
  );
  return runDetail(tenant, occurrence.id);
}

function taskOf(detail: Run, key: string): Run {
  const task = (detail.tasks as Run[]).find((t) => t.key === key);
  if (!task) throw new Error(`no task ${key}`);
  return task;
}

function only(deliveries: SinkDelivery[]): SinkDelivery {
  expect(deliveries).toHaveLength(1);
  return deliveries[0] as SinkDelivery;
}

describe("task graphs: execution", () => {
  it("runs a diamond a -> (b, c) -> d: d starts after both and receives both results", async () => {
    const tenant = await createTenant();
    const urls = { a: hook("a"), b: hook("b", { delay_ms: 300 }), c: hook("c"), d: hook("d") };
    const job = await createGraph(tenant, [
      httpTask("a", urls.a),
      httpTask("b", urls.b, { depends_on: ["a"] }),
      httpTask("c", urls.c, { depends_on: ["a"], priority: "high" }),
      {
        ...httpTask("d", urls.d, { depends_on: ["b", "c"] }),
        target: { type: "http", url: urls.d, body: { x: 1 } },
      },
    ]);
    expect(job.target).toBeNull();
    expect(job.tasks.map((t: { key: string }) => t.key)).toEqual(["a", "b", "c", "d"]);
    const detail = await finishedOccurrence(tenant, job.id, "the diamond to finish");
    expect(detail.status).toBe("succeeded");
    expect(detail.parent_run_id).toBe(detail.id);
    expect(detail.tasks.map((t: Run) => [t.key, t.status])).toEqual([
      ["a", "succeeded"],
      ["b", "succeeded"],
      ["c", "succeeded"],
      ["d", "succeeded"],
    ]);
    expect(detail.edges).toEqual([
      { from: "a", to: "b" },
      { from: "a", to: "c" },
      { from: "b", to: "d" },
      { from: "c", to: "d" },
    ]);
    const [a, b, c, d] = ["a", "b", "c", "d"].map((k) => taskOf(detail, k)) as [Run, Run, Run, Run];
    expect(Date.parse(b.started_at)).toBeGreaterThanOrEqual(Date.parse(a.finished_at));
    expect(Date.parse(c.started_at)).toBeGreaterThanOrEqual(Date.parse(a.finished_at));
    const lastUpstream = Math.max(Date.parse(b.finished_at), Date.parse(c.finished_at));
    expect(Date.parse(d.started_at)).toBeGreaterThanOrEqual(lastUpstream);
    expect(d.attempts).toHaveLength(1);
    // The job's run list shows the occurrence only; the tasks are in its detail.
    expect((await runsOf(tenant, job.id)).map((r) => r.id)).toEqual([detail.id]);

    const delivered = only(await deliveriesAt(urls.d));
    expect(delivered.headers["x-scheduler-run-id"]).toBe(detail.id);
    expect(delivered.headers["x-scheduler-task"]).toBe("d");
    expect(delivered.headers["x-scheduler-task-run-id"]).toBe(d.run_id);
    expect(delivered.headers["x-scheduler-attempt"]).toBe("1");
    expect(delivered.headers["webhook-id"]).toBe(d.run_id);
    const body = JSON.parse(delivered.body);
    expect(body).toMatchObject({ run_id: detail.id, task: "d", task_run_id: d.run_id, attempt: 1 });
    expect(body.body).toEqual({ x: 1 });
    expect(body.upstream).toEqual({
      b: { type: "http", run_id: b.run_id, status_code: 200, body: "ok" },
      c: { type: "http", run_id: c.run_id, status_code: 200, body: "ok" },
    });
    const root = JSON.parse(only(await deliveriesAt(urls.a)).body);
    expect(root).toMatchObject({ task: "a", body: null, upstream: {} });
  });

  it("a dead task: downstream upstream_failed and never delivered, the other branch runs; replay re-opens", async () => {
    const tenant = await createTenant();
    // b fails its first two attempts (two attempts: dead), then succeeds when replayed.
    const urls = { a: hook("a"), b: hook("b", { fail_times: 2 }), c: hook("c"), d: hook("d") };
    const job = await createGraph(
      tenant,
      [
        httpTask("a", urls.a),
        httpTask("b", urls.b, { depends_on: ["a"], retry: { max_attempts: 2 } }),
        httpTask("c", urls.c, { depends_on: ["a"], timeout_seconds: 10 }),
        httpTask("d", urls.d, { depends_on: ["b", "c"] }),
      ],
      { retry: NO_RETRY },
    );
    const failed = await finishedOccurrence(tenant, job.id, "the occurrence to fail");
    expect(failed.status).toBe("failed");
    expect(failed.tasks.map((t: Run) => [t.key, t.status])).toEqual([
      ["a", "succeeded"],
      ["b", "dead"],
      ["c", "succeeded"],
      ["d", "upstream_failed"],
    ]);
    expect(taskOf(failed, "b").attempts).toHaveLength(2);
    expect(taskOf(failed, "d").last_error).toBe("upstream task b is dead");
    expect(await deliveriesAt(urls.d)).toEqual([]);
    const listed = await callJson<{ data: Run[] }>(
      `/v1/runs?status=failed`,
      { token: tenant.token },
      200,
    );
    expect(listed.data.map((r) => r.id)).toEqual([failed.id]);
    // The dead task is a dead letter of its own.
    const dead = await callJson<{ data: Run[] }>("/v1/dead-letters", { token: tenant.token }, 200);
    expect(dead.data.map((r) => r.task_key)).toEqual(["b"]);

    const b = taskOf(failed, "b");
    const replayed = await callJson<Run>(
      `/v1/runs/${b.run_id}/replay`,
      { token: tenant.token, method: "POST" },
      200,
    );
    expect(replayed.status).toBe("pending");
    const reopened = await runDetail(tenant, failed.id);
    expect(["running", "succeeded"]).toContain(reopened.status);
    const done = await finishedOccurrence(tenant, job.id, "the replayed occurrence to succeed");
    expect(done.status).toBe("succeeded");
    expect(done.tasks.every((t: Run) => t.status === "succeeded")).toBe(true);
    expect(await deliveriesAt(urls.c)).toHaveLength(1);
    const delivered = only(await deliveriesAt(urls.d));
    expect(JSON.parse(delivered.body).upstream.b.status_code).toBe(200);
  });

  it("cancelling the occurrence cancels every unfinished task; a task alone cannot be cancelled", async () => {
    const tenant = await createTenant();
    const job = await createGraph(tenant, [
      httpTask("slow", hook("slow", { delay_ms: 1500 })),
      httpTask("next", hook("next"), { depends_on: ["slow"] }),
    ]);
    const occurrence = await waitFor(async () => {
      const [run] = await runsOf(tenant, job.id);
      const detail = run && (await runDetail(tenant, run.id));
      return detail && taskOf(detail, "slow").status === "running" && detail;
    }, "the first task to run");
    const next = taskOf(occurrence, "next");
    const refused = await call(`/v1/runs/${next.run_id}/cancel`, {
      token: tenant.token,
      method: "POST",
    });
    expect(refused.status).toBe(409);
    await callJson(
      `/v1/runs/${occurrence.id}/cancel`,
      { token: tenant.token, method: "POST" },
      200,
    );
    const cancelled = await runDetail(tenant, occurrence.id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.tasks.map((t: Run) => t.status)).toEqual(["cancelled", "cancelled"]);
  });

  it("cancelling the job cancels its occurrences' unfinished tasks; pause holds them, resume goes on", async () => {
    const tenant = await createTenant();
    const urls = { first: hook("first", { delay_ms: 600 }), second: hook("then") };
    const paused = await createGraph(tenant, [
      httpTask("first", urls.first),
      httpTask("then", urls.second, { depends_on: ["first"] }),
    ]);
    await waitFor(async () => (await deliveriesAt(urls.first)).length === 1, "the first task");
    await callJson(`/v1/jobs/${paused.id}/pause`, { token: tenant.token, method: "POST" }, 200);
    await new Promise((r) => setTimeout(r, 1200));
    // The first task finished meanwhile; the next one is ready but held.
    const [occurrence] = await runsOf(tenant, paused.id);
    const held = await runDetail(tenant, (occurrence as Run).id);
    expect(held.status).toBe("running");
    expect(held.tasks.map((t: Run) => t.status)).toEqual(["succeeded", "pending"]);
    expect(await deliveriesAt(urls.second)).toEqual([]);
    await callJson(`/v1/jobs/${paused.id}/resume`, { token: tenant.token, method: "POST" }, 200);
    expect((await finishedOccurrence(tenant, paused.id, "the resumed graph")).status).toBe(
      "succeeded",
    );

    const cancelled = await createGraph(tenant, [
      httpTask("slow", hook("slow", { delay_ms: 1000 })),
      httpTask("after", hook("after"), { depends_on: ["slow"] }),
    ]);
    await waitFor(async () => {
      const [run] = await runsOf(tenant, cancelled.id);
      return run && taskOf(await runDetail(tenant, run.id), "slow").status === "running";
    }, "the slow task to run");
    await callJson(`/v1/jobs/${cancelled.id}`, { token: tenant.token, method: "DELETE" }, 200);
    const [run] = await runsOf(tenant, cancelled.id);
    const detail = await runDetail(tenant, (run as Run).id);
    expect(detail.status).toBe("cancelled");
    expect(detail.tasks.map((t: Run) => t.status)).toEqual(["cancelled", "cancelled"]);
  });

  it("refuses to replay a dead task of a cancelled occurrence", async () => {
    const tenant = await createTenant();
    // A worker task nobody claims keeps the occurrence running after the other task died.
    const job = await createGraph(
      tenant,
      [
        httpTask("broken", hook("broken", { status: 500 })),
        { key: "waits", target: { type: "worker", pool: uniqueId("idle") } },
      ],
      { retry: NO_RETRY },
    );
    const occurrence = await waitFor(async () => {
      const [run] = await runsOf(tenant, job.id);
      const detail = run && (await runDetail(tenant, run.id));
      return detail && taskOf(detail, "broken").status === "dead" && detail;
    }, "the broken task to die");
    expect(occurrence.status).toBe("running");
    await callJson(
      `/v1/runs/${occurrence.id}/cancel`,
      { token: tenant.token, method: "POST" },
      200,
    );
    const replay = await call(`/v1/runs/${taskOf(occurrence, "broken").run_id}/replay`, {
      token: tenant.token,
      method: "POST",
    });
    expect(replay.status).toBe(409);
  });

  it("starts 50 independent tasks in priority, then age order under an in-flight cap of 1", async () => {
    const tenant = await createTenant();
    await setTenant(tenant, { max_in_flight: 1 });
    const url = hook("fan");
    const priorities = ["low", "medium", "high"] as const;
    const tasks = Array.from({ length: 50 }, (_, i) =>
      httpTask(`t${i}`, url, { priority: priorities[(i * 7) % 3] }),
    );
    const job = await createGraph(tenant, tasks);
    const detail = await finishedOccurrence(tenant, job.id, "50 tasks to finish");
    expect(detail.status).toBe("succeeded");
    const rank = { high: 0, medium: 1, low: 2 };
    const expected = tasks
      .map((t, i) => ({ key: t.key, rank: rank[priorities[(i * 7) % 3] as keyof typeof rank], i }))
      .sort((x, y) => x.rank - y.rank || x.i - y.i)
      .map((t) => t.key);
    const started = (detail.tasks as Run[])
      .slice()
      .sort((x, y) => Date.parse(x.started_at) - Date.parse(y.started_at))
      .map((t) => t.key);
    expect(started).toEqual(expected);
    // Never two at once: each starts after the previous one finished.
    const byStart = (detail.tasks as Run[])
      .slice()
      .sort((x, y) => Date.parse(x.started_at) - Date.parse(y.started_at));
    for (let i = 1; i < byStart.length; i++)
      expect(Date.parse(byStart[i]?.started_at)).toBeGreaterThanOrEqual(
        Date.parse(byStart[i - 1]?.finished_at),
      );
  }, 60_000);

  it("a 1-second cron graph with overlap skip never has two occurrences at once", async () => {
    const tenant = await createTenant();
    const job = await createGraph(
      tenant,
      [
        httpTask("first", hook("first", { delay_ms: 1200 })),
        httpTask("second", hook("second", { delay_ms: 300 }), { depends_on: ["first"] }),
      ],
      { schedule: { cron: "* * * * * *" }, overlap: "skip" },
    );
    await waitFor(
      async () =>
        (await runsOf(tenant, job.id)).filter((r) => r.status === "succeeded").length >= 2,
      "two occurrences to finish",
      20_000,
    );
    await callJson(`/v1/jobs/${job.id}/pause`, { token: tenant.token, method: "POST" }, 200);
    const runs = await runsOf(tenant, job.id);
    expect(runs.some((r) => r.status === "skipped")).toBe(true);
    const executed = runs.filter((r) => r.status !== "skipped" && r.status !== "missed");
    const spans = await Promise.all(
      executed.map(async (r) => {
        const d = await runDetail(tenant, r.id);
        const starts = (d.tasks as Run[]).map((t) => t.started_at).filter(Boolean);
        const ends = (d.tasks as Run[]).map((t) => t.finished_at).filter(Boolean);
        return {
          start: Math.min(...starts.map(Date.parse)),
          end: ends.length === d.tasks.length ? Math.max(...ends.map(Date.parse)) : Infinity,
        };
      }),
    );
    spans.sort((x, y) => x.start - y.start);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]?.start).toBeGreaterThanOrEqual(spans[i - 1]?.end as number);
  }, 40_000);

  it("runs a graph with a worker task: the worker gets the upstream response, the next task its result", async () => {
    const tenant = await createTenant();
    const token = await workerToken(tenant);
    const pool = uniqueId("etl");
    const urls = { extract: hook("extract"), load: hook("load") };
    const job = await createGraph(tenant, [
      httpTask("extract", urls.extract),
      {
        key: "orders",
        target: { type: "worker", pool, payload: { table: "orders" } },
        depends_on: ["extract"],
      },
      httpTask("load", urls.load, { depends_on: ["orders"] }),
    ]);
    const worker = workerId();
    const claimed = await waitFor(async () => {
      const { runs } = await claim(token, { worker_id: worker, pools: [pool], wait_seconds: 1 });
      return runs[0];
    }, "the worker task to be claimable");
    const occurrence = (await runsOf(tenant, job.id))[0] as Run;
    expect(claimed.payload).toEqual({ table: "orders" });
    expect((claimed as unknown as { task: unknown }).task).toMatchObject({
      run_id: occurrence.id,
      key: "orders",
      upstream: { extract: { type: "http", status_code: 200, body: "ok" } },
    });
    const done = await runCall(token, claimed.run_id, "complete", {
      worker_id: worker,
      attempt: 1,
      result: { rows: 42 },
    });
    expect(done.status).toBe(200);
    const detail = await finishedOccurrence(tenant, job.id, "the graph to finish");
    expect(detail.status).toBe("succeeded");
    expect(taskOf(detail, "orders").worker_id).toBe(worker);
    const body = JSON.parse(only(await deliveriesAt(urls.load)).body);
    expect(body.upstream).toEqual({
      orders: { type: "worker", run_id: claimed.run_id, result: { rows: 42 } },
    });
  });
});

describe("task graphs: the job", () => {
  it("previews the graph's order and shows the tasks on the job", async () => {
    const tenant = await createTenant();
    const job = await createGraph(
      tenant,
      [
        httpTask("load", hook("l"), { depends_on: ["orders", "customers"] }),
        httpTask("customers", hook("c"), { depends_on: ["extract"] }),
        httpTask("orders", hook("o"), { depends_on: ["extract"] }),
        httpTask("extract", hook("e")),
      ],
      { schedule: { cron: "0 2 * * *", timezone: "Europe/Berlin" } },
    );
    expect(job.name).toBe("graph");
    const preview = await callJson<{ task_order: string[]; fire_times: string[] }>(
      `/v1/jobs/${job.id}/preview?count=2`,
      { token: tenant.token },
      200,
    );
    expect(preview.task_order).toEqual(["extract", "customers", "orders", "load"]);
    expect(preview.fire_times).toHaveLength(2);
    const patched = await call(`/v1/jobs/${job.id}`, {
      token: tenant.token,
      method: "PATCH",
      body: { target: { type: "http", url: hook("x") } },
    });
    expect(patched.status).toBe(400);
  });
});

describe("task graphs: validation", () => {
  const t = (key: string, depends_on: string[] = [], fields: Record<string, unknown> = {}) =>
    httpTask(key, hook(key), { depends_on, ...fields });
  const cases: [string, Record<string, unknown>, string][] = [
    ["a cycle", { tasks: [t("a", ["c"]), t("b", ["a"]), t("c", ["b"])] }, "tasks[1].depends_on[0]"],
    ["an unknown key", { tasks: [t("a"), t("b", ["a", "nope"])] }, "tasks[1].depends_on[1]"],
    ["a duplicate key", { tasks: [t("a"), t("a")] }, "tasks[1].key"],
    ["a self-dependency", { tasks: [t("a", ["a"])] }, "tasks[0].depends_on[0]"],
    [
      "a dependency listed twice",
      { tasks: [t("a"), t("b", ["a", "a"])] },
      "tasks[1].depends_on[1]",
    ],
    ["more than 100 tasks", { tasks: Array.from({ length: 101 }, (_, i) => t(`k${i}`)) }, "tasks"],
    [
      "both target and tasks",
      { target: { type: "http", url: hook("x") }, tasks: [t("a")] },
      "tasks",
    ],
    ["neither target nor tasks", {}, "target"],
    ["no tasks", { tasks: [] }, "tasks"],
    ["a bad key", { tasks: [t("a b")] }, "tasks[0].key"],
    [
      "an http task timeout over 900 s",
      { tasks: [t("a", [], { timeout_seconds: 1000 })] },
      "tasks[0].timeout_seconds",
    ],
  ];

  it.each(cases)(
    "refuses %s with a 400 naming the place, storing nothing",
    async (_, body, path) => {
      const tenant = await createTenant();
      const response = await call("/v1/jobs", {
        token: tenant.token,
        body: { name: "g", ...body },
      });
      const problem = await expectProblem(response, 400, [path]);
      expect(problem.detail).toContain(path);
      const jobs = await callJson<{ data: unknown[] }>("/v1/jobs", { token: tenant.token }, 200);
      expect(jobs.data).toEqual([]);
    },
  );

  it("names the batch entry, and a task priority the tier does not allow", async () => {
    const tenant = await createTenant({ tier: "free" });
    const batch = await call("/v1/jobs/batch", {
      token: tenant.token,
      body: { jobs: [{ tasks: [t("a"), t("b", ["c"])] }] },
    });
    await expectProblem(batch, 400, ["jobs[0].tasks[1].depends_on[0]"]);
    const tier = await call("/v1/jobs", {
      token: tenant.token,
      body: { tasks: [t("a"), t("b", ["a"], { priority: "high" })] },
    });
    await expectProblem(tier, 403, ["tasks[1].priority"]);
    const jobs = await callJson<{ data: unknown[] }>("/v1/jobs", { token: tenant.token }, 200);
    expect(jobs.data).toEqual([]);
  });
});
