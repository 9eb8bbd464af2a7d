/**
 * The tenant object's tables. Instants are UTC epoch milliseconds in integer columns.
 * Indexes exist for exactly the queries the object runs; each is named after its query.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { JOB_STATUSES, OVERLAP_POLICIES, type StoredTarget } from "../../contract/job";
import { ATTEMPT_OUTCOMES } from "../../contract/run";
import type { ScheduleInput } from "../../contract/schedule";
import { TOKEN_SCOPES } from "../../contract/tenant";
import { PRIORITIES } from "../../domain/priority";
import { HAPPY_PATH_STATUSES, RUN_STATUSES } from "../../domain/run-status";
import { TIER_NAMES } from "../../domain/tiers";

/** Not a task of a graph: plain runs and graph occurrences (the job's run list). */
export const NOT_A_TASK = sql.raw("task_key is null");

/** Runs with a `runs_by_job` entry: a job's runs, except the one the job names (`named_by_job`). */
export const INDEXED_BY_JOB = sql.raw("task_key is null and named_by_job = 0");

/** Statuses with a `runs_by_status` entry: all but the happy path (pending, queued, running, succeeded). */
export const UNUSUAL_RUNS = sql.raw(
  `status in (${RUN_STATUSES.filter((s) => !HAPPY_PATH_STATUSES.includes(s as never))
    .map((s) => `'${s}'`)
    .join(", ")})`,
);

export const tenant = sqliteTable("tenant", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  tier: text("tier", { enum: TIER_NAMES }).notNull(),
  suspended: integer("suspended", { mode: "boolean" }).notNull().default(false),
  /** Overrides the tier's max runs in flight when set (custom contracts, tests). */
  maxInFlight: integer("max_in_flight"),
  /** Limits for flow keys without their own (`PATCH /v1/admin/tenants/:id`, `default_flow_limits`). */
  defaultFlowLimits: text("default_flow_limits", { mode: "json" }).$type<FlowLimits>(),
  signingSecret: text("signing_secret").notNull(),
  /** The secret before the last rotation; it keeps signing until it expires, so receivers can switch. */
  previousSigningSecret: text("previous_signing_secret"),
  previousSecretExpiresAt: integer("previous_secret_expires_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const tokens = sqliteTable("tokens", {
  id: text("id").primaryKey(),
  /** Hex SHA-256 of the secret part; the secret itself is never stored. */
  hash: text("hash").notNull(),
  scope: text("scope", { enum: TOKEN_SCOPES }).notNull(),
  /** A worker token's pools (it claims, reports and drains only in them); null: every pool. */
  pools: text("pools", { mode: "json" }).$type<string[]>(),
  createdAt: integer("created_at").notNull(),
  revokedAt: integer("revoked_at"),
});

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    schedule: text("schedule", { mode: "json" }).$type<ScheduleInput>(),
    /** A `graph` target holds the job's tasks (contract/task.ts); the wire shows them as `tasks`. */
    target: text("target", { mode: "json" }).$type<StoredTarget>().notNull(),
    priority: text("priority", { enum: PRIORITIES }).notNull(),
    priorityRank: integer("priority_rank").notNull(),
    maxAttempts: integer("max_attempts").notNull(),
    initialBackoffMs: integer("initial_backoff_ms").notNull(),
    maxBackoffMs: integer("max_backoff_ms").notNull(),
    retryOn: text("retry_on", { enum: ["any", "transient"] }).notNull(),
    timeoutSeconds: integer("timeout_seconds").notNull(),
    overlap: text("overlap", { enum: OVERLAP_POLICIES }).notNull(),
    catchupWindowSeconds: integer("catchup_window_seconds").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    nextRunAt: integer("next_run_at"),
    lastRunId: text("last_run_id"),
    /** The flow key its runs carry (a trigger may give one run another). */
    flowKey: text("flow_key"),
    version: integer("version").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // "next due job per priority": a covering range scan that reads only due rows.
    index("jobs_due")
      .on(t.priorityRank, t.nextRunAt)
      .where(sql`status = 'active' and next_run_at is not null`),
    // Status filters for the rarer statuses only: a one-time job that completes (active ->
    // completed) then rewrites no entry. `active` and `completed` filters scan ids.
    index("jobs_by_status").on(t.status, t.id).where(sql`status in ('paused', 'cancelled')`),
    index("jobs_by_priority").on(t.priority, t.id),
  ],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    key: text("key").primaryKey(),
    requestHash: text("request_hash").notNull(),
    jobId: text("job_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  // "keys older than the TTL" for pruning, and the oldest key for the alarm.
  (t) => [index("idempotency_by_age").on(t.createdAt)],
);

