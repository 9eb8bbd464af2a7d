/**
 * runs-dlq consumer: messages no consumer could claim through all redeliveries. Each costs its run
 * one failed attempt (retried or dead by the job's policy); runs that moved on are left alone.
 */
import { logError } from "../observability/log";
import type { RunMessage } from "./messages";

export async function consumeDeadLetters(batch: MessageBatch<RunMessage>, env: Env): Promise<void> {
  const byTenant = new Map<string, Message<RunMessage>[]>();
  for (const message of batch.messages) {
    const tenantId = message.body?.tenant_id;
    if (typeof tenantId !== "string") {
      message.ack();
      continue;
    }
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), message]);
  }
  await Promise.all(
    [...byTenant].map(async ([tenantId, messages]) => {
      try {
        const scheduler = env.TENANT_SCHEDULER.get(env.TENANT_SCHEDULER.idFromName(tenantId));
        await scheduler.markUndeliverable(
          messages.map((m) => ({
            run_id: m.body.run_id,
            attempt: m.body.attempt,
            reason:
              "undeliverable: the queue message was dead-lettered before any consumer claimed it",
          })),
        );
        for (const m of messages) m.ack();
      } catch (error) {
        for (const m of messages) m.retry({ delaySeconds: 5 });
        logError("dlq.mark_failed", { tenant_id: tenantId, count: messages.length }, error);
      }
    }),
  );
}
