/** Jobs on the wire: what a client sends and what it gets back. */
import { z } from "@hono/zod-openapi";
import { DEFAULTS, LIMITS } from "../domain/limits";
import { PRIORITIES } from "../domain/priority";
import { Cursor, PageLimit, Timestamp } from "./common";
import { FlowKeySchema } from "./flow";
import { boundedJson, jsonByteLength } from "./json";
import { ScheduleSchema } from "./schedule";
import { checkGraph, MAX_TASKS, taskSchema } from "./task";
import { displayText, freeText, headerValue, textProblems } from "./text";
import { type WorkerTarget, WorkerTargetSchema } from "./worker";

export const HttpTargetSchema = z
  .strictObject({
    type: z.literal("http"),
    url: z
      .url({ protocol: /^https?$/ })
      .max(LIMITS.maxUrlLength)
      .openapi({
        description: "https: (http: and private hosts only with ALLOW_INSECURE_TARGETS)",
      }),
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).default("POST"),
    headers: z
      .record(
        z
          .string()
          .min(1)
          .max(LIMITS.maxHeaderNameLength)
          .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not a valid header name"),
        headerValue(LIMITS.maxHeaderValueLength),
      )
      .default({})
      .refine(
        (h) => Object.keys(h).length <= LIMITS.maxHeaders,
        `at most ${LIMITS.maxHeaders} headers`,
      )
      .refine(
        (h) =>
          !Object.keys(h).some((name) =>
            /^(webhook-|x-scheduler-|host$|content-length$)/i.test(name),
          ),
        "webhook-*, x-scheduler-*, host and content-length are set by the scheduler",
      ),
    body: boundedJson(LIMITS.maxTargetBodyBytes)
      .optional()
      .openapi({ description: "JSON body sent with each delivery" }),
  })
  .openapi("HttpTarget");
export type HttpTarget = z.infer<typeof HttpTargetSchema>;

/** Where a run goes: a signed webhook, or a pull worker of a pool. */
export const TargetSchema = z
  .discriminatedUnion("type", [HttpTargetSchema, WorkerTargetSchema])
  .openapi("Target");
export type Target = z.infer<typeof TargetSchema>;

export const TaskSchema = taskSchema(TargetSchema);
export type TaskInput = z.infer<typeof TaskSchema>;

/** A job's tasks: 1 to 100, forming a graph (checked here, so a refused job stores nothing). */
export const TasksSchema = z
  .array(TaskSchema)
  .min(1)
  .max(MAX_TASKS)
  .superRefine((tasks, ctx) =>
    checkGraph(tasks, (path, message) => ctx.addIssue({ code: "custom", path, message })),
  )
  .openapi({ description: "a task graph; a job has either `target` or `tasks`" });

/** How a graph job is stored: in the target column, as a target of its own type (never on the wire). */
export interface GraphTarget {
  type: "graph";
  tasks: TaskInput[];
}
export type StoredTarget = Target | GraphTarget;

export const RetrySchema = z
  .strictObject({
    max_attempts: z.number().int().min(1).max(LIMITS.maxAttempts).default(DEFAULTS.maxAttempts),
    initial_backoff_seconds: z
      .number()
      .min(0.1)
      .max(LIMITS.maxBackoffSeconds)
      .default(DEFAULTS.initialBackoffSeconds),
    max_backoff_seconds: z
      .number()
      .min(0.1)
      .max(LIMITS.maxBackoffSeconds)
      .default(DEFAULTS.maxBackoffSeconds),
  })
  .refine((r) => r.max_backoff_seconds >= r.initial_backoff_seconds, {
    message: "must be at least initial_backoff_seconds",
    path: ["max_backoff_seconds"],
  })
  .openapi("Retry");