/**
 * Stored `WITHOUT ROWID` (migration 0011, which drizzle cannot express): the rows are kept in the
 * primary key's B-tree, so a new run writes no separate primary-key index entry.
 */
export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    jobId: text("job_id").notNull(),
    /**
     * Occurrence key (job id and scheduled time), for people. Uniqueness is the primary key's: a
     * scheduled run's id is derived from its occurrence (`occurrenceRunId`).
     */
    key: text("key").notNull(),
    trigger: text("trigger", { enum: ["schedule", "manual"] }).notNull(),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    priority: text("priority", { enum: PRIORITIES }).notNull(),
    priorityRank: integer("priority_rank").notNull(),
    scheduledFor: integer("scheduled_for").notNull(),
    attempt: integer("attempt").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    /** When the run may next be sent: its scheduled time, or the end of a retry backoff. */
    dueAt: integer("due_at").notNull(),
    /**
     * Set exactly while the run waits to be sent (null when held back). Not indexed for the queues:
     * the object keeps the waiting runs in memory (dispatch-table.ts); a pool's runs are indexed.
     */
    dispatchAt: integer("dispatch_at"),
    /**
     * Set while queued or running: past it, the message or consumer is presumed lost. Not indexed:
     * the object keeps these in memory (lease-table.ts) and loads them when it starts.
     */
    leaseExpiresAt: integer("lease_expires_at"),
    workerId: text("worker_id"),
    /**
     * A pull worker's attempt: the lease length its claim asked for (`lease_seconds`), which every
     * heartbeat renews and a restarted object grants again; written with the claim.
     */
    leaseMs: integer("lease_ms"),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    /**
     * The current (latest) attempt, kept on the run so that a run that succeeds at once writes no
     * attempt row; earlier attempts move to `attempts` when the next one starts.
     */
    attemptRecord: text("attempt_record", { mode: "json" }).$type<AttemptRecord>(),
    /** A worker target's pool: such a run waits here for a claim instead of going to a queue. */
    pool: text("pool"),
    /** The last checkpoint a worker saved (any attempt); handed to the next attempt's claim. */
    checkpoint: text("checkpoint", { mode: "json" }).$type<unknown>(),
    /** The last progress a worker reported for the current attempt. */
    progress: text("progress", { mode: "json" }).$type<unknown>(),
    /**
     * Task graphs: a task's occurrence (the parent run); a graph occurrence names itself, so a row
     * tells what it is without its job. Null for plain runs.
     */
    parentId: text("parent_id"),
    /** A task's key in its job's graph; null for plain runs and graph occurrences. */
    taskKey: text("task_key"),
    /**
     * The job names this run (`jobs.last_run_id`), so it needs no `runs_by_job` entry: set on a
     * one-time job's scheduled run, cleared (the run then enters the index) when the job names a
     * later one. A one-time job's only run thus costs no index write.
     */
    namedByJob: integer("named_by_job", { mode: "boolean" }).notNull().default(false),
    /** The run's flow key (its job's, or its trigger's; a task's is its occurrence's), or null. */
    flowKey: text("flow_key"),
    /** A webhook run's target host (`host[:port]`), what destination limits count; else null. */
    destination: text("destination"),
  },
  (t) => [
    // "Next runs to send or claim" is kept in memory (waiting-runs.ts), not in an index.
    // A job's runs and occurrences; tasks are read through their occurrence (`runs_of_graph`).
    index("runs_by_job").on(t.jobId, t.id).where(INDEXED_BY_JOB),
    // A job's runs in progress are kept in memory (active-runs.ts), not in an index.
    // Status filters and the dead letters. A run on the happy path (pending, queued, running, succeeded)
    // has no entry, so those transitions rewrite no index; filters on those statuses scan by id.
    index("runs_by_status").on(t.status, t.id).where(UNUSUAL_RUNS),
    index("runs_by_worker").on(t.workerId, t.id).where(sql`worker_id is not null`),
    // "an occurrence's tasks": graph rows only, so plain runs write no entry.
    index("runs_of_graph").on(t.parentId, t.id).where(sql`parent_id is not null`),
    // "runs a worker is executing", for its lease renewals and the worker list.
    index("runs_running_by_worker")
      .on(t.workerId)
      .where(sql`status = 'running' and worker_id is not null`),
  ],
);

