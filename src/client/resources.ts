/**
 * The client's groups of routes, named for people: tenants, tokens, jobs, runs, dead letters,
 * schedules, workers (flow keys and destinations are in flow.ts). Each method is one call of
 * `SchedulerClient.call` on an operation.
 */
import type { CallOptions, SchedulerClient } from "./client.ts";
import { operations } from "./operations.ts";
import { Paginated } from "./pagination.ts";
import type { ReportItem, ReportsAnswer } from "./report-types.ts";
import type {
  ClaimAnswer,
  ClaimInput,
  CompleteInput,
  CreatedTenant,
  DeadLetterQuery,
  FailInput,
  HeartbeatInput,
  IssuedToken,
  Job,
  JobInput,
  JobListQuery,
  JobPatch,
  JobRunListQuery,
  LeaseAnswer,
  Page,
  Run,
  RunDetail,
  RunListQuery,
  SchedulePreview,
  SchedulePreviewInput,
  SigningSecretRotation,
  Tenant,
  TenantInput,
  TenantListQuery,
  TenantPatch,
  TenantUsage,
  TokenInput,
  TokenScope,
  TriggerInput,
  Worker,
  WorkerHeartbeatAnswer,
  WorkerHeartbeatInput,
} from "./types.ts";

/** A page-fetching function for a list route (the cursor goes into the query). */
function lister<T, Q extends { cursor?: string }>(
  fetchPage: (query: Q) => Promise<Page<T>>,
  query: Q,
): Paginated<T> {
  return new Paginated((cursor) => fetchPage({ ...query, cursor }), query.cursor);
}

/** /v1/admin/tenants (admin token). */
export class TenantsApi {
  private readonly client: SchedulerClient;
  constructor(client: SchedulerClient) {
    this.client = client;
  }

  /** Creates a tenant; the answer carries its first write token and signing secret, shown once. */
  create(input: TenantInput, options?: CallOptions): Promise<CreatedTenant> {
    return this.client.call(operations.createTenant, { body: input, ...options });
  }

  list(query: TenantListQuery = {}, options?: CallOptions): Paginated<Tenant> {
    return lister((q) => this.client.call(operations.listTenants, { query: q, ...options }), query);
  }

  get(id: string, options?: CallOptions): Promise<Tenant> {
    return this.client.call(operations.getTenant, { params: { id }, ...options });
  }

  /** Jobs by status, runs in flight, waiting and dead, 429s in the last hour. */
  usage(id: string, options?: CallOptions): Promise<TenantUsage> {
    return this.client.call(operations.getTenantUsage, { params: { id }, ...options });
  }

  /**
   * Name, tier, suspension, `max_in_flight` override (null restores the tier's), and
   * `default_flow_limits` for flow keys without limits of their own (null removes them).
   */
  update(id: string, patch: TenantPatch, options?: CallOptions): Promise<Tenant> {
    return this.client.call(operations.updateTenant, { params: { id }, body: patch, ...options });
  }

  /** A new signing secret; the old one keeps signing (a second signature) for `overlap_seconds`. */
  rotateSigningSecret(
    id: string,
    input: { overlap_seconds?: number } = {},
    options?: CallOptions,
  ): Promise<SigningSecretRotation> {
    return this.client.call(operations.rotateSigningSecret, {
      params: { id },
      body: input,
      ...options,
    });
  }
}

/** /v1/admin/tenants/:id/tokens (admin token). */
export class TokensApi {
  private readonly client: SchedulerClient;
  constructor(client: SchedulerClient) {
    this.client = client;
  }

  /**
   * Issues a token (shown once). Rotation: issue, switch callers over, revoke the old one. A
   * worker token may name the pools it serves: `issue(id, { scope: "worker", pools: ["video"] })`.
   */
  issue(
    tenantId: string,
    input: TokenScope | TokenInput = "write",
    options?: CallOptions,
  ): Promise<IssuedToken> {
    return this.client.call(operations.issueToken, {
      params: { id: tenantId },
      body: typeof input === "string" ? { scope: input } : input,
      ...options,
    });
  }

