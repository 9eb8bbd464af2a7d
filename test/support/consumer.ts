/** Driving the run queue consumer by hand: runs queued without sending, and batches of their messages. */
import { createMessageBatch } from "cloudflare:test";
import type { RunMessage } from "../../src/queues/messages";
import { callJson, jobBody, type TestTenant } from "./api";
import { insideScheduler, queueWithoutSending } from "./tenant-object";

/**
 * Creates `count` jobs due in an hour (with `fields`, such as a timeout) and returns the queue
 * messages of a manual run of each, marked queued but not sent: the test hands them to a consumer.
 */
export async function queuedRuns(
  tenant: TestTenant,
  url: string,
  count: number,
  fields: Record<string, unknown> = {},
): Promise<RunMessage[]> {
  const later = new Date(Date.now() + 3_600_000).toISOString();
  const jobs = Array.from({ length: count }, (_, i) =>
    jobBody({ name: `j${i}`, schedule: { at: later }, target: { type: "http", url }, ...fields }),
  );
  const created = await callJson<{ data: { id: string }[] }>(
    "/v1/jobs/batch",
    { token: tenant.token, body: { jobs } },
    201,
  );
  return queueWithoutSending(
    tenant.id,
    created.data.map((j) => j.id),
  );
}

/** A batch from run queue `queue` holding `bodies`, each delivered for the first time. */
export function batchOf(queue: string, bodies: RunMessage[]): MessageBatch<never> {
  const messages = bodies.map((body, i) => ({
    id: `m${i}`,
    timestamp: new Date(),
    attempts: 1,
    body,
  }));
  return createMessageBatch(queue, messages) as MessageBatch<never>;
}

/** Sets a sent run's lease (stored row and the object's table), as if its message had waited long. */
export function setLease(tenantId: string, runId: string, expiresAt: number): Promise<void> {
  return insideScheduler(tenantId, (s) => {
    s.transaction(() => s.runs.patch(s.runs.require(runId), { leaseExpiresAt: expiresAt }));
  });
}
