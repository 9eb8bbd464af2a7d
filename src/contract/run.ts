/** Runs and attempts on the wire. */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../domain/limits";
import { PRIORITIES } from "../domain/priority";
import { RUN_STATUSES } from "../domain/run-status";
import { Cursor, PageLimit, Timestamp } from "./common";
import { WAITING_REASONS } from "./flow";

export const ATTEMPT_OUTCOMES = [
  "running",
  "succeeded",
  "failed",
  "timeout",
  "network_error",
  "lease_expired",
] as const;

export const AttemptSchema = z
  .object({
    attempt: z.number().int(),
    outcome: z.enum([
      "running",
      "succeeded",
      "failed",
      "timeout",
      "network_error",
      "lease_expired",
    ]),
    status_code: z.number().int().nullable(),
    started_at: Timestamp,
    finished_at: Timestamp.nullable(),
    duration_ms: z.number().int().nullable(),
    response_body: z.string().nullable().openapi({
      description: "first 4 KiB of the response; for a worker, its `result` as JSON text",
    }),
    error: z.string().nullable(),
    worker_id: z.string().nullable(),
  })
  .openapi("Attempt");
export type AttemptView = z.infer<typeof AttemptSchema>;
export type AttemptOutcome = AttemptView["outcome"];

export const RunSchema = z
  .object({
    id: z.string(),
    job_id: z.string(),
    key: z.string().openapi({ description: "occurrence key: job id and scheduled time" }),
    trigger: z.enum(["schedule", "manual"]),
    status: z.enum(RUN_STATUSES),
    priority: z.enum(PRIORITIES),
    scheduled_for: Timestamp,
    attempt: z.number().int().openapi({ description: "attempts started so far" }),
    max_attempts: z.number().int(),
    next_attempt_at: Timestamp.nullable(),
    started_at: Timestamp.nullable(),
    finished_at: Timestamp.nullable(),
    fire_lag_ms: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "first attempt start minus scheduled time" }),
    last_error: z.string().nullable(),
    created_at: Timestamp,
    pool: z.string().nullable().openapi({ description: "a worker target's pool; null for http" }),
    worker_id: z
      .string()
      .nullable()
      .openapi({ description: "the pull worker of the latest attempt; null for http" }),
    parent_run_id: z.string().nullable().openapi({
      description: "a task of a task graph: its occurrence's run id (an occurrence names itself)",
    }),
    task_key: z.string().nullable().openapi({ description: "a task of a task graph: its key" }),
    flow_key: z.string().nullable().openapi({ description: "the flow key it counts under" }),
    waiting_reason: z.enum(WAITING_REASONS).nullable().openapi({
      description:
        "a run that is due and has not started: what holds it (its flow key's limits, its destination's, the tenant's in-flight cap)",
    }),
  })
  .openapi("Run");
export type RunView = z.infer<typeof RunSchema>;

export const TaskRunSchema = z
  .object({
    key: z.string(),
    run_id: z.string(),
    status: z.enum(RUN_STATUSES),
    depends_on: z.array(z.string()),
    priority: z.enum(PRIORITIES),
    attempt: z.number().int(),
    max_attempts: z.number().int(),
    next_attempt_at: Timestamp.nullable(),
    started_at: Timestamp.nullable(),
    finished_at: Timestamp.nullable(),
    last_error: z.string().nullable(),
    pool: z.string().nullable(),
    worker_id: z.string().nullable(),
    attempts: z.array(AttemptSchema),
  })
  .openapi("TaskRun");
export type TaskRunView = z.infer<typeof TaskRunSchema>;

export const GraphEdgeSchema = z
  .object({ from: z.string(), to: z.string() })
  .openapi("GraphEdge", { description: "`to` starts after `from` succeeded" });

export const RunDetailSchema = RunSchema.extend({
  attempts: z.array(AttemptSchema),
  checkpoint: z.unknown().openapi({
    description: "worker runs: the last checkpoint saved (handed to the next attempt)",
  }),
  progress: z.unknown().openapi({ description: "worker runs: the last progress reported" }),
  tasks: z
    .array(TaskRunSchema)
    .optional()
    .openapi({ description: "a task graph's occurrence: every task run, in declaration order" }),
  edges: z
    .array(GraphEdgeSchema)
    .optional()
    .openapi({ description: "a task graph's occurrence: its dependency edges" }),
}).openapi("RunDetail");
export type RunDetailView = z.infer<typeof RunDetailSchema>;

export const RunListQuerySchema = z.object({
  status: z.enum(RUN_STATUSES).optional(),
  job_id: z.string().max(64).optional(),
  worker_id: z.string().max(128).optional(),
  limit: PageLimit(LIMITS.maxPageSize, 50),
  cursor: Cursor,
});
export type RunListQuery = z.infer<typeof RunListQuerySchema>;

export const RunPageSchema = z
  .object({ data: z.array(RunSchema), next_cursor: z.string().nullable() })
  .openapi("RunPage");
