/**
 * What every TenantScheduler call stands on: the tenant's modules wired over its SQLite (metered),
 * the in-memory tables beside it, transactions that also roll back counters and leases, and the
 * epilogue of every request and alarm (`settle`: count, flush counters, re-arm the alarm). The RPC
 * surface itself is tenant-scheduler.ts.
 */
import { DurableObject } from "cloudflare:workers";
import type { TokenScope } from "../contract/tenant";
import { IdGenerator } from "../domain/ids";
import { fail, type Outcome, ProblemError } from "../domain/problem";
import { configureLogging, logError } from "../observability/log";
import { DispatchRound } from "./dispatch-round";
import { FlowAdmission } from "./flow/flow-admission";
import { FlowLimitStore } from "./flow/flow-limits";
import { RateBuckets } from "./flow/rate-buckets";
import { WaitingReasons } from "./flow/waiting-reasons";
import { FlowOperations } from "./flow-operations";
import { JobOperations } from "./job-operations";
import { IdempotencyKeyStore } from "./jobs/idempotency-key-store";
import { JobStore } from "./jobs/job-store";
import { RunLifecycle } from "./lifecycle/run-lifecycle";
import { Counters } from "./metrics/counters";
import { repairGauges } from "./metrics/gauge-check";
import { MinuteStats } from "./metrics/minute-stats";
import { RunGauges } from "./metrics/run-gauges";
import { RunOperations } from "./run-operations";
import { AttemptStore } from "./runs/attempt-store";
import { RunMemory, readStoredRunMemory } from "./runs/run-memory";
import { RunStore } from "./runs/run-store";
import {
  applyMigrations,
  hasSchema,
  openDatabase,
  RowMeter,
  type Transaction,
} from "./storage/database";
import { RequestRateLimit } from "./tenant/request-rate-limit";
import { type Caller, type Credential, maxInFlight, TenantStore } from "./tenant/tenant-store";
import { WorkerOperations } from "./worker-operations";
import { WORKER_LEASE_MS } from "./workers/worker-attempts";

