/**
 * TenantScheduler: one Durable Object per tenant. It holds the tenant's settings, token hashes,
 * jobs and runs in SQLite, and its alarm is the tenant's clock: it always equals the earliest
 * moment something is due (a job, a run, a retry, a lease expiry). Its public surface is typed RPC;
 * problems come back as values (`Outcome`), never as thrown errors. Each method delegates to a
 * module (job-operations, run-operations, dispatch-round) and ends in `settle`.
 */
import { DurableObject } from "cloudflare:workers";
import type { JobInput, JobListQuery, JobPatch, JobView } from "../contract/job";
import type { RunDetailView, RunListQuery, RunView } from "../contract/run";
import type {
  CreatedTenant,
  IssuedToken,
  TenantPatch,
  TenantView,
  TokenScope,
} from "../contract/tenant";
import type {
  ClaimAnswer,
  ClaimInput,
  CompleteInput,
  FailInput,
  HeartbeatInput,
  LeaseAnswer,
  WorkerView,
} from "../contract/worker";
import { IdGenerator } from "../domain/ids";
import { fail, type Outcome, ProblemError } from "../domain/problem";
import type { TierName } from "../domain/tiers";
import { configureLogging } from "../observability/log";
import type { AttemptResult, ClaimRequest, ClaimResponse } from "../queues/messages";
import { AttemptStore } from "./attempt-store";
import { Counters } from "./counters";
import { applyMigrations, hasSchema, openDatabase, RowMeter, type Transaction } from "./database";
import { DispatchRound, maxInFlight } from "./dispatch-round";
import { repairGauges } from "./gauge-check";
import { IdempotencyKeyStore } from "./idempotency-key-store";
import { JobOperations } from "./job-operations";
import { JobStore } from "./job-store";
import { LeaseTable } from "./lease-table";
import { renderTenantMetrics } from "./metrics";
import { RequestRateLimit } from "./request-rate-limit";
import { RunLifecycle } from "./run-lifecycle";
import { RunOperations } from "./run-operations";
import { RunStore } from "./run-store";
import { type Credential, TenantStore } from "./tenant-store";
import { iso, type Page, tenantView } from "./views";
import { WORKER_LEASE_MS } from "./worker-attempts";
import { WorkerOperations } from "./worker-operations";