  revoke(tenantId: string, tokenId: string, options?: CallOptions): Promise<void> {
    return this.client.call(operations.revokeToken, {
      params: { id: tenantId, token_id: tokenId },
      ...options,
    });
  }
}

export interface CreateJobOptions extends CallOptions {
  /**
   * Same key and body within 24 hours: the job created first is returned instead of a second one,
   * so a create whose answer was lost can be sent again (the client then also retries it itself).
   */
  idempotencyKey?: string;
}

export interface UpdateJobOptions extends CallOptions {
  /** The `version` the change is based on: 412 if the job changed since (optimistic locking). */
  ifVersion?: number;
}

/** /v1/jobs (tenant token). */
export class JobsApi {
  private readonly client: SchedulerClient;
  constructor(client: SchedulerClient) {
    this.client = client;
  }

  create(input: JobInput, options: CreateJobOptions = {}): Promise<Job> {
    const { idempotencyKey, ...rest } = options;
    return this.client.call(operations.createJob, {
      body: input,
      ...rest,
      headers: {
        ...rest.headers,
        ...(idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey }),
      },
    });
  }

  /** Up to 1,000 jobs in one transaction: all are created, or none (a 400 names `jobs[i]…`). */
  async createBatch(jobs: JobInput[], options?: CallOptions): Promise<Job[]> {
    const answer = await this.client.call(operations.createJobs, { body: { jobs }, ...options });
    return answer.data;
  }

  list(query: JobListQuery = {}, options?: CallOptions): Paginated<Job> {
    return lister((q) => this.client.call(operations.listJobs, { query: q, ...options }), query);
  }

  get(id: string, options?: CallOptions): Promise<Job> {
    return this.client.call(operations.getJob, { params: { id }, ...options });
  }

  update(id: string, patch: JobPatch, options: UpdateJobOptions = {}): Promise<Job> {
    const { ifVersion, ...rest } = options;
    return this.client.call(operations.updateJob, {
      params: { id },
      body: patch,
      ...rest,
      headers: {
        ...rest.headers,
        ...(ifVersion === undefined ? {} : { "if-match": `"${ifVersion}"` }),
      },
    });
  }

  /** No further runs; its waiting runs are cancelled. */
  cancel(id: string, options?: CallOptions): Promise<Job> {
    return this.client.call(operations.cancelJob, { params: { id }, ...options });
  }

  pause(id: string, options?: CallOptions): Promise<Job> {
    return this.client.call(operations.pauseJob, { params: { id }, ...options });
  }

  resume(id: string, options?: CallOptions): Promise<Job> {
    return this.client.call(operations.resumeJob, { params: { id }, ...options });
  }

  /**
   * One run now, whatever the schedule; `{ flow_key }` counts this run under another flow key
   * than the job's (null: under none).
   */
  trigger(id: string, input: TriggerInput = {}, options?: CallOptions): Promise<Run> {
    return this.client.call(operations.triggerJob, { params: { id }, body: input, ...options });
  }

  /** The job's next fire times (UTC). */
  preview(id: string, count?: number, options?: CallOptions): Promise<SchedulePreview> {
    return this.client.call(operations.previewJob, {
      params: { id },
      query: { count },
      ...options,
    });
  }

  /** The job's runs, newest first. */
  runs(id: string, query: JobRunListQuery = {}, options?: CallOptions): Paginated<Run> {
    return lister(
      (q) => this.client.call(operations.listJobRuns, { params: { id }, query: q, ...options }),
      query,
    );
  }
}

/** /v1/runs (tenant token). */
export class RunsApi {
  private readonly client: SchedulerClient;
  constructor(client: SchedulerClient) {
    this.client = client;
  }

  list(query: RunListQuery = {}, options?: CallOptions): Paginated<Run> {
    return lister((q) => this.client.call(operations.listRuns, { query: q, ...options }), query);
  }

  /** One run with every attempt (status code, duration, the first 4 KiB of the answer). */
  get(id: string, options?: CallOptions): Promise<RunDetail> {
    return this.client.call(operations.getRun, { params: { id }, ...options });
  }

