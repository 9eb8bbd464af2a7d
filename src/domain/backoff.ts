/** Retry backoff: exponential, capped, with full jitter. */

export interface RetryPolicy {
  max_attempts: number;
  initial_backoff_seconds: number;
  max_backoff_seconds: number;
}

/**
 * Delay in ms before retry number `attempt` (1 = the first retry): a uniformly random point
 * between the initial backoff and min(max, initial * 2^(attempt-1)). Jitter spreads retries of
 * runs that failed together, so a recovering target is not hit by a thundering herd.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const initial = policy.initial_backoff_seconds;
  const ceiling = Math.min(policy.max_backoff_seconds, initial * 2 ** Math.max(0, attempt - 1));
  const seconds = initial + random() * Math.max(0, ceiling - initial);
  return Math.round(seconds * 1000);
}

/** Whether an HTTP outcome is worth retrying. Network errors and timeouts arrive as status null. */
export function isRetryable(status: number | null, retryOn: "any" | "transient"): boolean {
  if (status === null) return true;
  if (status >= 200 && status < 300) return false;
  if (status === 408 || status === 429 || status >= 500) return true;
  return retryOn === "any";
}
