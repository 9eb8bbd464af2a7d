/**
 * Webhook identity as a receiver sees it: `webhook-id` is the same on every attempt of a run, and
 * everything verifyWebhook returns is covered by the signatures (real deliveries at the sink).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  MAX_SIGNATURE_ENTRIES,
  type VerifiedWebhook,
  verifyWebhook,
  verifyWebhookSignature,
  WebhookVerificationError,
} from "../src/client/webhooks";
import {
  callJson,
  createJob,
  createTenant,
  deliveriesAt,
  type SinkDelivery,
  sinkUrl,
  type TestTenant,
  uniqueId,
  waitFor,
} from "./support/api";
import { type Run, runDetail, waitForRuns } from "./support/runs";

const QUICK_RETRY = { max_attempts: 3, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.2 };

function verify(delivery: SinkDelivery, tenant: TestTenant): Promise<VerifiedWebhook> {
  return verifyWebhookSignature(
    { headers: delivery.headers, body: delivery.body },
    tenant.signing_secret,
  );
}

/** Why verification refused `headers` (with the delivery's own body), or "verified". */
async function refusal(
  tenant: TestTenant,
  delivery: SinkDelivery,
  headers: Record<string, string>,
  secret: string | string[] = tenant.signing_secret,
): Promise<string> {
  try {
    await verifyWebhookSignature({ headers, body: delivery.body }, secret);
    return "verified";
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
}

/** A run that fails its first attempt (HTTP 500) and succeeds on the second; its deliveries. */
async function twoAttempts(
  tenant: TestTenant,
  retry = QUICK_RETRY,
): Promise<{ run: Run; deliveries: SinkDelivery[] }> {
  const url = sinkUrl(`/${uniqueId("twice")}`, { fail_times: 1 });
  const job = await createJob(tenant, {
    target: { type: "http", url, body: { hello: "world" } },
    retry,
  });
  const [run] = await waitForRuns(
    tenant,
    job.id,
    (runs) => runs.some((r) => r.status === "succeeded"),
    "the retried run to succeed",
  );
  if (!run) throw new Error("no run");
  const deliveries = await waitFor(async () => {
    const list = await deliveriesAt(url);
    return list.length === 2 && list;
  }, "two deliveries");
  return { run, deliveries };
}

describe("webhook-id across attempts", () => {
  it("is the run id on both attempts of a retried run, and both verify", async () => {
    const tenant = await createTenant();
    const { run, deliveries } = await twoAttempts(tenant);
    const [first, second] = deliveries as [SinkDelivery, SinkDelivery];
    expect(first.headers["webhook-id"]).toBe(run.id);
    expect(second.headers["webhook-id"]).toBe(run.id);
    // Each attempt is signed afresh (its own timestamp), so the signatures may differ.
    const verified = [await verify(first, tenant), await verify(second, tenant)];
    expect(verified.map((v) => [v.id, v.runId, v.attempt, v.task])).toEqual([
      [run.id, run.id, 1, null],
      [run.id, run.id, 2, null],
    ]);
    expect(verified[0]?.scheduledFor.toISOString()).toBe(run.scheduled_for);
    expect(verified[1]?.payload).toEqual({ hello: "world" });
  });

  it("is the task's own run id on every attempt of a graph task", async () => {
    const tenant = await createTenant();
    const flaky = sinkUrl(`/${uniqueId("task")}`, { fail_times: 1 });
    const job = await callJson<{ id: string }>(
      "/v1/jobs",
      {
        token: tenant.token,
        body: {
          name: "graph",
          retry: QUICK_RETRY,
          tasks: [{ key: "load", target: { type: "http", url: flaky } }],
        },
      },
      201,
    );
    const [occurrence] = await waitForRuns(
      tenant,
      job.id,
      (runs) => runs.some((r) => r.status === "succeeded"),
      "the graph to succeed",
    );
    const detail = await runDetail(tenant, occurrence?.id);
    const task = detail.tasks.find((t: Run) => t.key === "load");
    const deliveries = await deliveriesAt(flaky);
    expect(deliveries).toHaveLength(2);
    for (const [i, delivery] of deliveries.entries()) {
      expect(delivery.headers["webhook-id"]).toBe(task.run_id);
      const verified = await verify(delivery, tenant);
      expect(verified).toMatchObject({
        id: task.run_id,
        runId: detail.id,
        task: { key: "load", runId: task.run_id },
        attempt: i + 1,
      });
    }
  });
});

describe("everything verifyWebhook returns is signed", () => {
  it("refuses a replay whose x-scheduler-* headers were edited", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { retry: QUICK_RETRY });
    const [run] = await waitForRuns(
      tenant,
      job.id,
      (runs) => runs.some((r) => r.status === "succeeded"),
      "a delivered run",
    );
    const [delivery] = await deliveriesAt(job.target.url);
    if (!delivery || !run) throw new Error("no delivery");
    expect(await refusal(tenant, delivery, delivery.headers)).toBe("verified");
    const edits: Record<string, string>[] = [
      { "x-scheduler-run-id": "run_someoneelse" },
      { "x-scheduler-attempt": "2" },
      { "x-scheduler-scheduled-for": "2030-01-01T00:00:00.000Z" },
      { "x-scheduler-task": "load" },
      { "x-scheduler-task-run-id": run.id },
    ];
    for (const edit of edits)
      expect(
        await refusal(tenant, delivery, { ...delivery.headers, ...edit }),
        JSON.stringify(edit),
      ).toBe("metadata_mismatch");
    const { "x-scheduler-signature": _, ...unsigned } = delivery.headers;
    expect(await refusal(tenant, delivery, unsigned)).toBe("missing_headers");
  });

  it("refuses metadata signed for another attempt of the same run", async () => {
    const tenant = await createTenant();
    // At least 1.1 s apart, so the attempts carry different webhook-timestamps.
    const retry = { max_attempts: 3, initial_backoff_seconds: 1.1, max_backoff_seconds: 1.1 };
    const {
      deliveries: [first, second],
    } = await twoAttempts(tenant, retry);
    if (!first || !second) throw new Error("no deliveries");
    expect(first.headers["webhook-timestamp"]).not.toBe(second.headers["webhook-timestamp"]);
    // Same webhook-id and body; the second attempt's metadata and its signature, on the first.
    const mixed = {
      ...first.headers,
      "x-scheduler-attempt": second.headers["x-scheduler-attempt"] as string,
      "x-scheduler-signature": second.headers["x-scheduler-signature"] as string,
    };
    expect(await refusal(tenant, first, mixed)).toBe("metadata_mismatch");
  });

  it("verifies a Request the same way (verifyWebhook)", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { retry: QUICK_RETRY });
    const [delivery] = await waitFor(async () => {
      const list = await deliveriesAt(job.target.url);
      return list.length > 0 && list;
    }, "a delivery");
    if (!delivery) throw new Error("no delivery");
    const request = new Request("https://receiver.example/hook", {
      method: "POST",
      headers: delivery.headers,
      body: delivery.body,
    });
    const verified = await verifyWebhook(request, tenant.signing_secret);
    expect(verified.id).toBe(delivery.headers["webhook-id"]);
    const forged = new Request("https://receiver.example/hook", {
      method: "POST",
      headers: { ...delivery.headers, "x-scheduler-run-id": "run_forged" },
      body: delivery.body,
    });
    const error = await verifyWebhook(forged, tenant.signing_secret).catch((e: unknown) => e);
    expect((error as WebhookVerificationError).reason).toBe("metadata_mismatch");
  });
});

