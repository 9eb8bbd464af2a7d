/** runs-dlq consumer: messages no consumer could process; their runs become dead. */
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
        await scheduler.markDead(
          messages.map((m) => ({
            run_id: m.body.run_id,
            attempt: m.body.attempt,
            reason: "dead-lettered: the queue message exhausted its deliveries",
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
