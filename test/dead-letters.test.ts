import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { claimRetryDelaySeconds } from "../src/queues/consumer";
import type { RunMessage } from "../src/queues/messages";
import worker from "../src/worker";
import {
  callJson,
  createJob,
  createTenant,
  sinkUrl,
  type TestTenant,
  uniqueId,
} from "./support/api";
import { has, runDetail, waitForRun, waitForRuns } from "./support/runs";
import { queueWithoutSending } from "./support/tenant-object";

/** Hands `body` to the runs-dlq consumer, as the queue does after a message's last redelivery. */
async function deadLetter(body: RunMessage): Promise<string[]> {
  const batch = createMessageBatch("runs-dlq", [
    { id: "dlq-1", timestamp: new Date(), attempts: 6, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<never>, env, ctx);
  return (await getQueueResult(batch, ctx)).explicitAcks;
}

async function laterJob(tenant: TestTenant, fields: Record<string, unknown> = {}) {
  return createJob(tenant, {
    schedule: { at: new Date(Date.now() + 3_600_000).toISOString() },
    ...fields,
  });
}

describe("messages the queue dead-letters", () => {
  it("cost a queued run one failed attempt; the job's retry policy then runs it again", async () => {
    const tenant = await createTenant();
    const job = await laterJob(tenant, {
      retry: { max_attempts: 3, initial_backoff_seconds: 1, max_backoff_seconds: 1 },
    });
    const [message] = await queueWithoutSending(tenant.id, [job.id]);
    expect(await deadLetter(message as RunMessage)).toEqual(["dlq-1"]);
    const retrying = await runDetail(tenant, message?.run_id ?? "");
    expect(retrying.status).toBe("retrying");
    expect(retrying.attempts[0]).toMatchObject({ attempt: 1, outcome: "failed" });
    expect(retrying.attempts[0].error).toMatch(/undeliverable/);
    const done = await waitForRun(
      tenant,
      message?.run_id ?? "",
      (r) => r.status === "succeeded",
      "the second attempt",
    );
    expect(done.attempts.map((a: { outcome: string }) => a.outcome)).toEqual([
      "failed",
      "succeeded",
    ]);
  });

  it("make the run dead only when that was its last attempt, and list it", async () => {
    const tenant = await createTenant();
    const job = await laterJob(tenant, { retry: { max_attempts: 1 } });
    const [message] = await queueWithoutSending(tenant.id, [job.id]);
    await deadLetter(message as RunMessage);
    const detail = await runDetail(tenant, message?.run_id ?? "");
    expect(detail.status).toBe("dead");
    expect(detail.last_error).toMatch(/undeliverable/);
    const dead = await callJson<{ data: any[] }>("/v1/dead-letters", { token: tenant.token }, 200);
    expect(dead.data.map((r) => r.id)).toContain(message?.run_id);
  });

  it("never touch a run whose attempt is running (a re-sent message was claimed meanwhile)", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("slow")}`, { delay_ms: 1500 }) },
    });
    const [run] = await waitForRuns(tenant, job.id, has("running"), "the run to start");
    await deadLetter({
      tenant_id: tenant.id,
      run_id: run?.id,
      job_id: job.id,
      attempt: 1,
      key: run?.key,
      scheduled_for: 0,
      priority: "medium",
      dispatched_at: 0,
    });
    const finished = await waitForRun(
      tenant,
      run?.id,
      (r) => r.status !== "running",
      "the attempt to finish",
    );
    expect(finished.status).toBe("succeeded");
    expect(finished.attempts).toHaveLength(1);
  });

  it("come only after a failed claim was redelivered with growing delays (about a minute)", () => {
    const delays = [1, 2, 3, 4, 5].map(claimRetryDelaySeconds);
    expect(delays).toEqual([2, 4, 8, 16, 30]);
    expect(delays.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(60);
  });
});
