/**
 * Sends run messages to the queues, within the Queues batch limits. A tenant's first few queued
 * runs take the express queue, the rest the queue of their priority: a tenant with little waiting
 * never sits behind another tenant's burst (decision 40).
 */
import type { Priority } from "../../domain/priority";
import type { RunMessage } from "../../queues/messages";
import { chunks } from "../storage/chunks";

export type RunQueues = Record<Priority | "express", Queue<RunMessage>>;

/**
 * At most this many of a tenant's runs wait in the express queue at once: a run goes there only
 * while the tenant has fewer queued runs than this, wherever they wait. So a tenant's first due
 * run has at most this many messages of each other tenant ahead of it.
 */
export const EXPRESS_SHARE = 10;

export function runQueues(env: Env): RunQueues {
  return {
    express: env.RUNS_EXPRESS as Queue<RunMessage>,
    high: env.RUNS_HIGH as Queue<RunMessage>,
    medium: env.RUNS_MEDIUM as Queue<RunMessage>,
    low: env.RUNS_LOW as Queue<RunMessage>,
  };
}

/** 100 messages per sendBatch is the Queues limit; our messages are far below its 256 KB. */
const SEND_BATCH = 100;

/**
 * Sends every message; the first `express` of them (the round sends one priority, oldest first) go
 * to the express queue. Returns the messages that could not be sent.
 */
export async function sendRunMessages(
  queues: RunQueues,
  messages: RunMessage[],
  express = 0,
): Promise<RunMessage[]> {
  const lanes: [Queue<RunMessage>, RunMessage[]][] = [[queues.express, messages.slice(0, express)]];
  for (const priority of ["high", "medium", "low"] as const) {
    lanes.push([queues[priority], messages.slice(express).filter((m) => m.priority === priority)]);
  }
  const batches = lanes.flatMap(([queue, lane]) =>
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