export const attempts = sqliteTable(
  "attempts",
  {
    runId: text("run_id").notNull(),
    attempt: integer("attempt").notNull(),
    outcome: text("outcome", { enum: ATTEMPT_OUTCOMES }).notNull(),
    statusCode: integer("status_code"),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at"),
    durationMs: integer("duration_ms"),
    responseBody: text("response_body"),
    error: text("error"),
    workerId: text("worker_id"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.attempt] })],
);

/**
 * Limits on a flow key or a destination host, per tenant (`PUT /v1/flow-keys/{key}`, `PUT
 * /v1/destinations/{host}`): at most `max_running` queued or running at once, at most `rate.limit`
 * started per `rate.period_seconds` with bursts of `rate.burst`.
 */
export const flowLimits = sqliteTable(
  "flow_limits",
  {
    kind: text("kind", { enum: ["key", "destination"] }).notNull(),
    name: text("name").notNull(),
    limits: text("limits", { mode: "json" }).$type<FlowLimits>().notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.name] })],
);

/** Rate-limit token buckets that are not full, per key or destination (written with admissions). */
export const flowBuckets = sqliteTable(
  "flow_buckets",
  {
    kind: text("kind", { enum: ["key", "destination"] }).notNull(),
    name: text("name").notNull(),
    tokens: real("tokens").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.name] })],
);

/** Pull workers that claimed or heartbeated: their pools, whether they drain, when last seen. */
export const workers = sqliteTable("workers", {
  id: text("id").primaryKey(),
  pools: text("pools", { mode: "json" }).$type<string[]>().notNull(),
  draining: integer("draining", { mode: "boolean" }).notNull().default(false),
  lastSeenAt: integer("last_seen_at").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Monotonic counters for metrics, keyed by name and a canonical label string; `WITHOUT ROWID`. */
export const counters = sqliteTable(
  "counters",
  {
    name: text("name").notNull(),
    labels: text("labels").notNull(),
    value: integer("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.name, t.labels] })],
);

export type JobRow = typeof jobs.$inferSelect;
/** An attempt as stored on its run (`attempt_record`): an attempt row without the run id. */
export type AttemptRecord = Omit<typeof attempts.$inferSelect, "runId"> & {
  /** A pull worker's attempt: the token that claimed it; its reports must come with that token. */
  tokenId?: string;
};
export type RunRow = typeof runs.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;
export type TenantRow = typeof tenant.$inferSelect;
export type WorkerRow = typeof workers.$inferSelect;
export type FlowLimitRow = typeof flowLimits.$inferSelect;

/** A key's or destination's limits (stored as JSON; the wire shape). */
export interface FlowLimits {
  max_running?: number;
  rate?: { limit: number; period_seconds: number; burst?: number };
}
