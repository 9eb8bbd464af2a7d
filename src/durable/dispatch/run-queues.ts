/**
 * Sends run messages to the queues, within the Queues batch limits. A tenant's first few queued
 * runs take the express lane, the rest the lane of their priority (decision 40); each lane has
 * `QUEUE_SHARDS` queues and a tenant's messages go to its shard of the lane (stable hash of its
 * id, src/queues/queue-shards.ts), so lanes scale past one queue's limits (decision 70).
 */
import type { Priority } from "../../domain/priority";
import type { RunMessage } from "../../queues/messages";
import { bindingName, LANES, type Lane, parseShardCount, shardOf } from "../../queues/queue-shards";
import { chunks } from "../storage/chunks";

/** A tenant's queues: its shard of each lane. */
export type TenantQueues = Record<Lane, Queue<RunMessage>>;

export interface RunQueues {
  /** How many shards each lane has in use. */
  readonly shards: number;
  forTenant(tenantId: string): TenantQueues;
}

/**
 * At most this many of a tenant's runs wait in the express queue at once: a run goes there only
 * while the tenant has fewer queued runs than this, wherever they wait. So a tenant's first due
 * run has at most this many messages of each other tenant ahead of it.
 */
export const EXPRESS_SHARE = 10;

type QueueBindings = Record<string, Queue<RunMessage> | undefined>;

/** Shards whose queues are bound for every lane, counted from 0 (what wrangler.toml declares). */
function boundShards(bindings: QueueBindings): number {
  let shards = 0;
  while (LANES.every((lane) => bindings[bindingName(lane, shards)] !== undefined)) shards++;
  return shards;
}

/**
 * The run queues of this deployment: `QUEUE_SHARDS` shards per lane (tests and local runs may
 * set fewer than wrangler.toml declares), never more than are bound.
 */
export function runQueues(env: Env): RunQueues {
  const bindings = env as unknown as QueueBindings;
  const shards = Math.min(
    parseShardCount((env as { QUEUE_SHARDS?: string }).QUEUE_SHARDS),
    boundShards(bindings),
  );
  if (shards === 0) throw new Error(`no run queue bindings (${bindingName("medium", 0)} …)`);
  return {
    shards,
    forTenant(tenantId) {
      const shard = shardOf(tenantId, shards);
      const lanes = LANES.map((lane) => [lane, bindings[bindingName(lane, shard)]] as const);
      return Object.fromEntries(lanes) as TenantQueues;
    },
  };
}

/** 100 messages per sendBatch is the Queues limit; our messages are far below its 256 KB. */
const SEND_BATCH = 100;

/**
 * Sends every message; the first `express` of them (the round sends one priority, oldest first) go
 * to the express lane. Returns the messages that could not be sent.
 */
export async function sendRunMessages(
  queues: RunQueues,
  messages: RunMessage[],
  express = 0,
): Promise<RunMessage[]> {
  const byQueue = new Map<Queue<RunMessage>, RunMessage[]>();
  messages.forEach((message, i) => {
    const lane: Lane = i < express ? "express" : (message.priority satisfies Priority);
    const queue = queues.forTenant(message.tenant_id)[lane];
    const queued = byQueue.get(queue);
    if (queued) queued.push(message);
    else byQueue.set(queue, [message]);
  });
  const batches = [...byQueue].flatMap(([queue, lane]) =>
    chunks(lane, SEND_BATCH).map((batch) => [queue, batch] as const),
  );
  const results = await Promise.allSettled(
    batches.map(([queue, batch]) =>
      queue.sendBatch(batch.map((body) => ({ body, contentType: "json" }))),
    ),
  );
  return results.flatMap((result, i) =>
    result.status === "rejected" ? (batches[i]?.[1] ?? []) : [],
  );
}
