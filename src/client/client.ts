/**
 * The typed client of the scheduler API. Runs wherever `fetch` does (Node 20+, Workers, browsers,
 * Deno, Bun). Every route is in `operations`; the groups below (tenants, tokens, jobs, runs, dead
 * letters, schedules) name them for people.
 */
import { parseRetryAfter, problemFrom, SchedulerConnectionError } from "./errors.ts";
import { fillPath, type Operation, operations, type PathParams } from "./operations.ts";
import { Paginated } from "./pagination.ts";
import type {
  ClaimAnswer,
  ClaimInput,
  CompleteInput,
  CreatedTenant,
  DeadLetterQuery,
  FailInput,
  Health,
  HeartbeatInput,
  IssuedToken,
  Job,
  JobInput,
  JobListQuery,
  JobPatch,
  JobRunListQuery,
  LeaseAnswer,
  Page,
  Readiness,
  Run,
  RunDetail,
  RunListQuery,
  SchedulePreview,
  SchedulePreviewInput,
  SigningSecretRotation,
  Stats,
  StatsQuery,
  Tenant,
  TenantInput,
  TenantListQuery,
  TenantPatch,
  TenantUsage,
  TokenScope,
  Worker,
  WorkerHeartbeatAnswer,
} from "./types.ts";

export interface SchedulerClientOptions {
  /** Where the Worker answers, e.g. `https://scheduler.example.com` or `http://localhost:8787`. */
  baseUrl: string;
  /** A tenant token (`sched.…`) for /v1, or the admin token for /v1/admin. */
  token?: string;
  /** Retries of a 429, each after its `Retry-After`. Default 3. */
  maxRetries?: number;
  /**
   * Retries of a request that got no answer (0.5 s, 1 s, 2 s… apart), only where repeating it is
   * safe: a GET, or a POST with an Idempotency-Key. Default 2.
   */
  maxConnectionRetries?: number;
  /** A 429 asking to wait longer than this is thrown at once instead. Default 60 s. */
  maxRetryDelaySeconds?: number;
  /** Told before each wait, e.g. to show "rate limited, retrying in 3 s". */
  onRetry?: (event: RetryEvent) => void;
  /** Another `fetch` (a Worker's service binding's, a proxy's). Default: the global one. */
  fetch?: (request: Request) => Promise<Response>;
  /** Sent with every request. */
  headers?: Record<string, string>;
}

export interface RetryEvent {
  /** `METHOD /path` */
  request: string;
  /** 1 for the first retry. */
  retry: number;
  delaySeconds: number;
  reason: "rate_limited" | "no_answer";
}

/** Per call: an abort signal and extra headers. */
export interface CallOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

type QueryValue = string | number | boolean | null | undefined;

