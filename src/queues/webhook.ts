/** Executes one claimed attempt: a signed HTTP request with the job's timeout. */
import { env } from "cloudflare:workers";
import { targetRefusal } from "../domain/targets";
import { describeFetchError, describeStatus, PROBE_TIMEOUT_MS } from "./fetch-failures";
import type { AttemptResult, ClaimedAttempt } from "./messages";
import { buildRequest } from "./webhook-request";

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

export interface DeliveryOptions {
  /** ALLOW_INSECURE_TARGETS; read from the Worker's environment when not given. */
  allowInsecureTargets?: boolean;
}

/**
 * Calls the attempt's target and describes what happened; never throws. Anything that goes wrong,
 * including a stored target that cannot form a request, fails this attempt only: a throw here
 * would fail the consumer's whole batch, other tenants' attempts included.
 * The target is checked again first: a job written while insecure targets were allowed (or before
 * a rule existed) is not called, and its run ends without retries.
 */
export async function deliverWebhook(
  attempt: ClaimedAttempt,
  secrets: string[],
  options: DeliveryOptions = {},
): Promise<AttemptResult> {
  const startedAt = Date.now();
  const base = { run_id: attempt.run_id, attempt: attempt.attempt, started_at: startedAt };
  const failed = (
    outcome: "timeout" | "network_error" | "failed",
    error: string,
    extra: { retryable?: boolean } = {},
  ): AttemptResult => ({
    ...base,
    outcome,
    status_code: null,
    duration_ms: Date.now() - startedAt,
    response_body: null,
    error,
    ...extra,
  });
  const allowInsecure = options.allowInsecureTargets ?? env.ALLOW_INSECURE_TARGETS === "true";
  const refusal = targetRefusal(attempt.target.url, allowInsecure);
  if (refusal !== null) {
    return failed("failed", `target not allowed at delivery: target.url ${refusal}`, {
      retryable: false,
    });
  }
  let request: { headers: Headers; body: string };
  try {
    request = await buildRequest(attempt, secrets, startedAt);
  } catch (error) {
    return failed("network_error", `invalid request: ${messageOf(error)}`);
  }
  const timeoutText = `no response within ${attempt.timeout_seconds}s`;
  const signal = AbortSignal.timeout(attempt.timeout_seconds * 1000);
  let response: Response;
  try {
    response = await fetch(attempt.target.url, {
      method: attempt.target.method,
      headers: request.headers,
      body: request.body || undefined,
      redirect: "manual",
      signal,
    });
  } catch (error) {
    if (signal.aborted) return failed("timeout", timeoutText);
    const durationMs = Date.now() - startedAt;
    // The words come from a follow-up connection that must not outlast the attempt's timeout.
    const left = attempt.timeout_seconds * 1000 - durationMs;
    const described = await describeFetchError(
      error,
      attempt.target.url,
      Math.min(PROBE_TIMEOUT_MS, left),
    );
    return { ...failed("network_error", described), duration_ms: durationMs };
  }
  let responseBody: string;
  try {
    responseBody = await readPrefix(response, RESPONSE_BODY_LIMIT);
  } catch (error) {
    // No status code: what retries look at is that the answer never arrived whole.
    if (signal.aborted)
      return failed(
        "timeout",
        `the answer (HTTP ${response.status}) did not finish within ${attempt.timeout_seconds}s`,
      );
    return failed(
      "network_error",
      `the connection broke while reading the answer (HTTP ${response.status}): ${messageOf(error)}`,
    );
  }
  const ok = response.status >= 200 && response.status < 300;
  return {
    ...base,
    outcome: ok ? "succeeded" : "failed",
    status_code: response.status,
    duration_ms: Date.now() - startedAt,
    response_body: responseBody,
    error: ok ? null : describeStatus(response.status, responseBody),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
