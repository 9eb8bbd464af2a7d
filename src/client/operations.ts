/**
 * Every route of the API as one typed table: method, path template, and the query, body and answer
 * types (from the zod contract, see types.ts). `test-node/client.test.ts` checks this table against
 * the running Worker's `/openapi.json` both ways, so a route added to the API fails the tests until
 * it is added here. Adding one is one line here and one method in client.ts.
 */
import type { ReportsAnswer, ReportsInput } from "./report-types.ts";
import type {
  ClaimAnswer,
  ClaimInput,
  CompleteInput,
  CreatedTenant,
  DeadLetterQuery,
  Destination,
  DestinationPage,
  FailInput,
  FlowKey,
  FlowKeyPage,
  FlowLimitsInput,
  FlowListQuery,
  Health,
  HeartbeatInput,
  IssuedToken,
  Job,
  JobBatchInput,
  JobInput,
  JobListQuery,
  JobPage,
  JobPatch,
  JobRunListQuery,
  LeaseAnswer,
  PreviewQuery,
  Readiness,
  Run,
  RunDetail,
  RunListQuery,
  RunPage,
  SchedulePreview,
  SchedulePreviewInput,
  SigningSecretRotation,
  SigningSecretRotationInput,
  Stats,
  StatsQuery,
  Tenant,
  TenantInput,
  TenantListQuery,
  TenantPage,
  TenantPatch,
  TenantUsage,
  TokenInput,
  TriggerInput,
  Worker,
  WorkerHeartbeatAnswer,
  WorkerHeartbeatInput,
  WorkerPage,
} from "./types.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
/** How an answer is read: JSON, text (Prometheus metrics), or nothing (204). */
export type AnswerKind = "json" | "text" | "none";

/** `{id}` and `{token_id}` of a path template, as an object type. */
type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamNames<Rest>
  : never;
export type PathParams<P extends string> = { [K in ParamNames<P>]: string };

/** One route. `Query`, `Body` and `Answer` exist only as types (`never`: the route has none). */
export interface Operation<
  P extends string = string,
  Query = never,
  Body = never,
  Answer = unknown,
> {
  readonly method: Method;
  readonly path: P;
  readonly answer: AnswerKind;
  /** Carries the types; never set at run time. */
  readonly types?: { query: Query; body: Body; answer: Answer };
}

/** `route<Query, Body, Answer>()("GET", "/v1/x/{id}")`: the two steps let `P` be inferred. */
const route =
  <Query = never, Body = never, Answer = unknown>() =>
  <P extends string>(method: Method, path: P, answer: AnswerKind = "json") =>
    ({ method, path, answer }) as Operation<P, Query, Body, Answer>;