export class TenantScheduler extends DurableObject<Env> {
  // Storage: the object's SQLite through drizzle (metered), and what is kept in memory beside it.
  private readonly meter = new RowMeter();
  private readonly counters = new Counters();
  private readonly leases = new LeaseTable();
  private readonly db = openDatabase(this.ctx.storage, this.meter);
  private readonly ids = new IdGenerator();
  private readonly tenants = new TenantStore(this.db);
  private readonly jobs = new JobStore(this.db, this.ids, this.counters);
  private readonly runs = new RunStore(this.db, this.ids, this.counters, this.leases);
  private readonly attempts = new AttemptStore(this.db);
  private readonly idempotencyKeys = new IdempotencyKeyStore(this.db);
  private readonly lifecycle = new RunLifecycle(
    () => this.tenants.require().id,
    this.jobs,
    this.runs,
    this.attempts,
    this.counters,
  );
  // What requests and the alarm do; each opens its own transactions through `transact`.
  private readonly transact: Transaction = (fn) => this.transaction(fn);
  private readonly rateLimit = new RequestRateLimit(this.tenants);
  private readonly jobOperations = new JobOperations(
    this.tenants,
    this.jobs,
    this.idempotencyKeys,
    this.lifecycle,
    this.transact,
  );
  private readonly runOperations = new RunOperations(
    this.tenants,
    this.jobs,
    this.runs,
    this.attempts,
    this.lifecycle,
    this.transact,
  );
  private readonly round: DispatchRound = new DispatchRound({
    env: this.env,
    storage: this.ctx.storage,
    db: this.db,
    counters: this.counters,
    leases: this.leases,
    tenants: this.tenants,
    jobs: this.jobs,
    runs: this.runs,
    idempotencyKeys: this.idempotencyKeys,
    lifecycle: this.lifecycle,
    transaction: this.transact,
    workerWake: (): number | null => this.workers.nextWake(),
  });
  private readonly workers: WorkerOperations = new WorkerOperations({
    tenantId: () => this.tenants.require().id,
    db: this.db,
    jobs: this.jobs,
    runs: this.runs,
    attempts: this.attempts,
    lifecycle: this.lifecycle,
    leases: this.leases,
    counters: this.counters,
    transaction: this.transact,
    capacity: (): number => maxInFlight(this.tenants.require()) - this.round.inFlight(),
  });
  private initialized = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    configureLogging(env.LOG_LEVEL);
    // An object that never held a tenant stays empty: a token naming an unknown tenant must not
    // create storage, so the schema is only created by `initialize`.
    ctx.blockConcurrencyWhile(async () => {
      if (hasSchema(ctx.storage)) {
        await applyMigrations(this.db);
        this.initialized = true;
        // Gauges that drifted from the rows they count are repaired (see gauge-check.ts).
        repairGauges(ctx.storage, () => this.tenants.get()?.id);
        this.leases.load(this.runs.storedLeases(Date.now(), WORKER_LEASE_MS));
      }
    });
  }

  // ---- admin surface (the Worker checked the admin token) ----

  async initialize(input: {
    id: string;
    name: string;
    tier: TierName;
  }): Promise<Outcome<CreatedTenant>> {
    return this.outcome(async () => {
      if (!this.initialized) {
        await applyMigrations(this.db);
        this.initialized = true;
      }
      if (this.tenants.get()) throw fail.conflict(`Tenant ${input.id} already exists.`);
      return this.tenants.create(input, Date.now());
    }, false);
  }

  async getTenant(): Promise<Outcome<TenantView>> {
    return this.adminCall(() => tenantView(this.tenants.require()));
  }

  async updateTenant(patch: TenantPatch): Promise<Outcome<TenantView>> {
    return this.adminCall(() => tenantView(this.tenants.update(patch, Date.now())), true);
  }

  async issueToken(scope: TokenScope): Promise<Outcome<IssuedToken>> {
    return this.adminCall(() => this.tenants.issueToken(scope, Date.now()));
  }

  async rotateSigningSecret(
    overlapSeconds: number,
  ): Promise<Outcome<{ signing_secret: string; previous_expires_at: string }>> {
    return this.adminCall(() => {
      const { secret, previousExpiresAt } = this.tenants.rotateSigningSecret(
        overlapSeconds,
        Date.now(),
      );
      return { signing_secret: secret, previous_expires_at: iso(previousExpiresAt) };
    });
  }

  async revokeToken(tokenId: string): Promise<Outcome<null>> {
    return this.adminCall(() => {
      this.tenants.revokeToken(tokenId, Date.now());
      return null;
    });
  }

  // ---- tenant surface (every call carries the caller's credential) ----

  /** Checks a credential only (for routes computed in the Worker, such as schedule previews). */
  async authorize(
    credential: Credential,
    scope: TokenScope,
  ): Promise<Outcome<{ tenant_id: string }>> {
    return this.tenantCall(credential, scope, () => ({ tenant_id: this.tenants.require().id }));
  }

  async createJob(
    credential: Credential,
    input: JobInput,
    idempotencyKey: string | null,
  ): Promise<Outcome<{ job: JobView; replayed: boolean }>> {
    return this.tenantCall(credential, "write", () =>
      this.jobOperations.create(input, idempotencyKey),
    );
  }

  /** Creates all jobs or none. */
  async createJobs(credential: Credential, inputs: JobInput[]): Promise<Outcome<JobView[]>> {
    return this.tenantCall(credential, "write", () => this.jobOperations.createMany(inputs));
  }

  async listJobs(credential: Credential, query: JobListQuery): Promise<Outcome<Page<JobView>>> {
    return this.tenantCall(credential, "read", () => this.jobOperations.list(query));
  }

  async getJob(credential: Credential, id: string): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "read", () => this.jobOperations.get(id));
  }

  async updateJob(
    credential: Credential,
    id: string,
    patch: JobPatch,
    ifMatch: string | null,
  ): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "write", () =>
      this.jobOperations.update(id, patch, ifMatch),
    );
  }

  /** Cancels a job: no further runs; its waiting runs become cancelled, a running one finishes. */
  async cancelJob(credential: Credential, id: string): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "write", () => this.jobOperations.cancel(id));
  }

  async pauseJob(credential: Credential, id: string): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "write", () => this.jobOperations.pause(id));
  }

  /** Resumes a paused job; occurrences missed meanwhile follow its catch-up window. */
  async resumeJob(credential: Credential, id: string): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "write", () => this.jobOperations.resume(id));
  }

  /** Runs the job once now, whatever its schedule and overlap policy. */
  async triggerJob(credential: Credential, id: string): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "write", () => this.jobOperations.trigger(id));
  }

  async previewJob(
    credential: Credential,
    id: string,
    count: number,
  ): Promise<Outcome<{ fire_times: string[]; timezone: string }>> {
    return this.tenantCall(credential, "read", () => this.jobOperations.preview(id, count));
  }

  async listRuns(credential: Credential, query: RunListQuery): Promise<Outcome<Page<RunView>>> {
    return this.tenantCall(credential, "read", () => this.runOperations.list(query));
  }

  async listJobRuns(
    credential: Credential,
    jobId: string,
    query: RunListQuery,
  ): Promise<Outcome<Page<RunView>>> {
    return this.tenantCall(credential, "read", () => this.runOperations.listOfJob(jobId, query));
  }

  async getRun(credential: Credential, id: string): Promise<Outcome<RunDetailView>> {
    return this.tenantCall(credential, "read", () => this.runOperations.detail(id));
  }

  /** Cancels a run that has not finished; a running attempt completes but its result changes nothing. */
  async cancelRun(credential: Credential, id: string): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "write", () => this.runOperations.cancel(id));
  }

  async replayRun(credential: Credential, id: string): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "write", () => this.runOperations.replay(id));
  }

  /** The tenant's metrics as Prometheus text: the counters table, and worker gauges. */
  async metrics(credential: Credential): Promise<Outcome<string>> {
    return this.tenantCall(credential, "read", () => {
      const tenant = this.tenants.require();
      const samples = this.counters.read(this.db);
      return renderTenantMetrics(tenant.id, samples, {
        inFlight: this.round.inFlight(),
        maxInFlight: maxInFlight(tenant),
        gauges: this.workers.gauges(),
      });
    });
  }

  // ---- pull workers (scope `worker` or `write`) ----

  /** Ready runs of the worker's pools; with `wait_seconds`, waits for some (long poll). */
  async claimForWorker(credential: Credential, input: ClaimInput): Promise<Outcome<ClaimAnswer>> {
    return this.tenantCall(credential, "worker", async () => {
      const claim = this.workers.claim(input);
      if ("answer" in claim) return claim.answer;
      await this.round.rearm(); // wakes when a run of the waited pools becomes ready
      return claim.waiting;
    });
  }

  async heartbeatRun(
    credential: Credential,
    runId: string,
    input: HeartbeatInput,
  ): Promise<Outcome<LeaseAnswer>> {
    return this.tenantCall(credential, "worker", () => this.workers.heartbeatRun(runId, input));
  }

  async heartbeatWorker(
    credential: Credential,
    workerId: string,
    held: { run_id: string; attempt: number }[],
  ): Promise<Outcome<LeaseAnswer[]>> {
    return this.tenantCall(credential, "worker", () =>
      this.workers.heartbeatWorker(workerId, held),
    );
  }

  async completeRun(
    credential: Credential,
    runId: string,
    input: CompleteInput,
  ): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "worker", () => this.workers.complete(runId, input));
  }

  async failRun(
    credential: Credential,
    runId: string,
    input: FailInput,
  ): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "worker", () => this.workers.fail(runId, input));
  }

  async drainWorker(credential: Credential, workerId: string): Promise<Outcome<WorkerView>> {
    return this.tenantCall(credential, "worker", () => this.workers.drain(workerId));
  }

  async listWorkers(credential: Credential): Promise<Outcome<WorkerView[]>> {
    return this.tenantCall(credential, "read", () => this.workers.list());
  }

  // ---- queue surface (called by consumers of this Worker, never by clients) ----

  /** Starts the attempts whose messages are current; duplicates and stale messages get nothing. */
  async claimRuns(claims: ClaimRequest[], workerId: string | null): Promise<ClaimResponse> {
    return this.internalCall(() => this.runOperations.claim(claims, workerId));
  }

  async reportResults(results: AttemptResult[]): Promise<void> {
    await this.internalCall(() => this.runOperations.report(results));
  }

  /** Messages the queue dead-lettered (see `RunOperations.undeliverable`). */
  async markUndeliverable(
    messages: { run_id: string; attempt: number; reason: string }[],
  ): Promise<void> {
    await this.internalCall(() => this.runOperations.undeliverable(messages));
  }

  // ---- the clock ----

  override async alarm(): Promise<void> {
    if (!this.initialized) return;
    const tenant = this.tenants.get();
    if (!tenant) return;
    let more = false;
    try {
      if (!tenant.suspended) {
        more = await this.round.dispatchDue(Date.now(), maxInFlight(tenant));
        this.workers.serveWaiting();
      }
    } finally {
      await this.settle("alarm", true, more);
    }
  }

  // ---- plumbing ----

  /**
   * Ends every request and alarm: counts it and its SQLite rows, persists buffered counters when
   * the request wrote anyway, and re-arms the alarm (or, for reads, checks it is sane).
   */
  private async settle(
    kind: "rpc" | "alarm",
    mutated: boolean,
    immediately = false,
  ): Promise<void> {
    if (!this.initialized || !this.tenants.get()) return;
    this.meter.flush();
    const rows = this.meter.unreported();
    this.counters.add("scheduler_object_requests_total", { kind });
    this.counters.add("scheduler_sqlite_rows_read_total", {}, rows.read);
    this.counters.add("scheduler_sqlite_rows_written_total", {}, rows.written);
    if (mutated) {
      this.counters.flushIfDue(this.db, this.ctx.storage, Date.now());
      await this.round.rearm(immediately);
    } else {
      await this.round.ensureAlarm();
    }
  }

  /**
   * Runs `fn` atomically. Counter and gauge deltas it buffered, and lease changes, are dropped
   * when it rolls back (a kept delta would drift the gauges that quotas read); committed deltas
   * are written by `Counters.flushIfDue`.
   */
  private transaction<T>(fn: () => T): T {
    const before = this.counters.snapshot();
    const leases = this.leases.begin();
    let committed = false;
    try {
      const value = this.ctx.storage.transactionSync(fn);
      committed = true;
      return value;
    } catch (error) {
      this.counters.restore(before);
      throw error;
    } finally {
      this.leases.end(leases, committed);
    }
  }

  /** A refused request (any problem) wrote nothing, so it flushes nothing either. */
  private async outcome<T>(fn: () => T | Promise<T>, mutates: boolean): Promise<Outcome<T>> {
    let succeeded = false;
    try {
      const value = await fn();
      succeeded = true;
      return { ok: true, value };
    } catch (error) {
      if (error instanceof ProblemError) {
        // Buffered like the request counters: flushed with the next write, never causing one.
        if (error.problem.status === 429)
          this.counters.add("scheduler_requests_rate_limited_total", {});
        return { ok: false, problem: error.problem };
      }
      throw error;
    } finally {
      await this.settle("rpc", mutates && succeeded);
    }
  }

  private adminCall<T>(fn: () => T | Promise<T>, mutates = false): Promise<Outcome<T>> {
    return this.outcome(() => {
      if (!this.initialized) throw fail.notFound("Tenant");
      return fn();
    }, mutates);
  }

  private tenantCall<T>(
    credential: Credential,
    scope: TokenScope,
    fn: () => T | Promise<T>,
  ): Promise<Outcome<T>> {
    return this.outcome(async () => {
      if (!this.initialized) throw fail.unauthorized("The token is unknown or revoked.");
      const now = Date.now();
      await this.tenants.authenticate(credential, scope, now);
      this.rateLimit.enforce(now);
      return fn();
    }, scope !== "read");
  }

  private async internalCall<T>(fn: () => T): Promise<T> {
    try {
      return fn();
    } finally {
      await this.settle("rpc", true);
    }
  }
}
