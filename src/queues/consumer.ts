/**
 * Run queue consumer. It claims only what can start now: as many runs as the invocation has free
 * connection slots (six), one claim per tenant, and hands each tenant's deliveries and their report
 * (gathered per tenant across invocations, report-buffer.ts) to `ctx.waitUntil`. With `queue_consumer_no_wait_for_wait_until` (wrangler.toml) a batch is done
 * when the handler returns, so the queue moves on while slow targets are still being called: a
 * tenant's hanging targets hold its own deliveries and in-flight cap, never the queue or another
 * tenant's runs (decision 69). It never throws: a throwing consumer gets the whole batch retried,
 * acked messages included, so each message is acked or retried on its own.
 */
import { type AttemptAnalytics, attemptAnalytics } from "../observability/analytics";
import { log, logError } from "../observability/log";
import { DeliverySlots } from "./delivery-slots";
import type { AttemptResult, ClaimedAttempt, ClaimResponse, RunMessage } from "./messages";
import { ReportBuffer } from "./report-buffer";
import { deliverWebhook } from "./webhook";

/** A queue consumer invocation may run 15 minutes of wall time (Queues limits, "Consumer duration"). */
export const INVOCATION_WALL_MS = 15 * 60_000;
/** Kept at the end of an invocation for the report after the last delivery. */
const REPORT_RESERVE_MS = 30_000;
/** An invocation with less than this left claims nothing more: its remaining messages go back. */
const MIN_CLAIM_TIME_MS = 60_000;

/** Delay before redelivering a message whose claim failed: 2, 4, 8, 16, 30, 30 … s (about a minute over 5 retries). */
export function claimRetryDelaySeconds(deliveries: number): number {
  return Math.min(30, 2 ** Math.max(1, deliveries));
}

/** This isolate's results on their way to each tenant's object (report-buffer.ts). */
const reports = new ReportBuffer();

interface Invocation {
  env: Env;
  ctx: Pick<ExecutionContext, "waitUntil">;
  workerId: string;
  analytics: AttemptAnalytics;
  slots: DeliverySlots;
  /** Deliveries must end by then, so the report still fits in the invocation. */
  deadline: number;
}

/**
 * The batch's routable messages, tenants taking turns (a, b, c, a, a …): when a batch holds more
 * messages than there are slots, each tenant's first runs start in the first wave.
 */
