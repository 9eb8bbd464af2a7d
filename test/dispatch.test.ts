import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/worker";
import { callJson, createJob, createTenant, deliveriesAt, sinkUrl, uniqueId } from "./support/api";
import { runDetail, soon, waitForRun, waitForRuns } from "./support/runs";

const finished = (status: string) => (runs: Record<string, any>[]) =>
  runs.some((r) => r.status === status);

describe("dispatch and execution", () => {
  it("runs a one-time job at its time and records the attempt", async () => {
    const tenant = await createTenant();
    const at = soon(1);
    const job = await createJob(tenant, { schedule: { at } });
    const [run] = await waitForRuns(tenant, job.id, finished("succeeded"), "the run to succeed");
    expect(run?.scheduled_for).toBe(new Date(at).toISOString());
    const detail = await runDetail(tenant, run?.id);
    expect(detail.attempts).toHaveLength(1);
    expect(detail.attempts[0]).toMatchObject({
      attempt: 1,
      outcome: "succeeded",
      status_code: 200,
      response_body: "ok",
    });
    expect(detail.fire_lag_ms).toBeGreaterThanOrEqual(0);
    const deliveries = await deliveriesAt(job.target.url);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.received_at).toBeGreaterThanOrEqual(Date.parse(at));
    const jobAfter = await callJson<Record<string, any>>(
      `/v1/jobs/${job.id}`,
      { token: tenant.token },
      200,
    );
    expect(jobAfter).toMatchObject({
      status: "completed",
      next_run_at: null,
      last_run: { id: run?.id, status: "succeeded" },
    });
  });

  it("runs a delayed job after its delay", async () => {
    const tenant = await createTenant();
    const before = Date.now();
    const job = await createJob(tenant, { schedule: { delay_seconds: 1 } });
    const [run] = await waitForRuns(tenant, job.id, finished("succeeded"), "the delayed run");
    expect(Date.parse(run?.scheduled_for)).toBeGreaterThanOrEqual(before + 1000);
    const [delivery] = await deliveriesAt(job.target.url);
    expect(delivery?.received_at).toBeGreaterThanOrEqual(before + 1000);
  });

  it("fires a 6-field cron every second, one run per occurrence", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { cron: "* * * * * *" } });
    const runs = await waitForRuns(
      tenant,
      job.id,
      (r) => r.filter((x) => x.status === "succeeded").length >= 3,
      "three cron runs",
    );
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
    const times = runs.map((r) => Date.parse(r.scheduled_for));
    expect(new Set(times).size).toBe(times.length);
    for (const t of times) expect(t % 1000).toBe(0);
    const keys = runs.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("retries a 500 with backoff and succeeds on the second attempt", async () => {
    const tenant = await createTenant();
    const url = sinkUrl(`/${uniqueId("flaky")}`, { fail_times: 1 });
    const job = await createJob(tenant, {
      target: { type: "http", url },
      retry: { max_attempts: 3, initial_backoff_seconds: 0.2, max_backoff_seconds: 1 },
    });
    const [run] = await waitForRuns(
      tenant,
      job.id,
      finished("succeeded"),
      "the retried run to succeed",
    );
    const detail = await runDetail(tenant, run?.id);
    expect(detail.attempts.map((a: any) => [a.attempt, a.outcome, a.status_code])).toEqual([
      [1, "failed", 500],
      [2, "succeeded", 200],
    ]);
    const gap =
      Date.parse(detail.attempts[1].started_at) - Date.parse(detail.attempts[0].finished_at);
    expect(gap).toBeGreaterThanOrEqual(200);
  });

  it("dead-letters a run that always fails, lists it, and replays it", async () => {
    const tenant = await createTenant();
    const failing = sinkUrl(`/${uniqueId("down")}`, { status: 500 });
    const job = await createJob(tenant, {
      target: { type: "http", url: failing },
      retry: { max_attempts: 2, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.2 },
    });
    const [run] = await waitForRuns(tenant, job.id, finished("dead"), "the run to die");
    expect(run).toMatchObject({ attempt: 2, max_attempts: 2, last_error: "HTTP 500" });
    const dead = await callJson<{ data: any[] }>("/v1/dead-letters", { token: tenant.token }, 200);
    expect(dead.data.map((r) => r.id)).toContain(run?.id);

    const healthy = sinkUrl(`/${uniqueId("up")}`);
    await callJson(
      `/v1/jobs/${job.id}`,
      { token: tenant.token, method: "PATCH", body: { target: { type: "http", url: healthy } } },
      200,
    );
    const replayed = await callJson<any>(
      `/v1/runs/${run?.id}/replay`,
      { token: tenant.token, method: "POST" },
      200,
    );
    expect(replayed.status).toBe("pending");
    const detail = await waitForRun(
      tenant,
      run?.id,
      (d) => d.status === "succeeded",
      "the replayed run to succeed",
    );
    expect(detail.attempts.map((a: any) => a.outcome)).toEqual(["failed", "failed", "succeeded"]);
    const deadAfter = await callJson<{ data: any[] }>(
      "/v1/dead-letters",
      { token: tenant.token },
      200,
    );
    expect(deadAfter.data.map((r) => r.id)).not.toContain(run?.id);
    await callJson(`/v1/runs/${run?.id}/replay`, { token: tenant.token, method: "POST" }, 409);
  });

  it("cuts a hanging target at the job's timeout", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("hang")}`, { hang: 1 }) },
      timeout_seconds: 1,
      retry: { max_attempts: 1, initial_backoff_seconds: 1, max_backoff_seconds: 1 },
    });
    const [run] = await waitForRuns(
      tenant,
      job.id,
      finished("dead"),
      "the hanging run to time out",
    );
    const detail = await runDetail(tenant, run?.id);
    expect(detail.attempts[0]).toMatchObject({ outcome: "timeout", status_code: null });
    expect(detail.attempts[0].duration_ms).toBeGreaterThanOrEqual(1000);
    expect(detail.attempts[0].duration_ms).toBeLessThan(10_000);
  });

  it("signs deliveries so an independent Standard Webhooks verifier accepts them", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("signed")}`), body: { hello: "world" } },
    });
    await waitForRuns(tenant, job.id, finished("succeeded"), "the signed run");
    const [delivery] = await deliveriesAt(job.target.url);
    const headers = delivery?.headers ?? {};
    const id = headers["webhook-id"] ?? "";
    const timestamp = headers["webhook-timestamp"] ?? "";
    expect(delivery?.body).toBe(JSON.stringify({ hello: "world" }));
    expect(headers["x-scheduler-attempt"]).toBe("1");
    expect(id).toBe(headers["x-scheduler-run-id"]);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    // Independent verifier: HMAC-SHA256 over "id.timestamp.body" with the base64 key after whsec_.
    const keyBytes = Uint8Array.from(atob(tenant.signing_secret.slice("whsec_".length)), (c) =>
      c.charCodeAt(0),
    );
    const key = await crypto.subtle.importKey(
      "raw",
      keyBytes,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const signatures = (headers["webhook-signature"] ?? "")
      .split(" ")
      .map((s) => s.split(",")[1] ?? "");
    const content = new TextEncoder().encode(`${id}.${timestamp}.${delivery?.body}`);
    const verified = await Promise.all(
      signatures.map((sig) =>
        crypto.subtle.verify(
          "HMAC",
          key,
          Uint8Array.from(atob(sig), (c) => c.charCodeAt(0)),
          content,
        ),
      ),
    );
    expect(verified).toContain(true);
    const tampered = new TextEncoder().encode(`${id}.${timestamp}.{"hello":"mallory"}`);
    const sig0 = Uint8Array.from(atob(signatures[0] ?? ""), (c) => c.charCodeAt(0));
    expect(await crypto.subtle.verify("HMAC", key, sig0, tampered)).toBe(false);
  });

  it("executes a duplicated queue message once", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant);
    const [run] = await waitForRuns(tenant, job.id, finished("succeeded"), "the run");
    const body = {
      tenant_id: tenant.id,
      run_id: run?.id,
      job_id: job.id,
      attempt: 1,
      key: run?.key,
      scheduled_for: Date.parse(run?.scheduled_for),
      priority: "medium",
      dispatched_at: Date.now(),
    };
    // The same message delivered twice more, through the consumer itself.
    const batch = createMessageBatch("runs-medium", [
      { id: "dup-1", timestamp: new Date(), attempts: 1, body },
      { id: "dup-2", timestamp: new Date(), attempts: 1, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<never>, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["dup-1", "dup-2"]);
    expect(result.retryMessages).toEqual([]);
    expect(await deliveriesAt(job.target.url)).toHaveLength(1);
    expect((await runDetail(tenant, run?.id)).attempts).toHaveLength(1);
  });

  it("claims an attempt once when two consumers race for it", async () => {
    const tenant = await createTenant();
    const scheduler = env.TENANT_SCHEDULER.get(env.TENANT_SCHEDULER.idFromName(tenant.id));
    // A long-hanging target keeps the run running while we race duplicate claims.
    const job = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("slow")}`, { delay_ms: 1500 }) },
    });
    const runs = await waitForRuns(
      tenant,
      job.id,
      (r) => r.some((x) => x.status === "running"),
      "the run to start",
    );
    const runId = runs[0]?.id;
    const results = (await Promise.all([
      scheduler.claimRuns([{ run_id: runId, attempt: 1 }], "a"),
      scheduler.claimRuns([{ run_id: runId, attempt: 1 }], "b"),
    ])) as { claimed: unknown[] }[];
    expect(results.flatMap((r) => r.claimed)).toEqual([]);
    await waitForRuns(tenant, job.id, finished("succeeded"), "the run to finish");
    expect(await deliveriesAt(job.target.url)).toHaveLength(1);
  });
});
