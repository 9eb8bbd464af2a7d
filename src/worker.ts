/** Entry point: HTTP goes to the Hono app, queue batches to their consumers; exports the objects. */
import { createApp } from "./api/app";
import { configureLogging } from "./observability/log";
import { consumeRunBatch } from "./queues/consumer";
import { consumeDeadLetters } from "./queues/dead-letters";
import type { RunMessage } from "./queues/messages";
import { DEAD_LETTER_QUEUE } from "./queues/queue-shards";

export { TenantDirectory } from "./durable/tenant-directory";
export { TenantScheduler } from "./durable/tenant-scheduler";

const app = createApp();

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    configureLogging(env.LOG_LEVEL);
    return app.fetch(request, env, ctx);
  },
  async queue(batch: MessageBatch<RunMessage>, env: Env, ctx: ExecutionContext): Promise<void> {
    configureLogging(env.LOG_LEVEL);
    if (batch.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, env);
    // Returns once the batch is claimed; deliveries continue in ctx.waitUntil (consumer.ts).
    else await consumeRunBatch(batch, env, ctx);
  },
} satisfies ExportedHandler<Env, RunMessage>;
