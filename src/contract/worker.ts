/** Pull workers on the wire: the `worker` target, claims, heartbeats, reports and worker views. */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../domain/limits";
import { PRIORITIES } from "../domain/priority";
import { Timestamp } from "./common";
import { boundedJson } from "./json";
import { ReportItemsSchema, ReportResultSchema } from "./worker-reports";

export const PoolName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    "1-63 letters, digits, '_', '.' or '-', starting with a letter or digit",
  )
  .openapi({ description: "the pool a worker serves, e.g. `video`", example: "shell" });

export const WorkerId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/,
    "1-128 letters, digits, '_', '.', ':', '@' or '-', starting with a letter or digit",
  )
  .openapi({ description: "chosen by the worker; stable across its restarts", example: "w001" });

/** A run of this target waits in its tenant's object until a worker of `pool` claims it. */
export const WorkerTargetSchema = z
  .strictObject({
    type: z.literal("worker"),
    pool: PoolName,
    payload: boundedJson(LIMITS.maxTargetBodyBytes)
      .optional()
      .openapi({ description: "JSON handed to the worker with each claim" }),
  })
  .openapi("WorkerTarget");
export type WorkerTarget = z.infer<typeof WorkerTargetSchema>;

export const ClaimInputSchema = z
  .strictObject({
    worker_id: WorkerId,
    pools: z.array(PoolName).min(1).max(LIMITS.maxWorkerPools),
    max: z.number().int().min(1).max(LIMITS.maxClaim).default(1),
    wait_seconds: z
      .number()
      .min(0)
      .max(LIMITS.maxClaimWaitSeconds)
      .default(0)
      .openapi({ description: "long poll: wait up to this long for a run when none is ready" }),
    lease_seconds: z
      .number()
      .int()
      .min(1)
      .max(LIMITS.maxWorkerLeaseSeconds)
      .default(LIMITS.defaultWorkerLeaseSeconds)
      .openapi({
        description: "how long a claim or heartbeat keeps the runs; heartbeat well within it",
      }),
    // Recorded before the claim takes runs, so the slots they free are claimed at once.
    reports: ReportItemsSchema.optional(),
  })
  .openapi("ClaimInput");
export type ClaimInput = z.infer<typeof ClaimInputSchema>;

export const ClaimedRunSchema = z
  .object({
    run_id: z.string(),
    attempt: z.number().int(),
    job_id: z.string(),
    pool: z.string(),
    payload: z.unknown(),
    checkpoint: z
      .unknown()
      .openapi({ description: "the last checkpoint any attempt of this run saved, or null" }),
    lease_expires_at: Timestamp,
    timeout_seconds: z.number().int(),
    scheduled_for: Timestamp,
    priority: z.enum(PRIORITIES),
    task: z
      .object({
        run_id: z.string().openapi({ description: "the graph occurrence (parent run)" }),
        key: z.string(),
        upstream: z.record(z.string(), z.unknown()).openapi({
          description:
            'per task depended on, by key: `{type: "worker", run_id, result}` or `{type: "http", run_id, status_code, body}` (first 4 KiB)',
        }),
      })
      .nullable()
      .openapi({ description: "a task of a task graph; null for a plain run" }),
  })
  .openapi("ClaimedRun");
export type ClaimedRun = z.infer<typeof ClaimedRunSchema>;

export const ClaimAnswerSchema = z
  .object({
    runs: z.array(ClaimedRunSchema),
    draining: z.boolean().openapi({ description: "the worker was drained: it gets no runs" }),
    reports: z.array(ReportResultSchema).optional().openapi({
      description:
        "what became of each report the claim carried, in order (only when it carried some)",
    }),
  })
  .openapi("ClaimAnswer");
export type ClaimAnswer = z.infer<typeof ClaimAnswerSchema>;

const attemptOf = {
  worker_id: WorkerId,
  attempt: z.number().int().min(1),
};

export const HeartbeatInputSchema = z
  .strictObject({
    ...attemptOf,
    // Sizes are checked by the route, which answers 413 naming the field.
    checkpoint: boundedJson(LIMITS.maxBodyBytes)
      .optional()
      .openapi({ description: "saved for the next attempt (at most 64 KiB, else 413)" }),
    progress: boundedJson(LIMITS.maxProgressBytes).optional(),
  })
  .openapi("HeartbeatInput");
export type HeartbeatInput = z.infer<typeof HeartbeatInputSchema>;

export const LeaseAnswerSchema = z
  .object({
    run_id: z.string(),
    attempt: z.number().int(),
    lease_expires_at: Timestamp.nullable(),
    cancel: z.boolean().openapi({ description: "stop: the run was cancelled or its job paused" }),
    cancel_reason: z.string().nullable(),
  })
  .openapi("LeaseAnswer");
export type LeaseAnswer = z.infer<typeof LeaseAnswerSchema>;

export const WorkerHeartbeatAnswerSchema = z
  .object({ runs: z.array(LeaseAnswerSchema) })
  .openapi("WorkerHeartbeatAnswer");

export const CompleteInputSchema = z
  .strictObject({
    ...attemptOf,
    result: boundedJson(LIMITS.maxBodyBytes)
      .optional()
      .openapi({ description: "kept on the attempt (at most 64 KiB, else 413)" }),
  })
  .openapi("CompleteInput");
export type CompleteInput = z.infer<typeof CompleteInputSchema>;

export const FailInputSchema = z
  .strictObject({
    ...attemptOf,
    error: z.string().min(1).max(LIMITS.maxErrorLength),
    retryable: z
      .boolean()
      .default(true)
      .openapi({ description: "false: no further attempt (the run is dead)" }),
  })
  .openapi("FailInput");
export type FailInput = z.infer<typeof FailInputSchema>;

export const WORKER_STATES = ["active", "draining", "stale"] as const;

export const WorkerSchema = z
  .object({
    id: z.string(),
    pools: z.array(z.string()),
    state: z.enum(WORKER_STATES).openapi({
      description: "`stale`: not heard from for a lease length; its runs are retried",
    }),
    last_seen_at: Timestamp,
    runs_in_flight: z.number().int(),
    created_at: Timestamp,
  })
  .openapi("Worker");
export type WorkerView = z.infer<typeof WorkerSchema>;

export const WorkerPageSchema = z.object({ data: z.array(WorkerSchema) }).openapi("WorkerPage");

/**
 * The optional body of a per-worker heartbeat: the attempts the worker believes it holds, each
 * with the checkpoint or progress it saved since its last heartbeat, if any.
 */
export const WorkerHeartbeatInputSchema = z
  .strictObject({
    runs: z
      .array(
        z.strictObject({
          run_id: z.string().min(1).max(64),
          attempt: z.number().int().min(1),
          // Sizes are checked by the route, which answers 413 naming the field.
          checkpoint: boundedJson(LIMITS.maxBodyBytes)
            .optional()
            .openapi({ description: "saved for the next attempt (at most 64 KiB, else 413)" }),
          progress: boundedJson(LIMITS.maxProgressBytes).optional(),
        }),
      )
      .max(LIMITS.maxClaim * 10)
      .default([]),
  })
  .openapi("WorkerHeartbeatInput");
export type WorkerHeartbeatInput = z.infer<typeof WorkerHeartbeatInputSchema>;
export type HeldAttempt = WorkerHeartbeatInput["runs"][number];
