/** The signed HTTP request of one attempt: body, Standard Webhooks headers and x-scheduler-* headers. */
import type { ClaimedAttempt, TaskEnvelope } from "./messages";
import { type DeliveryMetadata, signDelivery } from "./signing";

/**
 * A task's request body: the envelope with the task's own `body` and its upstream results, keyed
 * by task key (README, "Task graphs").
 */
function taskBody(attempt: ClaimedAttempt, task: TaskEnvelope) {
  return {
    run_id: task.run_id,
    task: task.key,
    task_run_id: attempt.run_id,
    attempt: attempt.attempt,
    scheduled_for: new Date(attempt.scheduled_for).toISOString(),
    body: attempt.target.body ?? null,
    upstream: task.upstream,
  };
}

/**
 * The signed request for one attempt; throws when the stored target cannot form a request.
 * `webhook-id` is the id of the run delivered (for a task, the task's own run), the same on every
 * attempt, so receivers deduplicate on it the Standard Webhooks way.
 */
export async function buildRequest(
  attempt: ClaimedAttempt,
  secrets: string[],
  startedAt: number,
): Promise<{ headers: Headers; body: string }> {
  const { target, task } = attempt;
  const body =
    target.method === "GET"
      ? ""
      : task
        ? JSON.stringify(taskBody(attempt, task))
        : target.body === undefined
          ? ""
          : JSON.stringify(target.body);
  const id = attempt.run_id;
  const timestamp = Math.floor(startedAt / 1000);
  const metadata: DeliveryMetadata = {
    // A task carries its occurrence's id; its own run id is `x-scheduler-task-run-id`.
    runId: task ? task.run_id : attempt.run_id,
    task: task ? { key: task.key, runId: attempt.run_id } : null,
    attempt: attempt.attempt,
    scheduledFor: new Date(attempt.scheduled_for).toISOString(),
  };
  // First: a stored header `Headers` refuses throws before any signing work.
  const headers = new Headers(target.headers);
  const signed = await signDelivery(secrets, id, timestamp, body, metadata);
  if (body) headers.set("content-type", "application/json");
  headers.set("user-agent", "edge-scheduler/1");
  headers.set("webhook-id", id);
  headers.set("webhook-timestamp", String(timestamp));
  headers.set("webhook-signature", signed.signature);
  headers.set("x-scheduler-signature", signed.metadataSignature);
  headers.set("x-scheduler-run-id", metadata.runId);
  if (metadata.task) {
    headers.set("x-scheduler-task", metadata.task.key);
    headers.set("x-scheduler-task-run-id", metadata.task.runId);
  }
  headers.set("x-scheduler-attempt", String(metadata.attempt));
  headers.set("x-scheduler-scheduled-for", metadata.scheduledFor);
  return { headers, body };
}