/** The arguments of one operation: its path parameters, query and body, only where it has them. */
export type CallArgs<P extends string, Q, B> = ([keyof PathParams<P>] extends [never]
  ? { params?: undefined }
  : { params: PathParams<P> }) &
  ([Q] extends [never] ? { query?: undefined } : { query?: Q }) &
  ([B] extends [never] ? { body?: undefined } : { body: B }) &
  CallOptions;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export class SchedulerClient {
  readonly baseUrl: string;
  readonly tenants: TenantsApi;
  readonly tokens: TokensApi;
  readonly jobs: JobsApi;
  readonly runs: RunsApi;
  readonly deadLetters: DeadLettersApi;
  readonly schedules: SchedulesApi;
  readonly workers: WorkersApi;

  private readonly options: SchedulerClientOptions;

  constructor(options: SchedulerClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.tenants = new TenantsApi(this);
    this.tokens = new TokensApi(this);
    this.jobs = new JobsApi(this);
    this.runs = new RunsApi(this);
    this.deadLetters = new DeadLettersApi(this);
    this.schedules = new SchedulesApi(this);
    this.workers = new WorkersApi(this);
  }

  /** The same client with another token (say, a tenant's right after an admin created it). */
  withToken(token: string): SchedulerClient {
    return new SchedulerClient({ ...this.options, token });
  }

  /** The tenant's metrics in the Prometheus text format. */
  metrics(options?: CallOptions): Promise<string> {
    return this.call(operations.metrics, { ...options });
  }

  /** Runs finished per minute by status and fire lag p50/p99, for the last hour or day. */
  stats(query: StatsQuery = {}, options?: CallOptions): Promise<Stats> {
    return this.call(operations.stats, { query, ...options });
  }

  /** Tenant counts by tier and suspension, Prometheus text (admin token). */
  adminMetrics(options?: CallOptions): Promise<string> {
    return this.call(operations.adminMetrics, { ...options });
  }

  /** Liveness: the Worker answers. */
  health(options?: CallOptions): Promise<Health> {
    return this.call(operations.health, { ...options });
  }

  /** Readiness: Durable Object storage answers too (a 503 problem when not). */
  ready(options?: CallOptions): Promise<Readiness> {
    return this.call(operations.ready, { ...options });
  }

  /**
   * Calls one route of `operations` (the groups use this; so can a caller for a route they do
   * not name yet). Throws `SchedulerProblem` for a non-2xx answer and `SchedulerConnectionError`
   * when none came. A 429 is retried after `Retry-After` (at most `maxRetries` times, each wait at
   * most `maxRetryDelaySeconds`: a refused request changed nothing, so any method may be sent
   * again); a request without an answer is retried only when repeating it is safe (GET, or a POST
   * with an Idempotency-Key), at most `maxConnectionRetries` times.
   */
  async call<P extends string, Q, B, A>(
    operation: Operation<P, Q, B, A>,
    args: CallArgs<P, Q, B>,
  ): Promise<A> {
    const path = fillPath(operation.path, args.params as Record<string, string> | undefined);
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries((args.query ?? {}) as Record<string, QueryValue>)) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const headers = new Headers({ accept: "application/json", ...this.options.headers });
    if (this.options.token) headers.set("authorization", `Bearer ${this.options.token}`);
    for (const [name, value] of Object.entries(args.headers ?? {})) headers.set(name, value);
    let body: string | undefined;
    if (args.body !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(args.body);
    }
    const label = `${operation.method} ${path}`;
    const repeatable = operation.method === "GET" || headers.has("idempotency-key");
    const maxRetries = this.options.maxRetries ?? 3;
    const maxConnectionRetries = this.options.maxConnectionRetries ?? 2;
    const maxDelay = this.options.maxRetryDelaySeconds ?? 60;
    const doFetch = this.options.fetch ?? ((request: Request) => fetch(request));

    let rateLimited = 0;
    let unanswered = 0;
    for (;;) {
      let response: Response;
      try {
        response = await doFetch(
          new Request(url, { method: operation.method, headers, body, signal: args.signal }),
        );
      } catch (error) {
        if (args.signal?.aborted || !repeatable || unanswered >= maxConnectionRetries)
          throw new SchedulerConnectionError(label, error);
        const retry = ++unanswered;
        const delaySeconds = 0.25 * 2 ** retry;
        this.options.onRetry?.({ request: label, retry, delaySeconds, reason: "no_answer" });
        await sleep(delaySeconds * 1000, args.signal);
        continue;
      }
      if (response.ok) return (await read(response, operation.answer, label)) as A;
      if (response.status === 429 && rateLimited < maxRetries) {
        const delaySeconds = parseRetryAfter(response.headers.get("retry-after"), Date.now()) ?? 1;
        if (delaySeconds <= maxDelay) {
          await response.body?.cancel();
          const retry = ++rateLimited;
          this.options.onRetry?.({ request: label, retry, delaySeconds, reason: "rate_limited" });
          // A little jitter, so that clients told the same second do not all return at once.
          await sleep(delaySeconds * 1000 + Math.random() * 250, args.signal);
          continue;
        }
      }
      throw await problemFrom(response, label);
    }
  }
}

async function read(
  response: Response,
  kind: Operation["answer"],
  label: string,
): Promise<unknown> {
  if (kind === "none" || response.status === 204) {
    await response.body?.cancel();
    return undefined;
  }
  const text = await response.text();
  if (kind === "text") return text;
  try {
    return JSON.parse(text);
  } catch {
    // Not the scheduler answering (a wrong base URL, a proxy's page).
    throw new Error(
      `${label}: ${response.status} answer is not JSON (${response.headers.get("content-type") ?? "no content-type"}): ${text.slice(0, 80)}`,
    );
  }
}

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

  /** Name, tier, suspension, `max_in_flight` override (null restores the tier's). */
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

  /** Issues a token (shown once). Rotation: issue, switch callers over, revoke the old one. */
  issue(
    tenantId: string,
    scope: TokenScope = "write",
    options?: CallOptions,
  ): Promise<IssuedToken> {
    return this.client.call(operations.issueToken, {
      params: { id: tenantId },
      body: { scope },
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

  /** One run now, whatever the schedule. */
  trigger(id: string, options?: CallOptions): Promise<Run> {
    return this.client.call(operations.triggerJob, { params: { id }, ...options });
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

  /** Renews every attempt the worker holds (or those listed); answers each with its cancel flag. */
  heartbeat(
    workerId: string,
    runs: { run_id: string; attempt: number }[] = [],
    options?: CallOptions,
  ): Promise<WorkerHeartbeatAnswer> {
    return this.client.call(operations.heartbeatWorker, {
      params: { id: workerId },
      body: { runs },
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