  cancel(id: string, options?: CallOptions): Promise<Run> {
    return this.client.call(operations.cancelRun, { params: { id }, ...options });
  }

  /** A dead run again, with a fresh attempt budget. */
  replay(id: string, options?: CallOptions): Promise<Run> {
    return this.client.call(operations.replayRun, { params: { id }, ...options });
  }

  /** Pull workers: renews a claimed attempt's lease, saves a checkpoint; `cancel` says stop. */
  heartbeat(id: string, input: HeartbeatInput, options?: CallOptions): Promise<LeaseAnswer> {
    return this.client.call(operations.heartbeatRun, { params: { id }, body: input, ...options });
  }

  /** Pull workers: reports success (idempotent per attempt; 409 when it is not current). */
  complete(id: string, input: CompleteInput, options?: CallOptions): Promise<Run> {
    return this.client.call(operations.completeRun, { params: { id }, body: input, ...options });
  }

  /** Pull workers: reports failure; retried with backoff unless `retryable: false`. */
  fail(id: string, input: FailInput, options?: CallOptions): Promise<Run> {
    return this.client.call(operations.failRun, { params: { id }, body: input, ...options });
  }
}

/** /v1/dead-letters: runs that exhausted their attempts (tenant token). */
export class DeadLettersApi {
  private readonly client: SchedulerClient;
  constructor(client: SchedulerClient) {
    this.client = client;
  }

  list(query: DeadLetterQuery = {}, options?: CallOptions): Paginated<Run> {
    return lister(
      (q) => this.client.call(operations.listDeadLetters, { query: q, ...options }),
      query,
    );
  }

  /** Same as `client.runs.replay`. */
  replay(id: string, options?: CallOptions): Promise<Run> {
    return this.client.call(operations.replayRun, { params: { id }, ...options });
  }
}

/** /v1/schedules (tenant token). */
export class SchedulesApi {
  private readonly client: SchedulerClient;
  constructor(client: SchedulerClient) {
    this.client = client;
  }

  /** What a schedule would do before a job trusts it. */
  preview(input: SchedulePreviewInput, options?: CallOptions): Promise<SchedulePreview> {
    return this.client.call(operations.previewSchedule, { body: input, ...options });
  }
}

/** /v1/workers: pull workers (a `worker` or `write` token; `pull-worker/` is a ready worker). */
export class WorkersApi {
  private readonly client: SchedulerClient;
  constructor(client: SchedulerClient) {
    this.client = client;
  }

  /** Claims ready runs of the pools, waiting up to `wait_seconds` for some (long poll). */
  claim(input: ClaimInput, options?: CallOptions): Promise<ClaimAnswer> {
    return this.client.call(operations.claimRuns, { body: input, ...options });
  }

  /**
   * Renews the attempts the worker names in `runs` (no others), saving the checkpoint or progress
   * each carries; answers each with its cancel flag.
   */
  heartbeat(
    workerId: string,
    runs: WorkerHeartbeatInput["runs"] = [],
    options?: CallOptions,
  ): Promise<WorkerHeartbeatAnswer> {
    return this.client.call(operations.heartbeatWorker, {
      params: { id: workerId },
      body: { runs },
      ...options,
    });
  }

  /** Reports the outcomes of up to 100 of the worker's attempts; answers each (recorded or its problem). */
  report(workerId: string, reports: ReportItem[], options?: CallOptions): Promise<ReportsAnswer> {
    return this.client.call(operations.reportRuns, {
      params: { id: workerId },
      body: { reports },
      ...options,
    });
  }

  /** The tenant's workers with their state and runs in flight. */
  async list(options?: CallOptions): Promise<Worker[]> {
    return (await this.client.call(operations.listWorkers, { ...options })).data;
  }

  /** Gives the worker no more runs (for good: a drained id stays drained). */
  drain(workerId: string, options?: CallOptions): Promise<Worker> {
    return this.client.call(operations.drainWorker, { params: { id: workerId }, ...options });
  }
}