function tenantsInTurn(messages: readonly Message<RunMessage>[]): Message<RunMessage>[] {
  const groups = groupByTenant(messages);
  const out: Message<RunMessage>[] = [];
  for (let i = 0; out.length < messages.length; i++) {
    let taken = false;
    for (const group of groups.values()) {
      const message = group[i];
      if (message) {
        out.push(message);
        taken = true;
      }
    }
    if (!taken) break;
  }
  return out;
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

/**
 * Claims one tenant's messages of a wave and starts their deliveries at once (each has a free
 * slot). The messages are acked when the claim answers: a claimed run is covered by the lease the
 * claim set (attempt-lifecycle.ts), so a delivery that never reports is retried by the object, not
 * by the queue. Deliveries and the report continue in `waitUntil`.
 */
async function startTenant(
  run: Invocation,
  tenantId: string,
  messages: Message<RunMessage>[],
): Promise<void> {
  const scheduler = run.env.TENANT_SCHEDULER.get(run.env.TENANT_SCHEDULER.idFromName(tenantId));
  let claim: ClaimResponse;
  try {
    // Typed from the object's declaration: RPC stub types lose this shape.
    claim = (await scheduler.claimRuns(
      messages.map((m) => ({ run_id: m.body.run_id, attempt: m.body.attempt })),
      run.workerId,
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
    }
    m.ack();
  }
  if (claim.claimed.length === 0) return;
  const deliveries = claim.claimed.map((attempt) =>
    run.slots.run(() =>
      deliverWebhook(withinInvocation(attempt, run.deadline), claim.signing_secrets),
    ),
  );
  run.ctx.waitUntil(finishTenant(run, tenantId, scheduler, claim.claimed, deliveries));
}

/** The attempt with its timeout cut to what the invocation has left (900 s becomes about 870 s). */
function withinInvocation(attempt: ClaimedAttempt, deadline: number): ClaimedAttempt {
  const left = Math.floor((deadline - Date.now()) / 1000);
  return left >= attempt.timeout_seconds
    ? attempt
    : { ...attempt, timeout_seconds: Math.max(1, left) };
}

/** Waits for a tenant's deliveries, records them, and reports them (report-buffer.ts). Never rejects. */
async function finishTenant(
  run: Invocation,
  tenantId: string,
  scheduler: { reportResults(results: AttemptResult[]): Promise<void> },
  claimed: ClaimedAttempt[],
  deliveries: Promise<AttemptResult>[],
): Promise<void> {
  const settled = await Promise.allSettled(deliveries);
  const results: AttemptResult[] = settled.map((outcome, i) =>
    outcome.status === "fulfilled"
      ? outcome.value
      : unexpectedFailure(claimed[i] as ClaimedAttempt, outcome.reason),
  );
  // Recorded before the report, so a run seen finished through the API already has its point.
  try {
    recordAttempts(run.analytics, tenantId, claimed, results);
  } catch (error) {
    logError("consumer.analytics_failed", { tenant_id: tenantId }, error);
  }
  await reports.add(tenantId, results, async (gathered) => {
    try {
      await scheduler.reportResults(gathered);
    } catch (error) {
      // The attempts ran; if their results are lost, the run leases expire and the runs retry.
      logError("consumer.report_failed", { tenant_id: tenantId, count: gathered.length }, error);
    }
  });
}

/** deliverWebhook never throws; should it, the attempt fails on its own. */
function unexpectedFailure(attempt: ClaimedAttempt, reason: unknown): AttemptResult {
  return {
    run_id: attempt.run_id,
    attempt: attempt.attempt,
    outcome: "network_error",
    status_code: null,
    started_at: Date.now(),
    duration_ms: 0,
    response_body: null,
    error: reason instanceof Error ? reason.message : String(reason),
  };
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

/**
 * Handles a batch from a run queue (`runs-<lane>-<shard>`). A batch that fits the six slots (the
 * configured `max_batch_size`) is one wave: claimed, handed off, returned. A larger one is claimed
 * a wave at a time as slots free, so no claimed run waits for a connection.
 */
export async function consumeRunBatch(
  batch: MessageBatch<RunMessage>,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  analytics: AttemptAnalytics = attemptAnalytics(env),
): Promise<void> {
  const startedAt = Date.now();
  const run: Invocation = {
    env,
    ctx,
    // The attempt records which queue delivered it (`runs-express-0-…`): lanes are visible per run.
    workerId: `${batch.queue}-${crypto.randomUUID().slice(0, 8)}`,
    analytics,
    slots: new DeliverySlots(),
    deadline: startedAt + INVOCATION_WALL_MS - REPORT_RESERVE_MS,
  };
  const waiting = tenantsInTurn(batch.messages);
  while (waiting.length > 0) {
    await run.slots.whenFree();
    if (run.deadline - Date.now() < MIN_CLAIM_TIME_MS) {
      // Only a batch far larger than the slots gets here: another invocation starts the rest.
      for (const m of waiting) m.retry();
      break;
    }
    const wave = groupByTenant(waiting.splice(0, run.slots.free()));
    await Promise.all(
      [...wave].map(async ([tenantId, messages]) => {
        try {
          await startTenant(run, tenantId, messages);
        } catch (error) {
          // A bug in one tenant's handling must not fail the batch (the queue would redeliver
          // every tenant's messages); its messages come again later and stale ones fail their claim.
          for (const m of messages) m.retry({ delaySeconds: 5 });
          logError(
            "consumer.tenant_failed",
            { tenant_id: tenantId, count: messages.length },
            error,
          );
        }
      }),
    );
  }
}