export abstract class TenantObject extends DurableObject<Env> {
  // Storage: the object's SQLite through drizzle (metered), and what is kept in memory beside it.
  protected readonly meter = new RowMeter();
  protected readonly minuteStats = new MinuteStats();
  protected readonly counters = new Counters(this.minuteStats);
  protected readonly memory = new RunMemory();
  protected readonly leases = this.memory.leases;
  protected readonly db = openDatabase(this.ctx.storage, this.meter);
  protected readonly gauges = new RunGauges(this.counters, this.db);
  protected readonly ids = new IdGenerator();
  protected readonly tenants = new TenantStore(this.db, () => this.env.TOKEN_SIGNING_KEY);
  protected readonly jobs = new JobStore(this.db, this.ids, this.counters);
  protected readonly runs = new RunStore(
    this.db,
    this.ids,
    this.counters,
    this.leases,
    this.memory.active,
    this.memory.waiting,
    this.memory.usage,
  );
  // Flow control: limits per key and destination, their rate buckets, the admission check.
  protected readonly flowLimits = new FlowLimitStore(
    this.db,
    () => this.tenants.get()?.defaultFlowLimits ?? null,
  );
  protected readonly rateBuckets = new RateBuckets(this.db);
  protected readonly admission = new FlowAdmission(
    this.flowLimits,
    this.memory.usage,
    this.rateBuckets,
  );
  protected readonly capacityLeft = (): number =>
    maxInFlight(this.tenants.require()) - this.gauges.inFlight();
  protected readonly waitingReasons = new WaitingReasons(this.admission, this.capacityLeft);
  protected readonly attempts = new AttemptStore(this.db);
  protected readonly idempotencyKeys = new IdempotencyKeyStore(this.db);
  protected readonly lifecycle = new RunLifecycle(
    () => this.tenants.require().id,
    this.jobs,
    this.runs,
    this.attempts,
    this.counters,
  );
  // What requests and the alarm do; each opens its own transactions through `transact`.
  protected readonly transact: Transaction = (fn) => this.transaction(fn);
  protected readonly rateLimit = new RequestRateLimit(this.tenants);
  protected readonly jobOperations = new JobOperations(
    this.tenants,
    this.jobs,
    this.idempotencyKeys,
    this.lifecycle,
    this.transact,
  );
  protected readonly runOperations = new RunOperations(
    this.tenants,
    this.jobs,
    this.runs,
    this.attempts,
    this.lifecycle,
    this.waitingReasons,
    this.transact,
  );
  protected readonly flowOperations = new FlowOperations(
    this.flowLimits,
    this.admission,
    this.memory.usage,
    this.transact,
  );
  protected readonly round: DispatchRound = new DispatchRound({
    env: this.env,
    storage: this.ctx.storage,
    db: this.db,
    counters: this.counters,
    gauges: this.gauges,
    memory: this.memory,
    tenants: this.tenants,
    jobs: this.jobs,
    runs: this.runs,
    idempotencyKeys: this.idempotencyKeys,
    lifecycle: this.lifecycle,
    admission: this.admission,
    transaction: this.transact,
    workerWake: (): number | null => this.workers.nextWake(),
  });
  protected readonly workers: WorkerOperations = new WorkerOperations({
    tenantId: () => this.tenants.require().id,
    admits: (tokenId: string): boolean => this.tenants.stillAdmits(tokenId),
    db: this.db,
    jobs: this.jobs,
    runs: this.runs,
    attempts: this.attempts,
    lifecycle: this.lifecycle,
    leases: this.leases,
    counters: this.counters,
    admission: this.admission,
    transaction: this.transact,
    capacity: this.capacityLeft,
  });
  protected initialized = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    configureLogging(env.LOG_LEVEL);
    this.memory.attach(this.flowLimits.journal);
    this.memory.attach(this.rateBuckets.journal);
    // An object that never held a tenant stays empty: a token naming an unknown tenant must not
    // create storage, so the schema is only created by `initialize`.
    ctx.blockConcurrencyWhile(async () => {
      if (hasSchema(ctx.storage)) {
        await applyMigrations(this.db);
        this.initialized = true;
        // Gauges that drifted from the rows they count are repaired (see gauge-check.ts).
        repairGauges(ctx.storage, () => this.tenants.get()?.id);
        this.memory.load(readStoredRunMemory(this.db, Date.now(), WORKER_LEASE_MS));
      }
    });
  }

  // ---- plumbing ----

  /**
   * Ends every request and alarm: counts it and its SQLite rows, persists buffered counters when
   * the request wrote anyway, and re-arms the alarm (or, for reads, checks it is sane).
   */
  protected async settle(
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
      try {
        this.counters.flushIfDue(this.db, this.ctx.storage, Date.now());
      } catch (error) {
        // The request's own change is committed; its metric deltas stay buffered for the next flush.
        logError("counters.flush_failed", { tenant_id: this.tenants.get()?.id }, error);
      }
      await this.round.rearm(immediately);
    } else {
      await this.round.ensureAlarm();
    }
  }

  /**
   * Runs `fn` atomically. Counter and gauge deltas it buffered, and changes to the in-memory run
   * tables (run-memory.ts), are dropped when it rolls back (a kept delta would drift the gauges that quotas read); committed deltas
   * are written by `Counters.flushIfDue`.
   */
  protected transaction<T>(fn: () => T): T {
    const before = this.counters.snapshot();
    const mark = this.memory.begin();
    let committed = false;
    try {
      const value = this.ctx.storage.transactionSync(() => {
        const result = fn();
        // Rate tokens taken by this transaction's admissions are stored with them.
        this.rateBuckets.persist();
        return result;
      });
      committed = true;
      return value;
    } catch (error) {
      this.counters.restore(before);
      throw error;
    } finally {
      this.memory.end(mark, committed);
    }
  }

  /** A refused request (any problem) wrote nothing, so it flushes nothing either. */
  protected async outcome<T>(fn: () => T | Promise<T>, mutates: boolean): Promise<Outcome<T>> {
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

  protected adminCall<T>(fn: () => T | Promise<T>, mutates = false): Promise<Outcome<T>> {
    return this.outcome(() => {
      if (!this.initialized) throw fail.notFound("Tenant");
      return fn();
    }, mutates);
  }

  /** Checks the credential (and the tenant's request rate), then runs `fn` for its caller. */
  protected tenantCall<T>(
    credential: Credential,
    scope: TokenScope,
    fn: (caller: Caller) => T | Promise<T>,
  ): Promise<Outcome<T>> {
    return this.outcome(async () => {
      if (!this.initialized) throw fail.unauthorized("The token is unknown or revoked.");
      const caller = await this.tenants.authenticate(credential, scope);
      this.rateLimit.enforce(Date.now(), scope === "worker" ? "worker" : "api");
      return fn(caller);
    }, scope !== "read");
  }

  protected async internalCall<T>(fn: () => T): Promise<T> {
    try {
      return fn();
    } finally {
      await this.settle("rpc", true);
    }
  }
}
