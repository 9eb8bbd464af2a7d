/**
 * edge-scheduler/client: a typed client of the scheduler API, and webhook verification for
 * receivers. See README.md ("Client").
 *
 *   import { SchedulerClient } from "edge-scheduler/client";
 *   const scheduler = new SchedulerClient({ baseUrl: "https://scheduler.example.com", token });
 *   for await (const job of scheduler.jobs.list({ status: "active" })) console.log(job.name);
 */
export {
  type CallArgs,
  type CallOptions,
  type RetryEvent,
  SchedulerClient,
  type SchedulerClientOptions,
} from "./client.ts";
export { parseRetryAfter, SchedulerConnectionError, SchedulerProblem } from "./errors.ts";
export { type Operation, type OperationName, operations } from "./operations.ts";
export { Paginated } from "./pagination.ts";
export type * from "./report-types.ts";
export type { CreateJobOptions, UpdateJobOptions } from "./resources.ts";
export type * from "./types.ts";
export {
  type VerifiedWebhook,
  type VerifyOptions,
  verifyWebhook,
  verifyWebhookSignature,
  type WebhookFailure,
  WebhookVerificationError,
} from "./webhooks.ts";
