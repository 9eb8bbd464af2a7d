import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runQueues } from "../src/durable/dispatch/run-queues";
import { parseQueueName, queueName, shardOf } from "../src/queues/queue-shards";
import {
  ADMIN_TOKEN,
  callJson,
  jobBody,
  sinkUrl,
  type TestTenant,
  uniqueId,
  waitFor,
} from "./support/api";
import { runDetail } from "./support/runs";

/** A new tenant whose id hashes to `shard` of `shards`. */
async function tenantOnShard(shard: number, shards: number): Promise<TestTenant> {
  let id = uniqueId();
  while (shardOf(id, shards) !== shard) id = uniqueId();
  return callJson<TestTenant>(
    "/v1/admin/tenants",
    { token: ADMIN_TOKEN, body: { id, name: "Sharded", tier: "standard" } },
    201,
  );
}

describe("queue shards", () => {
  it("picks a tenant's shard by a stable hash of its id, spreading tenants evenly", () => {
    // Pinned, so that a change of hash (it would move every tenant to another shard) is deliberate.
    expect([shardOf("acme", 4), shardOf("acme", 2), shardOf("globex", 4), shardOf("", 4)]).toEqual([
      3, 1, 2, 1,
    ]);
    expect(shardOf("acme", 1)).toBe(0);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const shard = shardOf(uniqueId("spread"), 4);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it("uses QUEUE_SHARDS of the shards wrangler.toml binds (two in the tests)", () => {
    const queues = runQueues(env);
    expect(queues.shards).toBe(2);
    expect(parseQueueName(queueName("medium", 1))).toEqual({ lane: "medium", shard: 1 });
    expect(parseQueueName("runs-dlq")).toBeNull();
  });

  it("sends each tenant's runs to its own shard of the express and priority lanes", async () => {
    const tenants = [await tenantOnShard(0, 2), await tenantOnShard(1, 2)];
    const at = new Date(Date.now() + 1_500).toISOString();
    for (const tenant of tenants) {
      const url = sinkUrl(`/${uniqueId("sharded")}`);
      const jobs = Array.from({ length: 12 }, (_, i) =>
        jobBody({ name: `s${i}`, schedule: { at }, target: { type: "http", url } }),
      );
      await callJson("/v1/jobs/batch", { token: tenant.token, body: { jobs } }, 201);
    }
    for (const [shard, tenant] of tenants.entries()) {
      const lanes = await waitFor(async () => {
        const page = await callJson<{ data: { id: string; status: string }[] }>(
          "/v1/runs?limit=100",
          { token: tenant.token },
          200,
        );
        if (page.data.length < 12 || page.data.some((r) => r.status !== "succeeded")) return false;
        const details = await Promise.all(page.data.map((r) => runDetail(tenant, r.id)));
        // The attempt's worker id is `runs-<lane>-<shard>-<invocation>`.
        return details.map((d) => String(d.attempts[0]?.worker_id).replace(/-[^-]+$/, ""));
      }, `shard ${shard}'s runs`);
      // Sent in one round while none was queued: the first ten took the express lane.
      expect(lanes.filter((l) => l === `runs-express-${shard}`)).toHaveLength(10);
      expect(lanes.filter((l) => l === `runs-medium-${shard}`)).toHaveLength(2);
    }
  });
});
