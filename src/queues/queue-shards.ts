/**
 * The run queues' names: one queue per lane (express and the three priorities) and shard,
 * `runs-<lane>-<shard>`, bound as `RUNS_<LANE>_<shard>`. A tenant's runs go to one shard of each lane,
 * picked by a stable hash of its id. The number of shards (K) is `QUEUE_SHARDS` in wrangler.toml,
 * whose queue sections `npm run queues:config` writes from it. Plain functions: the Worker, the
 * object and the Node tools (setup, queues:config, capacity) share them.
 */

export const LANES = ["express", "high", "medium", "low"] as const;
export type Lane = (typeof LANES)[number];

/** Where dead-lettered run messages go (one queue for every lane and shard). */
export const DEAD_LETTER_QUEUE = "runs-dlq";

export function queueName(lane: Lane, shard: number): string {
  return `runs-${lane}-${shard}`;
}

export function bindingName(lane: Lane, shard: number): string {
  return `RUNS_${lane.toUpperCase()}_${shard}`;
}

/** The lane and shard of a run queue's name, or null for any other queue. */
export function parseQueueName(name: string): { lane: Lane; shard: number } | null {
  const match = /^runs-([a-z]+)-(\d+)$/.exec(name);
  const lane = LANES.find((l) => l === match?.[1]);
  return lane === undefined ? null : { lane, shard: Number(match?.[2]) };
}

/** `QUEUE_SHARDS` as a shard count: a whole number from 1, else 1. */
export function parseShardCount(value: unknown): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/**
 * The shard of a tenant: 32-bit FNV-1a of its id's UTF-8 bytes, modulo the shard count. Stable
 * across deployments and isolates, so a tenant's messages of one lane always meet in one queue
 * (until K changes).
 */
export function shardOf(tenantId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(tenantId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}
