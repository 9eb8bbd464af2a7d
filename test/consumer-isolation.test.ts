import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RunMessage } from "../src/queues/messages";
import worker from "../src/worker";
import {
  callJson,
  createTenant,
  deliveriesAt,
  jobBody,
  setTenant,
  sinkUrl,
  type TestTenant,
  uniqueId,
} from "./support/api";
import { runDetail } from "./support/runs";
import { queueWithoutSending, sqlIn } from "./support/tenant-object";

/** Creates `count` jobs due in an hour and returns queue messages for a manual run of each. */
async function queuedRuns(tenant: TestTenant, url: string, count: number): Promise<RunMessage[]> {
  const later = new Date(Date.now() + 3_600_000).toISOString();
  const jobs = Array.from({ length: count }, (_, i) =>
    jobBody({ name: `j${i}`, schedule: { at: later }, target: { type: "http", url } }),
  );
  const created = await callJson<{ data: { id: string }[] }>(
    "/v1/jobs/batch",
    { token: tenant.token, body: { jobs } },
    201,
  );
  return queueWithoutSending(
    tenant.id,
    created.data.map((j) => j.id),
  );
}

describe("one tenant's bad data cannot fail another tenant's deliveries", () => {
  it("a target that cannot form a request fails only its own attempts in a shared batch", async () => {
    const poisoned = await createTenant();
    const neighbour = await createTenant();
    await setTenant(poisoned, { max_in_flight: 1 });
    await setTenant(neighbour, { max_in_flight: 1 });
    const badUrl = sinkUrl(`/${uniqueId("poisoned")}`);
    const goodUrl = sinkUrl(`/${uniqueId("neighbour")}`);
    const bad = await queuedRuns(poisoned, badUrl, 10);
    const good = await queuedRuns(neighbour, goodUrl, 10);
    // Stored before header validation existed: a value `new Headers()` refuses.
    await sqlIn(
      poisoned.id,
      `update jobs set target = json_set(target, '$.headers', json('{"x-bad": "a\r\nb"}'))`,
    );

    const messages = [...bad, ...good].map((body, i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    }));
    const batch = createMessageBatch("runs-medium", messages);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<never>, env, ctx);
    const result = await getQueueResult(batch, ctx);

    expect(result.retryBatch.retry).toBe(false);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
    // The neighbour's runs were each delivered once, on attempt 1.
    const delivered = await deliveriesAt(goodUrl);
    expect(delivered).toHaveLength(10);
    for (const d of delivered) expect(d.headers["x-scheduler-attempt"]).toBe("1");
    for (const m of good) {
      const run = await runDetail(neighbour, m.run_id);
      expect(run.status).toBe("succeeded");
      expect(run.attempts).toHaveLength(1);
    }
    // The poisoned runs failed attempt 1 with a reason, and nothing reached the target.
    expect(await deliveriesAt(badUrl)).toHaveLength(0);
    for (const m of bad) {
      const run = await runDetail(poisoned, m.run_id);
      expect(run.status).toBe("retrying");
      expect(run.attempts[0]).toMatchObject({ attempt: 1, outcome: "network_error" });
      expect(run.attempts[0].error).toMatch(/invalid request/);
    }
  });
});
