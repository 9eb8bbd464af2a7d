/**
 * Run queue consumer. Per batch and tenant it makes two object calls (claim, report) whatever the
 * batch size. It never throws: a throwing consumer gets the whole batch retried, acked messages
 * included, so each message is acked or retried on its own.
 */
import { type AttemptAnalytics, attemptAnalytics } from "../observability/analytics";
import { log, logError } from "../observability/log";
import { DeliverySlots } from "./delivery-slots";
import type { AttemptResult, ClaimedAttempt, ClaimResponse, RunMessage } from "./messages";
import { deliverWebhook } from "./webhook";

/** Delay before redelivering a message whose claim failed: 2, 4, 8, 16, 30, 30 … s (about a minute over 5 retries). */
export function claimRetryDelaySeconds(deliveries: number): number {
  return Math.min(30, 2 ** Math.max(1, deliveries));
}

function groupByTenant(
  messages: readonly Message<RunMessage>[],
): Map<string, Message<RunMessage>[]> {
  const groups = new Map<string, Message<RunMessage>[]>();
  for (const message of messages) {
    const tenantId = message.body?.tenant_id;
    if (typeof tenantId !== "string") {
      // Not ours to understand: drop it (it cannot be routed, so retrying cannot help).
      message.ack();
      continue;
    }
    const group = groups.get(tenantId) ?? [];
    group.push(message);
    groups.set(tenantId, group);
  }
  return groups;
}

async function consumeTenant(
  env: Env,
  tenantId: string,
  messages: Message<RunMessage>[],
  workerId: string,
  analytics: AttemptAnalytics,
  slots: DeliverySlots,
): Promise<void> {
  const scheduler = env.TENANT_SCHEDULER.get(env.TENANT_SCHEDULER.idFromName(tenantId));
  let claim: ClaimResponse;
  try {
    // Typed from the object's declaration: RPC stub types lose this shape.
    claim = (await scheduler.claimRuns(
      messages.map((m) => ({ run_id: m.body.run_id, attempt: m.body.attempt })),
      workerId,
    )) as ClaimResponse;
  } catch (error) {
    // The object was unreachable: redeliver with growing delays, so a short outage (a restart, a
    // deploy) costs no attempt; only after max_retries does the message dead-letter.
    for (const m of messages) m.retry({ delaySeconds: claimRetryDelaySeconds(m.attempts) });
    logError("consumer.claim_failed", { tenant_id: tenantId, count: messages.length }, error);
    return;
  }
  const claimed = new Set(claim.claimed.map((c) => c.run_id));
  for (const m of messages) {
    if (!claimed.has(m.body.run_id)) {
      log("attempt.dropped", {
        tenant_id: tenantId,
        job_id: m.body.job_id,
        run_id: m.body.run_id,
        attempt: m.body.attempt,
        reason: "stale, duplicate or not claimable",
      });
      m.ack();
    }
  }
  const results: AttemptResult[] = await Promise.all(
    claim.claimed.map((c) => slots.run(() => deliverWebhook(c, claim.signing_secrets))),
  );
  // Everything below only records: the attempts ran, so their messages are done whatever happens.
  // Recorded before the report, so a run seen finished through the API already has its point.
  try {
    recordAttempts(analytics, tenantId, claim.claimed, results);
  } catch (error) {
    logError("consumer.analytics_failed", { tenant_id: tenantId }, error);
  }
  try {
    await scheduler.reportResults(results);
  } catch (error) {
    // The attempts ran; if their results are lost, the run leases expire and the runs retry.
    logError("consumer.report_failed", { tenant_id: tenantId, count: results.length }, error);
  }
  for (const m of messages) if (claimed.has(m.body.run_id)) m.ack();
}

/** One Analytics Engine data point per finished attempt (results are in claim order). */
function recordAttempts(
  analytics: AttemptAnalytics,
  tenantId: string,
  claimed: ClaimedAttempt[],
  results: AttemptResult[],
): void {
  claimed.forEach((attempt, i) => {
    const result = results[i];
    if (!result) return;
    analytics.record({
      tenant_id: tenantId,
      job_id: attempt.job_id,
      run_id: attempt.run_id,
      priority: attempt.priority,
      outcome: result.outcome,
      attempt: attempt.attempt,
      fire_lag_ms: Math.max(0, attempt.claimed_at - attempt.scheduled_for),
      duration_ms: result.duration_ms,
      status_code: result.status_code,
      task_key: attempt.task?.key,
      parent_run_id: attempt.task?.run_id,
    });
  });
}

/** Handles a batch from runs-express, runs-high, runs-medium or runs-low. */
export async function consumeRunBatch(
  batch: MessageBatch<RunMessage>,
  env: Env,
  analytics: AttemptAnalytics = attemptAnalytics(env),
): Promise<void> {
  // The attempt records which queue delivered it (`runs-express-…`): lanes are visible per run.
  const workerId = `${batch.queue}-${crypto.randomUUID().slice(0, 8)}`;
  // Shared by every tenant of the batch: the connection limit is the invocation's.
  const slots = new DeliverySlots();
  const groups = groupByTenant(batch.messages);
  await Promise.all(
    [...groups].map(async ([tenantId, messages]) => {
      try {
        await consumeTenant(env, tenantId, messages, workerId, analytics, slots);
      } catch (error) {
        // A bug in one tenant's handling must not fail the batch (the queue would redeliver every
        // tenant's messages); its messages come again later and stale ones fail their claim.
        for (const m of messages) m.retry({ delaySeconds: 5 });
        logError("consumer.tenant_failed", { tenant_id: tenantId, count: messages.length }, error);
      }
    }),
  );
}
