/**
 * The typed client against the real system (`npm run dev`, wrangler's local Workers runtime with
 * its Durable Objects and Queues), delivering to a real HTTP sink. No fetch is mocked.
 */
import { describe, expect, it } from "vitest";
import {
  type JobInput,
  operations,
  SchedulerClient,
  SchedulerConnectionError,
  SchedulerProblem,
  type TargetInput,
  verifyWebhook,
  verifyWebhookSignature,
  WebhookVerificationError,
} from "../src/client/index.ts";
import {
  adminClient,
  createTenant,
  deliveriesAt,
  sinkUrl,
  uniqueId,
  waitFor,
} from "./support/fixtures.ts";

const job = (fields: Partial<JobInput> = {}): JobInput => ({
  name: "client test",
  target: { type: "http", url: sinkUrl() },
  ...fields,
});

describe("route table", () => {
  it("names exactly the routes of the running API's OpenAPI document", async () => {
    const document = (await (await fetch(`${adminClient().baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const served = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const named = Object.values(operations)
      .map((op) => `${op.method} ${op.path}`)
      .sort();
    // A route the API gained must be added to src/client/operations.ts (and one it lost removed).
    expect({
      servedButNotInTheClient: served.filter((r) => !named.includes(r)),
      inTheClientButNotServed: named.filter((r) => !served.includes(r)),
    }).toEqual({ servedButNotInTheClient: [], inTheClientButNotServed: [] });
  });
});

describe("SchedulerClient", () => {
  it("creates a tenant, then jobs with its token; reads them back typed", async () => {
    const { tenant, client } = await createTenant();
    expect(tenant.token).toMatch(/^sched\./);
    expect(tenant.signing_secret).toMatch(/^whsec_/);
    expect(await adminClient().tenants.get(tenant.id)).toMatchObject({ id: tenant.id });

    const created = await client.jobs.create(
      job({ schedule: { cron: "0 3 * * *", timezone: "europe/berlin" } }),
    );
    expect(created.schedule?.timezone).toBe("Europe/Berlin");
    const read = await client.jobs.get(created.id);
    expect(read).toEqual(created);
    const preview = await client.jobs.preview(created.id, 3);
    expect(preview.fire_times).toHaveLength(3);
  });

  it("walks every page with for await, following next_cursor", async () => {
    const { client } = await createTenant();
    const jobs = await client.jobs.createBatch(
      Array.from({ length: 7 }, (_, i) =>
        job({ name: `page ${i}`, schedule: { cron: "0 3 * * *" } }),
      ),
    );
    const pages: number[] = [];
    for await (const page of client.jobs.list({ limit: 3 }).pages()) pages.push(page.data.length);
    expect(pages).toEqual([3, 3, 1]);
    const names: string[] = [];
    for await (const item of client.jobs.list({ limit: 2 })) names.push(item.name);
    expect(names).toEqual(jobs.map((j) => j.name));
    expect(await client.jobs.list({ limit: 2 }).toArray(5)).toHaveLength(5);
    const first = await client.jobs.list({ limit: 4 }).page();
    expect(first.data).toHaveLength(4);
    expect(first.next_cursor).not.toBeNull();
  });

  it("sends an Idempotency-Key: the same key and body give back the first job", async () => {
    const { client } = await createTenant();
    const key = uniqueId("key");
    const input = job({ schedule: { cron: "0 3 * * *" } });
    const first = await client.jobs.create(input, { idempotencyKey: key });
    const again = await client.jobs.create(input, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    const other = await client.jobs
      .create({ ...input, name: "another body" }, { idempotencyKey: key })
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(SchedulerProblem);
    expect((other as SchedulerProblem).status).toBe(409);
    expect(await client.jobs.list().toArray()).toHaveLength(1);
  });

  it("throws a typed SchedulerProblem naming each failing field", async () => {
    const { client } = await createTenant();
    const error = await client.jobs
      .create({
        schedule: { cron: "61 * * * *" },
        target: { type: "http", url: "not a url" },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchedulerProblem);
    const problem = error as SchedulerProblem;
    expect(problem.status).toBe(400);
    expect(problem.isClientError).toBe(true);
    expect(problem.title).toBe("Invalid request");
    expect(problem.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(["schedule.cron", "target.url"]),
    );
    expect(problem.request).toBe("POST /v1/jobs");

    const missing = (await client.jobs
      .get("job_nope")
      .catch((e: unknown) => e)) as SchedulerProblem;
    expect(missing.status).toBe(404);
    const unauthorized = (await client
      .withToken("sched.nobody.0000000000000000.x")
      .jobs.get("job_nope")
      .catch((e: unknown) => e)) as SchedulerProblem;
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.detail).toBeTruthy();
  });

  it("changes a job only at the version given (If-Match), else 412", async () => {
    const { client } = await createTenant();
    const created = await client.jobs.create(job({ schedule: { cron: "0 3 * * *" } }));
    const changed = await client.jobs.update(
      created.id,
      { name: "renamed" },
      { ifVersion: created.version },
    );
    expect(changed.name).toBe("renamed");
    const stale = (await client.jobs
      .update(created.id, { name: "lost update" }, { ifVersion: created.version })
      .catch((e: unknown) => e)) as SchedulerProblem;
    expect(stale.status).toBe(412);
    expect((await client.jobs.pause(created.id)).status).toBe("paused");
    expect((await client.jobs.resume(created.id)).status).toBe("active");
    expect((await client.jobs.cancel(created.id)).status).toBe("cancelled");
  });

  it("waits out 429s as Retry-After says, a bounded number of times", async () => {
    const { tenant } = await createTenant("free");
    const retries: number[] = [];
    const patient = new SchedulerClient({
      baseUrl: adminClient().baseUrl,
      token: tenant.token,
      maxRetries: 5,
      onRetry: (event) => {
        expect(event.reason).toBe("rate_limited");
        retries.push(event.delaySeconds);
      },
    });
    const strict = new SchedulerClient({
      baseUrl: adminClient().baseUrl,
      token: tenant.token,
      maxRetries: 0,
    });
    // The free tier allows 120 requests a minute, bursting to 120: spend them until refused. Right
    // after a 429 the bucket holds less than a token (one comes every 0.5 s), so the patient
    // client's next call is refused too and waits; tried again in the rare case it was not.
    for (let round = 0; round < 3 && retries.length === 0; round++) {
      let refused: SchedulerProblem | undefined;
      for (let sent = 0; !refused && sent < 400; sent += 20) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, () => strict.metrics().catch((e: unknown) => e)),
        );
        refused = answers.find((a): a is SchedulerProblem => a instanceof SchedulerProblem);
      }
      if (!refused) throw new Error("never rate limited");
      expect(refused.status).toBe(429);
      expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
      expect(await patient.metrics()).toContain("scheduler_runs_in_flight");
    }
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((s) => s >= 1)).toBe(true);
  });

  it("throws SchedulerConnectionError when nothing answers, after retrying a GET", async () => {
    const events: string[] = [];
    const client = new SchedulerClient({
      baseUrl: "http://127.0.0.1:1",
      token: "x",
      maxConnectionRetries: 1,
      onRetry: (e) => events.push(e.reason),
    });
    const error = await client.jobs.get("job_x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchedulerConnectionError);
    expect(events).toEqual(["no_answer"]);
    // A POST without an Idempotency-Key is never sent twice.
    events.length = 0;
    await client.jobs.create(job()).catch(() => undefined);
    expect(events).toEqual([]);
  });

  it("triggers a run that reaches the sink signed; verifyWebhook accepts it, and both secrets during a rotation", async () => {
    const { tenant, client } = await createTenant();
    const url = sinkUrl();
    const created = await client.jobs.create(
      job({
        target: { type: "http", url, body: { hello: "world" } },
        schedule: { cron: "0 3 * * *" },
      }),
    );
    const run = await client.jobs.trigger(created.id);
    const done = await waitFor(async () => {
      const r = await client.runs.get(run.id);
      return r.status === "succeeded" && r;
    }, "the triggered run to succeed");
    expect(done.attempts[0]?.status_code).toBe(200);

    const [delivery] = await deliveriesAt(url);
    if (!delivery) throw new Error("no delivery");
    const verified = await verifyWebhookSignature(
      { headers: delivery.headers, body: delivery.body },
      tenant.signing_secret,
    );
    expect(verified.runId).toBe(run.id);
    expect(verified.attempt).toBe(1);
    expect(verified.payload).toEqual({ hello: "world" });

    // As a Request (Workers, Deno, Bun): the same check.
    const request = new Request("https://receiver.example/hook", {
      method: "POST",
      headers: delivery.headers,
      body: delivery.body,
    });
    expect((await verifyWebhook(request, tenant.signing_secret)).id).toBe(verified.id);

    // Another secret, or a delivery replayed much later, is refused.
    const wrong = await verifyWebhookSignature(
      { headers: delivery.headers, body: delivery.body },
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ).catch((e: unknown) => e);
    expect((wrong as WebhookVerificationError).reason).toBe("no_matching_signature");
    const late = await verifyWebhookSignature(
      { headers: delivery.headers, body: delivery.body },
      tenant.signing_secret,
      { now: Date.now() + 3_600_000 },
    ).catch((e: unknown) => e);
    expect((late as WebhookVerificationError).reason).toBe("timestamp_too_old");
    const tampered = await verifyWebhookSignature(
      { headers: delivery.headers, body: delivery.body.replace("world", "w0rld") },
      tenant.signing_secret,
    ).catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(WebhookVerificationError);

    // Rotation: deliveries carry a signature per secret; a receiver with either accepts them.
    const rotated = await adminClient().tenants.rotateSigningSecret(tenant.id, {
      overlap_seconds: 3600,
    });
    expect(rotated.signing_secret).toMatch(/^whsec_/);
    const second = await client.jobs.trigger(created.id);
    await waitFor(
      async () => (await client.runs.get(second.id)).status === "succeeded",
      "the second run",
    );
    const after = (await deliveriesAt(url)).find(
      (d) => d.headers["x-scheduler-run-id"] === second.id,
    );
    if (!after) throw new Error("no delivery of the second run");
    expect(after.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    for (const secret of [tenant.signing_secret, rotated.signing_secret])
      expect(
        (await verifyWebhookSignature({ headers: after.headers, body: after.body }, secret)).runId,
      ).toBe(second.id);
  });

  it("replays a dead letter, which then succeeds", async () => {
    const { client } = await createTenant();
    // The sink answers 500 to each run's first attempt, 200 after.
    const created = await client.jobs.create(
      job({
        target: { type: "http", url: sinkUrl(undefined, "fail_times=1") },
        retry: { max_attempts: 1 },
      }),
    );
    const dead = await waitFor(async () => {
      const [first] = await client.deadLetters.list({ job_id: created.id }).toArray();
      return first;
    }, "the run to be dead");
    expect(dead.status).toBe("dead");
    const replayed = await client.deadLetters.replay(dead.id);
    expect(replayed.id).toBe(dead.id);
    const detail = await waitFor(async () => {
      const r = await client.runs.get(dead.id);
      return r.status === "succeeded" && r;
    }, "the replayed run to succeed");
    expect(detail.attempts.map((a) => a.outcome)).toEqual(["failed", "succeeded"]);
    expect(await client.deadLetters.list({ job_id: created.id }).toArray()).toEqual([]);
  });

  it("serves pull workers: claim, heartbeat with a checkpoint, complete, fail, list, drain", async () => {
    const { tenant, client } = await createTenant();
    const pool = uniqueId("pool");
    const worker = adminClient().withToken(
      (await adminClient().tokens.issue(tenant.id, "worker")).token,
    );
    const created = await client.jobs.create({
      target: { type: "worker", pool, payload: { n: 1 } },
      schedule: { cron: "0 3 * * *" },
    });
    const triggered = await client.jobs.trigger(created.id);
    const claimed = await worker.workers.claim({ worker_id: "w1", pools: [pool], wait_seconds: 5 });
    expect(claimed.draining).toBe(false);
    expect(claimed.runs).toEqual([
      expect.objectContaining({ run_id: triggered.id, attempt: 1, pool, payload: { n: 1 } }),
    ]);
    const lease = await worker.runs.heartbeat(triggered.id, {
      worker_id: "w1",
      attempt: 1,
      checkpoint: { step: 2 },
    });
    expect(lease).toMatchObject({ run_id: triggered.id, cancel: false });
    const beat = await worker.workers.heartbeat("w1", [{ run_id: triggered.id, attempt: 1 }]);
    expect(beat.runs.map((r) => r.run_id)).toEqual([triggered.id]);
    expect((await client.workers.list()).map((w) => [w.id, w.runs_in_flight])).toEqual([["w1", 1]]);
    const done = await worker.runs.complete(triggered.id, { worker_id: "w1", attempt: 1 });
    expect(done.status).toBe("succeeded");

    const second = await client.jobs.trigger(created.id);
    await worker.workers.claim({ worker_id: "w1", pools: [pool], wait_seconds: 5 });
    const failed = await worker.runs.fail(second.id, {
      worker_id: "w1",
      attempt: 1,
      error: "no",
      retryable: false,
    });
    expect(failed.status).toBe("dead");
    expect((await client.workers.drain("w1")).state).toBe("draining");
    const after = await worker.workers.claim({ worker_id: "w1", pools: [pool] });
    expect(after).toEqual({ runs: [], draining: true });
  });

  it("covers the admin routes: tenants, tokens, metrics, health", async () => {
    const admin = adminClient();
    const { tenant } = await createTenant();
    const listed = await admin.tenants.list({ limit: 200 }).toArray();
    expect(listed.map((t) => t.id)).toContain(tenant.id);
    const updated = await admin.tenants.update(tenant.id, { tier: "premium", max_in_flight: 5 });
    expect(updated).toMatchObject({ tier: "premium", max_in_flight: 5 });
    const read = await admin.tokens.issue(tenant.id, "read");
    expect(read.scope).toBe("read");
    const video = await admin.tokens.issue(tenant.id, { scope: "worker", pools: ["video"] });
    expect(video).toMatchObject({ scope: "worker", pools: ["video"] });
    const reader = admin.withToken(read.token);
    expect(await reader.jobs.list().toArray()).toEqual([]);
    const forbidden = (await reader.jobs
      .create(job())
      .catch((e: unknown) => e)) as SchedulerProblem;
    expect(forbidden.status).toBe(403);
    await admin.tokens.revoke(tenant.id, read.id);
    const revoked = (await reader.jobs
      .list()
      .page()
      .catch((e: unknown) => e)) as SchedulerProblem;
    expect(revoked.status).toBe(401);
    expect(await admin.adminMetrics()).toContain("scheduler_tenants");
    const stats = await admin.withToken(tenant.token).stats({ window: "hour" });
    expect(stats.window).toBe("hour");
    expect(Array.isArray(stats.minutes)).toBe(true);
    expect(await admin.health()).toEqual({ status: "ok" });
    expect(await admin.ready()).toEqual({ status: "ready" });
    const preview = await admin
      .withToken(tenant.token)
      .schedules.preview({ schedule: { cron: "30 2 * * *", timezone: "Europe/Berlin" }, count: 2 });
    expect(preview).toMatchObject({ timezone: "Europe/Berlin" });
    expect(preview.fire_times).toHaveLength(2);
  });

  it("sets, reads, lists and removes flow-key and destination limits; a trigger's flow key makes its run wait", async () => {
    const { client } = await createTenant();
    const key = uniqueId("customer");
    // One start an hour: the second run of the key waits for it, visibly.
    const limited = await client.flowKeys.set(key, {
      rate: { limit: 1, period_seconds: 3600, burst: 1 },
    });
    expect(limited).toMatchObject({
      key,
      own_limits: true,
      running: 0,
      waiting: 0,
      rate_tokens: 1,
    });
    const created = await client.jobs.create(job({ schedule: { cron: "0 3 * * *" } }));
    const runs = [
      await client.jobs.trigger(created.id, { flow_key: key }),
      await client.jobs.trigger(created.id, { flow_key: key }),
    ];
    expect(runs.map((r) => r.flow_key)).toEqual([key, key]);
    const held = await waitFor(async () => {
      const states = await Promise.all(runs.map((r) => client.runs.get(r.id)));
      return states.some((r) => r.status === "succeeded") && states.find((r) => r.waiting_reason);
    }, "one run to succeed and the other to wait");
    expect(held).toMatchObject({ status: "pending", waiting_reason: "flow_key", attempt: 0 });
    const usage = await client.flowKeys.get(key);
    expect(usage).toMatchObject({ waiting: 1, rate_tokens: 0 });
    expect((await client.flowKeys.list().toArray()).map((k) => k.key)).toContain(key);

    const host = new URL(sinkUrl()).host;
    const destination = await client.destinations.set(host, { max_running: 3 });
    expect(destination).toMatchObject({ host, limits: { max_running: 3 }, waiting: null });
    expect(await client.destinations.get(host)).toMatchObject({ host, own_limits: true });
    expect((await client.destinations.list().toArray()).map((d) => d.host)).toContain(host);
    await client.destinations.delete(host);
    const gone = (await client.destinations
      .delete(host)
      .catch((e: unknown) => e)) as SchedulerProblem;
    expect(gone.status).toBe(404);

    // Without limits the waiting run starts; a job's own flow key is on its runs.
    await client.flowKeys.delete(key);
    await waitFor(
      async () => (await client.runs.get(held.id)).status === "succeeded",
      "the waiting run to start once the key's limits are gone",
    );
    const keyed = await client.jobs.create(job({ flow_key: key, schedule: { cron: "0 3 * * *" } }));
    expect(keyed.flow_key).toBe(key);
    expect((await client.jobs.trigger(keyed.id)).flow_key).toBe(key);
    expect((await client.jobs.trigger(keyed.id, { flow_key: null })).flow_key).toBeNull();
    const refused = (await client.flowKeys
      .set(key, { max_running: 0 })
      .catch((e: unknown) => e)) as SchedulerProblem;
    expect(refused.status).toBe(400);
    expect(refused.errors.map((e) => e.path)).toContain("max_running");
  });

  it("is typed from the contract: wrong shapes do not compile", () => {
    const target: TargetInput = { type: "http", url: "https://example.com" };
    const input: JobInput = { target };
    // @ts-expect-error a target needs its type
    const untyped: JobInput = { target: { url: "https://example.com" } };
    // @ts-expect-error priorities are high, medium, low
    const urgent: JobInput = { target, priority: "urgent" };
    expect([input, untyped, urgent]).toHaveLength(3);
  });
});