describe("the work a forged delivery can cause", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it(`refuses more than ${MAX_SIGNATURE_ENTRIES} signature entries before any key or HMAC work`, async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {});
    const [delivery] = await waitFor(async () => {
      const list = await deliveriesAt(job.target.url);
      return list.length > 0 && list;
    }, "a delivery");
    if (!delivery) throw new Error("no delivery");
    const junk = (n: number) =>
      Array.from({ length: n }, (_, i) => `v1,${btoa(`forged signature ${i}`)}`).join(" ");
    const sign = vi.spyOn(crypto.subtle, "sign");
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    const big = "x".repeat(1024 * 1024);
    const error = await verifyWebhookSignature(
      { headers: { ...delivery.headers, "webhook-signature": junk(340) }, body: big },
      [tenant.signing_secret, "not base64 at all!"],
    ).catch((e: unknown) => e);
    expect((error as WebhookVerificationError).reason).toBe("too_many_signatures");
    expect((error as Error).message).toBe(
      "webhook-signature has 340 entries; at most 10 are accepted",
    );
    expect(sign).not.toHaveBeenCalled();
    expect(importKey).not.toHaveBeenCalled();
    const manyMetadata = await refusal(tenant, delivery, {
      ...delivery.headers,
      "x-scheduler-signature": junk(11),
    });
    expect(manyMetadata).toBe("too_many_signatures");
  });

  it("computes one HMAC of the body per secret, however many entries there are", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {});
    const [delivery] = await waitFor(async () => {
      const list = await deliveriesAt(job.target.url);
      return list.length > 0 && list;
    }, "a delivery");
    if (!delivery) throw new Error("no delivery");
    const real = delivery.headers["webhook-signature"] as string;
    const padded = [...Array.from({ length: 9 }, (_, i) => `v1,${btoa(`pad ${i}`)}`), real].join(
      " ",
    );
    const sign = vi.spyOn(crypto.subtle, "sign");
    const verify = vi.spyOn(crypto.subtle, "verify");
    const otherSecret = `whsec_${btoa("an older secret, 32 bytes long!!")}`;
    const verified = await verifyWebhookSignature(
      { headers: { ...delivery.headers, "webhook-signature": padded }, body: delivery.body },
      [otherSecret, tenant.signing_secret],
    );
    expect(verified.id).toBe(delivery.headers["webhook-id"]);
    // The body once per secret (the older one first), then the short metadata line once.
    expect(sign).toHaveBeenCalledTimes(3);
    expect(verify).not.toHaveBeenCalled();
    const wrong = await refusal(tenant, delivery, delivery.headers, otherSecret);
    expect(wrong).toBe("no_matching_signature");
  });
});
