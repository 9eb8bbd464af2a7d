/** Sends run messages to the queue of their priority, within the Queues batch limits. */
import type { Priority } from "../domain/priority";
import type { RunMessage } from "../queues/messages";
import { chunks } from "./chunks";

export type RunQueues = Record<Priority, Queue<RunMessage>>;

export function runQueues(env: Env): RunQueues {
  return {
    high: env.RUNS_HIGH as Queue<RunMessage>,
    medium: env.RUNS_MEDIUM as Queue<RunMessage>,
    low: env.RUNS_LOW as Queue<RunMessage>,
  };
}

/** 100 messages per sendBatch is the Queues limit; our messages are far below its 256 KB. */
const SEND_BATCH = 100;

/** Sends every message; returns those that could not be sent. */
export async function sendRunMessages(
  queues: RunQueues,
  messages: RunMessage[],
): Promise<RunMessage[]> {
  const batches: RunMessage[][] = [];
  for (const priority of ["high", "medium", "low"] as const) {
    batches.push(
      ...chunks(
        messages.filter((m) => m.priority === priority),
        SEND_BATCH,
      ),
    );
  }
  const results = await Promise.allSettled(
    batches.map((batch) =>
      queues[batch[0]?.priority ?? "medium"].sendBatch(
        batch.map((body) => ({ body, contentType: "json" })),
      ),
    ),
  );
  return results.flatMap((result, i) => (result.status === "rejected" ? (batches[i] ?? []) : []));
}
