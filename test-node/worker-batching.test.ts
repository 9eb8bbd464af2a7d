/**
 * The worker library's batched protocol against the real system (`npm run dev`): finished runs
 * are reported by the next claim or one batch (never one request per run), and one heartbeat per
 * worker carries every run's lease and checkpoint. Requests are observed on their way out (the
 * real fetch answers them), the way the bench counts them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type ClaimedRun, createWorker, type Worker } from "../pull-worker/create-worker.ts";
import type { SchedulerClient } from "../src/client/index.ts";
import { adminClient, createTenant, uniqueId, waitFor } from "./support/fixtures.ts";

const running: Worker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.drain(1000)));
});

/** Requests to the API made while `fn` runs, as `METHOD /path`. */
async function observed<T>(fn: () => Promise<T>): Promise<{ value: T; requests: string[] }> {
  const original = globalThis.fetch;
  const requests: string[] = [];
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    requests.push(`${init?.method ?? "GET"} ${url.pathname}`);
    return original(input, init);
  }) as typeof fetch;
  try {
    return { value: await fn(), requests };
  } finally {
    globalThis.fetch = original;
  }
}

async function workerSetup(): Promise<{ client: SchedulerClient; token: string; pool: string }> {
  const { tenant, client } = await createTenant("premium");
  const issued = await adminClient().tokens.issue(tenant.id, "worker");
  return { client, token: issued.token, pool: uniqueId("batch") };
}

async function statusesOf(client: SchedulerClient, jobIds: string[]): Promise<string[]> {
  const statuses: string[] = [];
  for await (const run of client.runs.list({ limit: 200 })) {
    if (jobIds.includes(run.job_id)) statuses.push(run.status);
  }
  return statuses;
}

describe("the worker library's batched protocol", () => {
  it("reports 20 runs through claims and batches, never one request per run", async () => {
    const { client, token, pool } = await workerSetup();
    const jobs = await client.jobs.createBatch(
      Array.from({ length: 20 }, (_, i) => ({
        name: `batch ${i}`,
        target: { type: "worker" as const, pool, payload: { i } },
      })),
    );
    const ids = jobs.map((j) => j.id);
    const { requests } = await observed(async () => {
      const worker = createWorker({
        url: adminClient().baseUrl,
        token,
        pools: [pool],
        concurrency: 5,
        waitSeconds: 2,
        handler: async (run: ClaimedRun) => ({ doubled: (run.payload as { i: number }).i * 2 }),
      });
      running.push(worker);
      void worker.start();
      await waitFor(
        async () => (await statusesOf(client, ids)).filter((s) => s === "succeeded").length === 20,
        "20 runs succeeded",
      );
    });
    const perRun = requests.filter((r) => /^POST \/v1\/runs\/[^/]+\/(complete|fail)$/.test(r));
    expect(perRun).toEqual([]);
    const reporting = requests.filter(
      (r) => r === "POST /v1/workers/claim" || /^POST \/v1\/workers\/[^/]+\/reports$/.test(r),
    );
    // Five slots: the 20 reports went at least several to a request.
    expect(reporting.length).toBeLessThan(20);
    const run = (await client.runs.list({ job_id: ids[7] }).toArray())[0];
    const detail = await client.runs.get(run?.id as string);
    expect(detail.attempts[0]?.response_body).toBe(JSON.stringify({ doubled: 14 }));
  });

  it("keeps a run alive and its checkpoint saved with the worker heartbeat alone", async () => {
    const { client, token, pool } = await workerSetup();
    const job = await client.jobs.create({
      name: "long",
      target: { type: "worker", pool },
      timeout_seconds: 120,
    });
    let runId = "";
    const { requests } = await observed(async () => {
      const worker = createWorker({
        url: adminClient().baseUrl,
        token,
        pools: [pool],
        waitSeconds: 2,
        leaseSeconds: 3,
        handler: async (run, ctx) => {
          runId = run.run_id;
          ctx.saveCheckpoint({ step: 1 });
          ctx.progress({ pct: 50 });
          // Runs past two leases: only heartbeats keep it.
          await waitFor(
            async () => {
              const seen = await client.runs.get(run.run_id);
              return JSON.stringify(seen.checkpoint) === '{"step":1}';
            },
            "the checkpoint stored",
            20_000,
          );
          await new Promise((r) => setTimeout(r, 6500));
          return "done";
        },
      });
      running.push(worker);
      void worker.start();
      await waitFor(
        async () => (await statusesOf(client, [job.id]))[0] === "succeeded",
        "the long run succeeded",
        40_000,
      );
    });
    const detail = await client.runs.get(runId);
    expect(detail.attempts).toHaveLength(1);
    expect(requests.filter((r) => /^POST \/v1\/runs\//.test(r))).toEqual([]);
    expect(requests.filter((r) => r.endsWith("/heartbeat")).length).toBeGreaterThanOrEqual(2);
  });
});