/** A retry change: fields left out keep their stored values. */
export const RetryPatchSchema = z
  .strictObject({
    max_attempts: z.number().int().min(1).max(LIMITS.maxAttempts).optional(),
    initial_backoff_seconds: z.number().min(0.1).max(LIMITS.maxBackoffSeconds).optional(),
    max_backoff_seconds: z.number().min(0.1).max(LIMITS.maxBackoffSeconds).optional(),
  })
  .openapi("RetryPatch");

export const OVERLAP_POLICIES = ["skip", "allow", "buffer_one", "cancel_other"] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

const MetadataSchema = z
  .record(z.string().max(64), freeText(1024))
  .superRefine((m, ctx) => {
    // Checked here rather than in the key schema so the problem says what is wrong with the key.
    for (const key of Object.keys(m)) {
      for (const message of textProblems(key))
        ctx.addIssue({ code: "custom", message: `key ${message}`, path: [key] });
    }
  })
  .refine(
    (m) => Object.keys(m).length <= LIMITS.maxMetadataKeys,
    `at most ${LIMITS.maxMetadataKeys} keys`,
  )
  .refine(
    (m) => jsonByteLength(m) <= LIMITS.maxMetadataBytes,
    `at most ${LIMITS.maxMetadataBytes} bytes`,
  );

/**
 * The name of a job created without one: method, host and path of its target, as in
 * `POST example.com/hooks/report`. The query and fragment are left out (they often carry tokens).
 */
export function defaultJobName(input: {
  target?: WorkerTarget | { method: string; url: string } | undefined;
  tasks?: { key: string }[] | undefined;
}): string {
  const { target, tasks } = input;
  if (!target) return `graph of ${tasks?.length ?? 0} tasks from ${tasks?.[0]?.key ?? "?"}`;
  if ("pool" in target) return `worker ${target.pool}`;
  const url = new URL(target.url);
  const name = `${target.method} ${url.host}${url.pathname}`;
  const max = LIMITS.maxNameLength;
  return name.length <= max ? name : `${name.slice(0, max - 1)}…`;
}

const jobFields = {
  name: displayText(LIMITS.maxNameLength),
  schedule: ScheduleSchema.optional(),
  target: TargetSchema,
  priority: z.enum(PRIORITIES).default(DEFAULTS.priority),
  retry: RetrySchema.default({
    max_attempts: DEFAULTS.maxAttempts,
    initial_backoff_seconds: DEFAULTS.initialBackoffSeconds,
    max_backoff_seconds: DEFAULTS.maxBackoffSeconds,
  }),
  retry_on: z
    .enum(["any", "transient"])
    .default(DEFAULTS.retryOn)
    .openapi({ description: "`transient`: 4xx other than 408/429 fail without retry" }),
  timeout_seconds: z
    .number()
    .int()
    .min(1)
    .max(LIMITS.maxWorkerTimeoutSeconds)
    .default(DEFAULTS.timeoutSeconds)
    .openapi({ description: "at most 900 for an http target, 86400 for a worker target" }),
  overlap: z.enum(OVERLAP_POLICIES).default(DEFAULTS.overlap),
  catchup_window_seconds: z
    .number()
    .int()
    .min(0)
    .max(LIMITS.maxCatchupWindowSeconds)
    .default(DEFAULTS.catchupWindowSeconds),
  metadata: MetadataSchema.default({}),
  flow_key: FlowKeySchema.optional().openapi({
    description: "its runs count under this flow key's limits (a trigger may give one run another)",
  }),
};

export const JobInputSchema = z
  .strictObject({
    ...jobFields,
    name: jobFields.name.optional().openapi({
      description:
        "default: the target's method, host and path, e.g. `POST example.com/hooks/report`",
    }),
    target: TargetSchema.optional().openapi({ description: "a job has `target` or `tasks`" }),
    tasks: TasksSchema.optional(),
  })
  .superRefine((job, ctx) => {
    if (job.target && job.tasks)
      ctx.addIssue({
        code: "custom",
        path: ["tasks"],
        message: "give `target` or `tasks`, not both",
      });
    else if (!job.target && !job.tasks)
      ctx.addIssue({ code: "custom", path: ["target"], message: "give `target` or `tasks`" });
  })
  .transform((job) => ({ ...job, name: job.name ?? defaultJobName(job) }))
  .openapi("JobInput");
