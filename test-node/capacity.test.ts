/**
 * The queue topology and its capacity model: wrangler.toml's run queue sections are the ones its
 * QUEUE_SHARDS gives, their batches fit the six connections, and `npm run capacity` computes the
 * target for the default configuration from them.
 */
import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TIERS } from "../src/domain/tiers.ts";
import { DELIVERY_SLOTS } from "../src/queues/delivery-slots.ts";
import { DEAD_LETTER_QUEUE, LANES, queueName } from "../src/queues/queue-shards.ts";
import { inputsFrom, PREMIUM_MAX_IN_FLIGHT } from "../tools/capacity.ts";
import { capacityModel, meetsTarget } from "../tools/capacity-model.ts";
import { queueSectionsCurrent, shardSetting, withQueueSections } from "../tools/queue-config.ts";
import { SetupError, setup } from "../tools/setup.ts";
import { ROOT } from "./support/dev-system.ts";

describe("the run queues of wrangler.toml", () => {
  it("are the sections QUEUE_SHARDS gives (npm run queues:config wrote them)", async () => {
    expect(queueSectionsCurrent(ROOT)).toBe(true);
    const toml = await readFile(join(ROOT, "wrangler.toml"), "utf8");
    const two = withQueueSections(toml.replace(/^QUEUE_SHARDS = "\d+"$/m, 'QUEUE_SHARDS = "2"'));
    expect(shardSetting(two)).toBe(2);
    expect(two).toContain(`queue = "${queueName("low", 1)}"`);
    expect(two).not.toContain(`queue = "${queueName("low", 2)}"`);
  });

  it("take batches that fit one invocation's six connections and dead-letter into runs-dlq", async () => {
    const inputs = await inputsFrom(ROOT);
    const names = inputs.consumers.map((c) => c.queue);
    for (const lane of LANES) {
      for (let shard = 0; shard < inputs.shards; shard++) {
        const consumer = inputs.consumers.find((c) => c.queue === queueName(lane, shard)) as
          | Record<string, unknown>
          | undefined;
        expect(consumer, queueName(lane, shard)).toBeDefined();
        expect(consumer?.max_batch_size).toBeLessThanOrEqual(DELIVERY_SLOTS);
        expect(consumer?.dead_letter_queue).toBe(DEAD_LETTER_QUEUE);
      }
    }
    expect(names).toContain(DEAD_LETTER_QUEUE);
  });

  it("refuse `npm run setup` when their sections do not match QUEUE_SHARDS", async () => {
    const dir = await mkdtemp(join(tmpdir(), "queue-config-"));
    try {
      const toml = await readFile(join(ROOT, "wrangler.toml"), "utf8");
      await writeFile(
        join(dir, "wrangler.toml"),
        toml.replace(/^QUEUE_SHARDS = "\d+"$/m, 'QUEUE_SHARDS = "7"'),
      );
      const run = setup({ cwd: dir, env: process.env, log: () => {}, echo: () => {} });
      await expect(run).rejects.toThrow(SetupError);
      await expect(run).rejects.toThrow(/npm run queues:config/);
      await copyFile(join(ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
      expect(queueSectionsCurrent(dir)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the capacity model", () => {
  it("computes the target for the default configuration: 5,000 deliveries at once and 20,000 runs/s at 200 ms", async () => {
    const capacity = capacityModel(await inputsFrom(ROOT));
    expect(meetsTarget(capacity)).toEqual({ concurrent: true, runsPerSecond: true });
    const at200 = capacity.rows.find((r) => r.latencyMs === 200);
    // Even with every run in one lane (the default priority).
    expect(at200?.laneRunsPerSecond).toBeGreaterThanOrEqual(20_000);
    expect(capacity.queues.every((q) => q.slots === DELIVERY_SLOTS)).toBe(true);
  });

  it("doubles every deployment-wide figure with twice the shards, and no tenant's", async () => {
    const base = capacityModel(await inputsFrom(ROOT));
    const doubled = capacityModel(await inputsFrom(ROOT, { shards: base.inputs.shards * 2 }));
    base.rows.forEach((row, i) => {
      const twice = doubled.rows[i];
      expect(twice?.concurrent).toBe(row.concurrent * 2);
      expect(twice?.runsPerSecond).toBeCloseTo(row.runsPerSecond * 2);
      expect(twice?.tenantRunsPerSecond).toBe(row.tenantRunsPerSecond);
    });
  });

  it("bounds one tenant by the premium tier's in-flight cap and, once measured, its object", async () => {
    expect(PREMIUM_MAX_IN_FLIGHT).toBe(TIERS.premium.max_in_flight);
    const measured = capacityModel(await inputsFrom(ROOT, { objectRunsPerSecond: 1234 }));
    const at100 = measured.rows.find((r) => r.latencyMs === 100);
    expect(at100?.tenantRunsPerSecond).toBe(1234);
    expect(at100?.tenantBoundBy).toMatch(/W12/);
  });

  it("is printed by npm run capacity with the limits it rests on and their sources", () => {
    const ran = spawnSync(process.execPath, ["tools/capacity.ts"], { cwd: ROOT, encoding: "utf8" });
    expect(ran.status).toBe(0);
    expect(ran.stdout).toMatch(/^\| 200 ms \| /m);
    expect(ran.stdout).toContain("All figures are computed");
    expect(ran.stdout).toContain("https://developers.cloudflare.com/queues/platform/limits/");
    expect(ran.stdout).toMatch(/>= 5,000 deliveries at once met; >= 20,000 runs\/s met/);
  });
});
