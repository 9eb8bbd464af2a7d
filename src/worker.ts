/** Entry point: HTTP goes to the Hono app, queue batches to their consumers; exports the objects. */
import { createApp } from "./api/app";
import { consumeRunBatch } from "./queues/consumer";
import { consumeDeadLetters } from "./queues/dead-letters";
import type { RunMessage } from "./queues/messages";

export { TenantDirectory } from "./durable/tenant-directory";
export { TenantScheduler } from "./durable/tenant-scheduler";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<RunMessage>, env: Env, _ctx: ExecutionContext): Promise<void> {
    if (batch.queue === "runs-dlq") await consumeDeadLetters(batch, env);
    else await consumeRunBatch(batch, env);
  },
} satisfies ExportedHandler<Env, RunMessage>;