export type JobInput = z.infer<typeof JobInputSchema>;

/** A PATCH: any subset of the fields; `schedule: null` means "run now". */
export const JobPatchSchema = z
  .strictObject({
    name: jobFields.name.optional(),
    schedule: ScheduleSchema.nullable().optional(),
    target: TargetSchema.optional(),
    priority: z.enum(PRIORITIES).optional(),
    retry: RetryPatchSchema.optional(),
    retry_on: z.enum(["any", "transient"]).optional(),
    timeout_seconds: jobFields.timeout_seconds.unwrap().optional(),
    overlap: z.enum(OVERLAP_POLICIES).optional(),
    catchup_window_seconds: jobFields.catchup_window_seconds.unwrap().optional(),
    metadata: MetadataSchema.optional(),
    flow_key: FlowKeySchema.nullable()
      .optional()
      .openapi({ description: "null removes the key; runs that have not started follow the job" }),
  })
  .openapi("JobPatch");
export type JobPatch = z.infer<typeof JobPatchSchema>;

export const BatchInputSchema = z
  .strictObject({ jobs: z.array(JobInputSchema).min(1).max(LIMITS.maxBatchJobs) })
  .openapi("JobBatchInput");

export const JOB_STATUSES = ["active", "paused", "completed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const RunSummarySchema = z
  .object({
    id: z.string(),
    status: z.string(),
    scheduled_for: Timestamp,
    finished_at: Timestamp.nullable(),
  })
  .openapi("RunSummary");

export const JobSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    schedule: ScheduleSchema.nullable(),
    target: TargetSchema.nullable().openapi({ description: "null for a job with `tasks`" }),
    tasks: z.array(TaskSchema).nullable().openapi({ description: "a task graph, or null" }),
    priority: z.enum(PRIORITIES),
    retry: RetrySchema,
    retry_on: z.enum(["any", "transient"]),
    timeout_seconds: z.number(),
    overlap: z.enum(OVERLAP_POLICIES),
    catchup_window_seconds: z.number(),
    metadata: z.record(z.string(), z.string()),
    flow_key: z.string().nullable(),
    status: z
      .enum(JOB_STATUSES)
      .openapi({ description: "`completed`: a one-time job whose run was created" }),
    next_run_at: Timestamp.nullable(),
    last_run: RunSummarySchema.nullable(),
    version: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Job");
export type JobView = z.infer<typeof JobSchema>;

export const JobListQuerySchema = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  priority: z.enum(PRIORITIES).optional(),
  limit: PageLimit(LIMITS.maxPageSize, DEFAULTS.pageSize),
  cursor: Cursor,
});
export type JobListQuery = z.infer<typeof JobListQuerySchema>;

export const JobPageSchema = z
  .object({ data: z.array(JobSchema), next_cursor: z.string().nullable() })
  .openapi("JobPage");

export const PreviewQuerySchema = z.object({
  count: z.coerce.number().int().min(1).max(LIMITS.maxPreviewCount).default(DEFAULTS.previewCount),
});

export const SchedulePreviewInputSchema = z
  .strictObject({
    schedule: ScheduleSchema,
    count: z.number().int().min(1).max(LIMITS.maxPreviewCount).default(DEFAULTS.previewCount),
  })
  .openapi("SchedulePreviewInput");

export const PreviewSchema = z
  .object({
    fire_times: z.array(Timestamp),
    timezone: z.string(),
    task_order: z.array(z.string()).optional().openapi({
      description: "a job with tasks: a topological order of its task keys (dependencies first)",
    }),
  })
  .openapi("SchedulePreview", {
    description: "Next fire times in UTC; `timezone` is the zone the cron is evaluated in",
  });
