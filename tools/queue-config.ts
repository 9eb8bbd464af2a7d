/**
 * `npm run queues:config [-- --check]`: writes the run queues' sections of wrangler.toml from its
 * one setting, `QUEUE_SHARDS` (K): a producer binding and a consumer for each lane and shard
 * (`runs-<lane>-0..K-1`), and the dead-letter queue's consumer. `--check` changes nothing and
 * exits 1 when the sections differ from what K gives (tests and `npm run setup` check this).
 * The consumer settings are the capacity model's (docs/performance.md, `npm run capacity`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DELIVERY_SLOTS } from "../src/queues/delivery-slots.ts";
import {
  bindingName,
  DEAD_LETTER_QUEUE,
  LANES,
  type Lane,
  parseShardCount,
  queueName,
} from "../src/queues/queue-shards.ts";

export const BEGIN =
  "# >>> run queues: written by `npm run queues:config` from QUEUE_SHARDS; do not edit";
export const END = "# <<< run queues";

/** Queues' maximum concurrent consumer invocations per queue (Queues limits). */
export const MAX_CONCURRENCY = 250;

/** Seconds a lane's consumer waits to fill a batch: none, except for the low lane. */
const BATCH_TIMEOUT: Record<Lane, number> = { express: 0, high: 0, medium: 0, low: 1 };

/** The `QUEUE_SHARDS` var of a wrangler.toml text, or null when it has none. */
export function shardSetting(toml: string): number | null {
  const match = /^\s*QUEUE_SHARDS\s*=\s*"?([^"\s]+)"?\s*$/m.exec(toml);
  return match ? parseShardCount(match[1]) : null;
}

/** The generated sections for `shards` shards per lane, between the BEGIN and END lines. */
export function queueSections(shards: number): string {
  const lines = [
    BEGIN,
    "# A tenant's runs go to its shard of each lane (src/queues/queue-shards.ts). Batches fit the six",
    "# connections of one invocation, so every claimed run starts at once (decision 69); concurrency",
    "# is the platform maximum (docs/performance.md, npm run capacity).",
  ];
  for (const lane of LANES) {
    for (let shard = 0; shard < shards; shard++) {
      lines.push(
        "",
        "[[queues.producers]]",
        `binding = "${bindingName(lane, shard)}"`,
        `queue = "${queueName(lane, shard)}"`,
      );
    }
  }
  for (const lane of LANES) {
    for (let shard = 0; shard < shards; shard++) {
      lines.push(
        "",
        "[[queues.consumers]]",
        `queue = "${queueName(lane, shard)}"`,
        `max_batch_size = ${DELIVERY_SLOTS}`,
        `max_batch_timeout = ${BATCH_TIMEOUT[lane]}`,
        `max_concurrency = ${MAX_CONCURRENCY}`,
        "max_retries = 5",
        `dead_letter_queue = "${DEAD_LETTER_QUEUE}"`,
      );
    }
  }
  lines.push(
    "",
    "# Messages no consumer could claim through every redelivery (src/queues/dead-letters.ts).",
    "[[queues.consumers]]",
    `queue = "${DEAD_LETTER_QUEUE}"`,
    "max_batch_size = 50",
    "max_batch_timeout = 1",
    "max_concurrency = 2",
    "max_retries = 10",
    END,
  );
  return lines.join("\n");
}

/** `toml` with its run queue sections replaced by the ones its QUEUE_SHARDS gives. */
export function withQueueSections(toml: string): string {
  const shards = shardSetting(toml);
  if (shards === null) throw new Error("wrangler.toml has no QUEUE_SHARDS in [vars]");
  const start = toml.indexOf(BEGIN);
  const end = toml.indexOf(END);
  if (start < 0 || end < start)
    throw new Error(`wrangler.toml lacks the lines "${BEGIN}" … "${END}"`);
  return toml.slice(0, start) + queueSections(shards) + toml.slice(end + END.length);
}

/** Whether the wrangler.toml in `dir` has the run queue sections its QUEUE_SHARDS gives. */
export function queueSectionsCurrent(dir: string): boolean {
  const toml = readFileSync(join(dir, "wrangler.toml"), "utf8");
  return withQueueSections(toml) === toml;
}

function main(): void {
  const path = join(process.cwd(), "wrangler.toml");
  const toml = readFileSync(path, "utf8");
  const next = withQueueSections(toml);
  const shards = shardSetting(toml);
  if (process.argv.includes("--check")) {
    if (next !== toml) {
      console.error(
        `wrangler.toml: the run queue sections do not match QUEUE_SHARDS = ${shards}; run npm run queues:config`,
      );
      process.exit(1);
    }
    console.log(`wrangler.toml: run queue sections match QUEUE_SHARDS = ${shards}`);
    return;
  }
  writeFileSync(path, next);
  console.log(
    `wrangler.toml: ${LANES.length} lanes × ${shards} shards (${LANES.length * (shards ?? 0)} run queues) and ${DEAD_LETTER_QUEUE}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
