/** Executes one claimed attempt: a signed HTTP request with the job's timeout. */
import type { AttemptResult, ClaimedAttempt, TaskEnvelope } from "./messages";
import { signWebhook } from "./signing";

/** How much of a response body is kept on the attempt. */
export const RESPONSE_BODY_LIMIT = 4096;

async function readPrefix(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    parts.push(value);
    size += value.byteLength;
  }
  // Only a body longer than the limit has anything left to discard.
  if (!ended) await reader.cancel().catch(() => {});
  const all = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.byteLength;
  }
  return new TextDecoder().decode(all.subarray(0, limit));
}

/** The signed request for one attempt; throws when the stored target cannot form a request. */
async function buildRequest(
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
  const id = `${attempt.run_id}_${attempt.attempt}`;
  const timestamp = Math.floor(startedAt / 1000);
  const headers = new Headers(target.headers);
  if (body) headers.set("content-type", "application/json");
  headers.set("user-agent", "edge-scheduler/1");
  headers.set("webhook-id", id);
  headers.set("webhook-timestamp", String(timestamp));
  headers.set("webhook-signature", await signWebhook(secrets, id, timestamp, body));
  // A task carries its occurrence's id; its own run id is `x-scheduler-task-run-id`.
  headers.set("x-scheduler-run-id", task ? task.run_id : attempt.run_id);
  if (task) {
    headers.set("x-scheduler-task", task.key);
    headers.set("x-scheduler-task-run-id", attempt.run_id);
  }
  headers.set("x-scheduler-attempt", String(attempt.attempt));
  headers.set("x-scheduler-scheduled-for", new Date(attempt.scheduled_for).toISOString());
  return { headers, body };
}

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
 * Calls the attempt's target and describes what happened; never throws. Anything that goes wrong,
 * including a stored target that cannot form a request, fails this attempt only: a throw here
 * would fail the consumer's whole batch, other tenants' attempts included.
 */
export async function deliverWebhook(
  attempt: ClaimedAttempt,
  secrets: string[],
): Promise<AttemptResult> {
  const startedAt = Date.now();
  const base = { run_id: attempt.run_id, attempt: attempt.attempt, started_at: startedAt };
  const failed = (outcome: "timeout" | "network_error", error: string): AttemptResult => ({
    ...base,
    outcome,
    status_code: null,
    duration_ms: Date.now() - startedAt,
    response_body: null,
    error,
  });
  let request: { headers: Headers; body: string };
  try {
    request = await buildRequest(attempt, secrets, startedAt);
  } catch (error) {
    return failed("network_error", `invalid request: ${messageOf(error)}`);
  }
  const signal = AbortSignal.timeout(attempt.timeout_seconds * 1000);
  try {
    const response = await fetch(attempt.target.url, {
      method: attempt.target.method,
      headers: request.headers,
      body: request.body || undefined,
      redirect: "manual",
      signal,
    });
    const responseBody = await readPrefix(response, RESPONSE_BODY_LIMIT);
    const ok = response.status >= 200 && response.status < 300;
    return {
      ...base,
      outcome: ok ? "succeeded" : "failed",
      status_code: response.status,
      duration_ms: Date.now() - startedAt,
      response_body: responseBody,
      error: ok ? null : `HTTP ${response.status}`,
    };
  } catch (error) {
    return signal.aborted
      ? failed("timeout", `no response within ${attempt.timeout_seconds}s`)
      : failed("network_error", messageOf(error));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
