/**
 * `npm run capacity [-- --shards K] [-- --object-runs-per-s N] [-- --json]`: prints the capacity
 * model (tools/capacity-model.ts) of the actual wrangler.toml: its QUEUE_SHARDS and its run queues'
 * consumer settings. `--shards` asks "what if" without editing the file (the queues for the extra
 * shards are assumed to have the same settings).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseShardCount } from "../src/queues/queue-shards.ts";
import {
  type CapacityInputs,
  type ConsumerConfig,
  capacityModel,
  meetsTarget,
  renderCapacity,
} from "./capacity-model.ts";

/** The target latencies the table shows (200 ms is the reference point). */
export const LATENCIES_MS = [100, 200, 1000, 10_000] as const;

/** The premium tier's in-flight cap (src/domain/tiers.ts; test-node/capacity.test.ts keeps them equal). */
export const PREMIUM_MAX_IN_FLIGHT = 1000;

/**
 * Runs/s one tenant's object sustains: measured by W12 ("object ceiling" in `npm run bench`,
 * `runs_per_s_c6`: claims of six, as the production consumer makes them). This value: the committed
 * full run of 2026-12-07 05:03 UTC (bench/results/latest.md) on the quiet 2-core machine.
 * `--object-runs-per-s` overrides it.
 */
export const OBJECT_RUNS_PER_S_W12: number | null = 1749;

/** The model's inputs from the wrangler.toml in `dir`. */
export async function inputsFrom(
  dir: string,
  overrides: { shards?: number; objectRunsPerSecond?: number | null } = {},
): Promise<CapacityInputs> {
  const { unstable_readConfig } = await import("wrangler");
  const config = unstable_readConfig({ config: join(dir, "wrangler.toml") });
  const vars = config.vars as Record<string, unknown>;
  const consumers = config.queues.consumers as ConsumerConfig[];
  const shards = overrides.shards ?? parseShardCount(vars.QUEUE_SHARDS);
  // What-if shards beyond the declared ones take the settings of shard 0 of their lane.
  const assumed = consumers.flatMap((c) => {
    const match = /^(runs-[a-z]+)-0$/.exec(c.queue);
    if (!match) return [];
    return Array.from({ length: shards }, (_, s) => ({ ...c, queue: `${match[1]}-${s}` })).filter(
      (extra) => !consumers.some((d) => d.queue === extra.queue),
    );
  });
  return {
    shards,
    consumers: [...consumers, ...assumed],
    latenciesMs: LATENCIES_MS,
    tenantMaxInFlight: PREMIUM_MAX_IN_FLIGHT,
    objectRunsPerSecond:
      overrides.objectRunsPerSecond === undefined
        ? OBJECT_RUNS_PER_S_W12
        : overrides.objectRunsPerSecond,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      shards: { type: "string" },
      "object-runs-per-s": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const inputs = await inputsFrom(process.cwd(), {
    ...(values.shards ? { shards: parseShardCount(values.shards) } : {}),
    ...(values["object-runs-per-s"]
      ? { objectRunsPerSecond: Number(values["object-runs-per-s"]) }
      : {}),
  });
  const capacity = capacityModel(inputs);
  if (values.json) {
    console.log(JSON.stringify(capacity, null, 2));
    return;
  }
  const met = meetsTarget(capacity);
  console.log(renderCapacity(capacity));
  console.log(
    `\nTarget at 200 ms targets, deployment-wide: >= 5,000 deliveries at once ${met.concurrent ? "met" : "MISSED"}; >= 20,000 runs/s ${met.runsPerSecond ? "met" : "MISSED"}.`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