export const operations = {
  // health (no token)
  health: route<never, never, Health>()("GET", "/health"),
  ready: route<never, never, Readiness>()("GET", "/health/ready"),

  // admin: tenants and their tokens
  createTenant: route<never, TenantInput, CreatedTenant>()("POST", "/v1/admin/tenants"),
  listTenants: route<TenantListQuery, never, TenantPage>()("GET", "/v1/admin/tenants"),
  getTenant: route<never, never, Tenant>()("GET", "/v1/admin/tenants/{id}"),
  updateTenant: route<never, TenantPatch, Tenant>()("PATCH", "/v1/admin/tenants/{id}"),
  getTenantUsage: route<never, never, TenantUsage>()("GET", "/v1/admin/tenants/{id}/usage"),
  issueToken: route<never, TokenInput, IssuedToken>()("POST", "/v1/admin/tenants/{id}/tokens"),
  revokeToken: route<never, never, void>()(
    "DELETE",
    "/v1/admin/tenants/{id}/tokens/{token_id}",
    "none",
  ),
  rotateSigningSecret: route<never, SigningSecretRotationInput, SigningSecretRotation>()(
    "POST",
    "/v1/admin/tenants/{id}/signing-secret",
  ),
  adminMetrics: route<never, never, string>()("GET", "/v1/admin/metrics", "text"),

  // jobs
  createJob: route<never, JobInput, Job>()("POST", "/v1/jobs"),
  createJobs: route<never, JobBatchInput, { data: Job[] }>()("POST", "/v1/jobs/batch"),
  listJobs: route<JobListQuery, never, JobPage>()("GET", "/v1/jobs"),
  getJob: route<never, never, Job>()("GET", "/v1/jobs/{id}"),
  updateJob: route<never, JobPatch, Job>()("PATCH", "/v1/jobs/{id}"),
  cancelJob: route<never, never, Job>()("DELETE", "/v1/jobs/{id}"),
  pauseJob: route<never, never, Job>()("POST", "/v1/jobs/{id}/pause"),
  resumeJob: route<never, never, Job>()("POST", "/v1/jobs/{id}/resume"),
  triggerJob: route<never, TriggerInput, Run>()("POST", "/v1/jobs/{id}/trigger"),
  previewJob: route<PreviewQuery, never, SchedulePreview>()("GET", "/v1/jobs/{id}/preview"),
  listJobRuns: route<JobRunListQuery, never, RunPage>()("GET", "/v1/jobs/{id}/runs"),

  // runs
  listRuns: route<RunListQuery, never, RunPage>()("GET", "/v1/runs"),
  getRun: route<never, never, RunDetail>()("GET", "/v1/runs/{id}"),
  cancelRun: route<never, never, Run>()("POST", "/v1/runs/{id}/cancel"),
  replayRun: route<never, never, Run>()("POST", "/v1/runs/{id}/replay"),
  listDeadLetters: route<DeadLetterQuery, never, RunPage>()("GET", "/v1/dead-letters"),

  // pull workers
  claimRuns: route<never, ClaimInput, ClaimAnswer>()("POST", "/v1/workers/claim"),
  heartbeatRun: route<never, HeartbeatInput, LeaseAnswer>()("POST", "/v1/runs/{id}/heartbeat"),
  heartbeatWorker: route<never, WorkerHeartbeatInput, WorkerHeartbeatAnswer>()(
    "POST",
    "/v1/workers/{id}/heartbeat",
  ),
  completeRun: route<never, CompleteInput, Run>()("POST", "/v1/runs/{id}/complete"),
  failRun: route<never, FailInput, Run>()("POST", "/v1/runs/{id}/fail"),
  reportRuns: route<never, ReportsInput, ReportsAnswer>()("POST", "/v1/workers/{id}/reports"),
  drainWorker: route<never, never, Worker>()("POST", "/v1/workers/{id}/drain"),
  listWorkers: route<never, never, WorkerPage>()("GET", "/v1/workers"),

  // flow control: limits per flow key and per destination host, with their usage
  listFlowKeys: route<FlowListQuery, never, FlowKeyPage>()("GET", "/v1/flow-keys"),
  getFlowKey: route<never, never, FlowKey>()("GET", "/v1/flow-keys/{key}"),
  putFlowKey: route<never, FlowLimitsInput, FlowKey>()("PUT", "/v1/flow-keys/{key}"),
  deleteFlowKey: route<never, never, void>()("DELETE", "/v1/flow-keys/{key}", "none"),
  listDestinations: route<FlowListQuery, never, DestinationPage>()("GET", "/v1/destinations"),
  getDestination: route<never, never, Destination>()("GET", "/v1/destinations/{host}"),
  putDestination: route<never, FlowLimitsInput, Destination>()("PUT", "/v1/destinations/{host}"),
  deleteDestination: route<never, never, void>()("DELETE", "/v1/destinations/{host}", "none"),

  // schedules and metrics
  previewSchedule: route<never, SchedulePreviewInput, SchedulePreview>()(
    "POST",
    "/v1/schedules/preview",
  ),
  metrics: route<never, never, string>()("GET", "/v1/metrics", "text"),
  stats: route<StatsQuery, never, Stats>()("GET", "/v1/stats"),
} as const;

export type OperationName = keyof typeof operations;

/** The path with its parameters filled in (each encoded). */
export function fillPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === "") throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
