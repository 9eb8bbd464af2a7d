// The BullMQ side of W2-BullMQ, in its own process as the scheduler runs in wrangler dev's: a Worker
// that POSTs each job to the bench's sink. Started by workloads/w2-bullmq.ts, which passes
// BULLMQ_REDIS_PORT, BULLMQ_QUEUE and BULLMQ_CONCURRENCY; prints "ready" once connected.
import { type Job, Worker } from "bullmq";

export interface SinkJob {
  url: string;
  body: unknown;
  /** ISO time the job was due (its creation timestamp plus its delay). */
  scheduled_for: string;
}

const queue = process.env.BULLMQ_QUEUE ?? "w2-bullmq";
const connection = {
  host: "127.0.0.1",
  port: Number(process.env.BULLMQ_REDIS_PORT),
  maxRetriesPerRequest: null,
};

const worker = new Worker(
  queue,
  async (job: Job<SinkJob>) => {
    // The headers the scheduler sends, so the bench judges both deliveries the same way.
    const response = await fetch(job.data.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-scheduler-run-id": String(job.id),
        "x-scheduler-attempt": String(job.attemptsMade + 1),
        "x-scheduler-scheduled-for": job.data.scheduled_for,
      },
      body: JSON.stringify(job.data.body),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`target answered ${response.status}`);
  },
  { connection, concurrency: Number(process.env.BULLMQ_CONCURRENCY ?? 50) },
);
worker.on("error", (error) => console.error(`worker error: ${error.message}`));

process.on("SIGTERM", () => {
  void worker.close().finally(() => process.exit(0));
});

await worker.waitUntilReady();
console.log("ready");
