/**
 * The wire types of the API, derived from the zod contract the Worker validates with (`src/contract`):
 * requests are the schemas' input types (defaults optional), answers their output types. Type-only
 * imports: the client carries no zod at run time.
 */
import type { z } from "@hono/zod-openapi";
import type { ProblemSchema } from "../contract/common";
import type {
  DestinationPageSchema,
  DestinationViewSchema,
  FlowKeyPageSchema,
  FlowKeyViewSchema,
  FlowLimitsSchema,
  FlowListQuerySchema,
  FlowRateSchema,
  TriggerInputSchema,
} from "../contract/flow";
import type {
  BatchInputSchema,
  JobInputSchema,
  JobListQuerySchema,
  JobPageSchema,
  JobPatchSchema,
  JobSchema,
  PreviewQuerySchema,
  PreviewSchema,
  SchedulePreviewInputSchema,
} from "../contract/job";
import type {
  AttemptSchema,
  RunDetailSchema,
  RunListQuerySchema,
  RunPageSchema,
  RunSchema,
} from "../contract/run";
import type { StatsQuerySchema, StatsSchema } from "../contract/stats";
import type {
  CreatedTenantSchema,
  IssuedTokenSchema,
  TenantInputSchema,
  TenantListSchema,
  TenantPatchSchema,
  TenantSchema,
  TenantUsageSchema,
  TokenInputSchema,
} from "../contract/tenant";
import type {
  ClaimAnswerSchema,
  ClaimedRunSchema,
  ClaimInputSchema,
  CompleteInputSchema,
  FailInputSchema,
  HeartbeatInputSchema,
  LeaseAnswerSchema,
  WorkerHeartbeatAnswerSchema,
  WorkerHeartbeatInputSchema,
  WorkerPageSchema,
  WorkerSchema,
} from "../contract/worker";

/** Query parameters as a caller gives them: every field optional, numbers as numbers. */
type QueryOf<S extends z.ZodType> = Partial<z.output<S>>;

export type Problem = z.output<typeof ProblemSchema>;
export type FieldError = NonNullable<Problem["errors"]>[number];

export type Job = z.output<typeof JobSchema>;
export type JobInput = z.input<typeof JobInputSchema>;
export type JobPatch = z.input<typeof JobPatchSchema>;
export type JobBatchInput = z.input<typeof BatchInputSchema>;
export type JobListQuery = QueryOf<typeof JobListQuerySchema>;
export type JobPage = z.output<typeof JobPageSchema>;
export type JobStatus = Job["status"];
export type Priority = Job["priority"];
export type Schedule = NonNullable<Job["schedule"]>;
/** Where a job's runs go (a discriminated union on `type`). */
export type Target = NonNullable<Job["target"]>;
export type HttpTarget = Extract<Target, { type: "http" }>;
/** A target as a request gives it (method and headers optional). */
export type TargetInput = NonNullable<JobInput["target"]>;

/** `POST /v1/jobs/:id/trigger`: optionally another flow key for this one run (null: none). */
export type TriggerInput = z.input<typeof TriggerInputSchema>;

export type PreviewQuery = QueryOf<typeof PreviewQuerySchema>;
export type SchedulePreviewInput = z.input<typeof SchedulePreviewInputSchema>;
export type SchedulePreview = z.output<typeof PreviewSchema>;

export type Run = z.output<typeof RunSchema>;
export type RunDetail = z.output<typeof RunDetailSchema>;
export type Attempt = z.output<typeof AttemptSchema>;
export type RunStatus = Run["status"];
/** Why a run that is due has not started: `flow_key`, `destination` or `tenant_cap`. */
export type WaitingReason = NonNullable<Run["waiting_reason"]>;
export type RunListQuery = QueryOf<typeof RunListQuerySchema>;
export type JobRunListQuery = Omit<RunListQuery, "job_id">;
export type DeadLetterQuery = Omit<RunListQuery, "status">;
export type RunPage = z.output<typeof RunPageSchema>;

export type Tenant = z.output<typeof TenantSchema>;
export type TenantInput = z.input<typeof TenantInputSchema>;
export type TenantPatch = z.input<typeof TenantPatchSchema>;
export type TenantUsage = z.output<typeof TenantUsageSchema>;
export type TenantListQuery = { limit?: number; cursor?: string };
export type TenantPage = z.output<typeof TenantListSchema>;
export type CreatedTenant = z.output<typeof CreatedTenantSchema>;
export type Tier = Tenant["tier"];
export type TokenInput = z.input<typeof TokenInputSchema>;
export type IssuedToken = z.output<typeof IssuedTokenSchema>;
export type TokenScope = IssuedToken["scope"];

/** Flow control: limits on a flow key or a destination host, and what each uses now. */
export type FlowLimits = z.output<typeof FlowLimitsSchema>;
export type FlowLimitsInput = z.input<typeof FlowLimitsSchema>;
export type FlowRate = z.output<typeof FlowRateSchema>;
export type FlowKey = z.output<typeof FlowKeyViewSchema>;
export type FlowKeyPage = z.output<typeof FlowKeyPageSchema>;
export type Destination = z.output<typeof DestinationViewSchema>;
export type DestinationPage = z.output<typeof DestinationPageSchema>;
export type FlowListQuery = QueryOf<typeof FlowListQuerySchema>;

/** Per-minute series for charts (`GET /v1/stats`). */
export type StatsQuery = QueryOf<typeof StatsQuerySchema>;
export type Stats = z.output<typeof StatsSchema>;

/** Pull workers (a token of scope `worker` or `write`). */
export type ClaimInput = z.input<typeof ClaimInputSchema>;
export type ClaimAnswer = z.output<typeof ClaimAnswerSchema>;
export type ClaimedRun = z.output<typeof ClaimedRunSchema>;
export type HeartbeatInput = z.input<typeof HeartbeatInputSchema>;
export type LeaseAnswer = z.output<typeof LeaseAnswerSchema>;
export type WorkerHeartbeatInput = z.input<typeof WorkerHeartbeatInputSchema>;
export type WorkerHeartbeatAnswer = z.output<typeof WorkerHeartbeatAnswerSchema>;
export type CompleteInput = z.input<typeof CompleteInputSchema>;
export type FailInput = z.input<typeof FailInputSchema>;
export type Worker = z.output<typeof WorkerSchema>;
export type WorkerPage = z.output<typeof WorkerPageSchema>;

/**
 * Shapes the routes declare inline rather than in the contract (src/api/routes/admin.ts, health.ts).
 * They are checked against the running API by test-node/client.test.ts.
 */
export type SigningSecretRotationInput = { overlap_seconds?: number };
export type SigningSecretRotation = { signing_secret: string; previous_expires_at: string };
export type Health = { status: "ok" };
export type Readiness = { status: "ready" };

/** Any page the API answers: items and the cursor of the next page (null at the end). */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
