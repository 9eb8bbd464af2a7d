/**
 * TenantScheduler: one Durable Object per tenant. It holds the tenant's settings, token hashes,
 * jobs and runs in SQLite, and its alarm is the tenant's clock: it always equals the earliest
 * moment something is due (a job, a run, a retry, a lease expiry). Its public surface is typed RPC;
 * problems come back as values (`Outcome`), never as thrown errors.
 */
import { DurableObject } from "cloudflare:workers";
import { eq, lt, min } from "drizzle-orm";
import {
  JOB_STATUSES,
  type JobInput,
  type JobListQuery,
  type JobPatch,
  type JobView,
} from "../contract/job";
import type { RunDetailView, RunListQuery, RunView } from "../contract/run";
import type {
  CreatedTenant,
  IssuedToken,
  TenantPatch,
  TenantView,
  TokenScope,
} from "../contract/tenant";
import { IdGenerator } from "../domain/ids";
import { DEFAULTS, LIMITS } from "../domain/limits";
import { PRIORITIES, PRIORITY_RANK } from "../domain/priority";
import { fail, type Outcome, ProblemError, problem } from "../domain/problem";
import { TokenBucket } from "../domain/rate-limit";
import { IN_FLIGHT_STATUSES, RUN_STATUSES, type RunStatus } from "../domain/run-status";
import { isCron, previewFireTimes } from "../domain/schedule";
import { newSigningSecret, sha256Hex } from "../domain/secrets";
import { assertJobQuota, assertTierAllows, type TieredJob } from "../domain/tier-rules";
import type { TierName } from "../domain/tiers";
import { TIERS } from "../domain/tiers";
import { configureLogging, log, logError } from "../observability/log";
import type { AttemptResult, ClaimRequest, ClaimResponse } from "../queues/messages";
import { AttemptStore } from "./attempt-store";
import { Counters, labelKey } from "./counters";
import { applyMigrations, type Database, hasSchema, openDatabase, RowMeter } from "./database";
import { reconcileGauges } from "./gauge-check";
import { JobStore } from "./job-store";
import { LeaseTable } from "./lease-table";
import { renderMetrics } from "./metrics";
import { RunLifecycle } from "./run-lifecycle";
import { runQueues, sendRunMessages } from "./run-queues";
import { RunStore } from "./run-store";
import { idempotencyKeys, type JobRow, type TenantRow } from "./schema";
import { SendBudget } from "./send-budget";
import { type Credential, TenantStore } from "./tenant-store";
import { attemptView, iso, runView, tenantView } from "./views";

/** Work per alarm is bounded; when more is due the alarm re-arms at once. */
const ALARM_BATCH = 100;
/**
 * At most this many of a tenant's runs wait in the shared queues at once (two consumer batches).
 * The rest wait in the object and are sent as consumers claim, so a tenant's burst delays other
 * tenants' messages by at most this many, whatever its in-flight cap.
 */
const MAX_QUEUED_PER_TENANT = 100;
/** A job whose materialization failed is tried again this much later. */
const MATERIALIZE_RETRY_MS = 60_000;
/** Buffered counter deltas are written at most this often (and the alarm wakes to write them). */
const COUNTER_FLUSH_MS = 1_000;
/** A stored alarm this far in the past is treated as lost and set again. */
const STALE_ALARM_MS = 30_000;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export class TenantScheduler extends DurableObject<Env> {
  private readonly meter = new RowMeter();
  private readonly counters = new Counters();
  private readonly leases = new LeaseTable();
  private reportedRows = { read: 0, written: 0 };
  private countersFlushedAt = 0;
  private flushOwed = false;
  private bucket: TokenBucket | undefined;
  private readonly db: Database;
  private readonly ids = new IdGenerator();
  private readonly tenants: TenantStore;
  private readonly jobs: JobStore;
  private readonly runs: RunStore;
  private readonly attempts: AttemptStore;
  private readonly lifecycle: RunLifecycle;
  private initialized = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    configureLogging(env.LOG_LEVEL);
    this.db = openDatabase(ctx.storage, this.meter);
    this.tenants = new TenantStore(this.db);
    this.jobs = new JobStore(this.db, this.ids, this.counters);
    this.runs = new RunStore(this.db, this.ids, this.counters, this.leases);
    this.attempts = new AttemptStore(this.db);
    this.lifecycle = new RunLifecycle(
      () => this.tenants.require().id,
      this.jobs,
      this.runs,
      this.attempts,
      this.counters,
    );
    // An object that never held a tenant stays empty: a token naming an unknown tenant must not
    // create storage, so the schema is only created by `initialize`.
    ctx.blockConcurrencyWhile(async () => {
      if (hasSchema(ctx.storage)) {
        await applyMigrations(this.db);
        this.initialized = true;
        this.checkGauges();
        this.leases.load(this.runs.storedLeases());
      }
    });
  }

  /** Repairs gauges that drifted from the rows they count (see gauge-check.ts). */
  private checkGauges(): void {
    const corrections = this.ctx.storage.transactionSync(() =>
      reconcileGauges(this.ctx.storage.sql),
    );
    if (corrections.length) {
      logError("gauges.repaired", {
        tenant_id: this.tenants.get()?.id,
        corrections: corrections.map((c) => `${c.name}{${c.labels}} ${c.stored} -> ${c.actual}`),
      });
    }
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
      const now = Date.now();
      const signingSecret = newSigningSecret();
      this.tenants.insert({
        ...input,
        suspended: false,
        maxInFlight: null,
        signingSecret,
        previousSigningSecret: null,
        previousSecretExpiresAt: null,
        createdAt: now,
        updatedAt: now,
      });
      const token = await this.tenants.issueToken("write", now);
      return {
        ...tenantView(this.tenants.require()),
        token: token.token,
        token_id: token.id,
        signing_secret: signingSecret,
      };
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
    return this.tenantCall(credential, "write", async () => {
      const now = Date.now();
      const requestHash = idempotencyKey ? await sha256Hex(JSON.stringify(input)) : "";
      return this.transaction(() => {
        if (idempotencyKey) {
          const seen = this.db
            .select()
            .from(idempotencyKeys)
            .where(eq(idempotencyKeys.key, idempotencyKey))
            .get();
          if (seen && seen.requestHash !== requestHash) {
            throw fail.conflict("This Idempotency-Key was used with a different request body.", [
              { path: "Idempotency-Key", message: "reused with a different body" },
            ]);
          }
          if (seen) return { job: this.jobs.view(this.jobs.require(seen.jobId)), replayed: true };
        }
        const row = this.jobs.build(input, now);
        this.assertTier(input, now);
        if (row.status === "active") this.assertQuota(1);
        this.jobs.insertMany([row]);
        if (idempotencyKey) {
          this.db
            .insert(idempotencyKeys)
            .values({ key: idempotencyKey, requestHash, jobId: row.id, createdAt: now })
            .run();
        }
        logJobCreated(this.tenants.require().id, row);
        return { job: this.jobs.view(row), replayed: false };
      });
    });
  }

  /** Creates all jobs or none: every row is built (and checked) before the first insert. */
  async createJobs(credential: Credential, inputs: JobInput[]): Promise<Outcome<JobView[]>> {
    return this.tenantCall(credential, "write", () => {
      const now = Date.now();
      const rows = inputs.map((input, i) => {
        this.assertTier(input, now, `jobs[${i}].`);
        return this.jobs.build(input, now, `jobs[${i}].`);
      });
      this.assertQuota(rows.filter((r) => r.status === "active").length);
      this.transaction(() => this.jobs.insertMany(rows));
      const tenantId = this.tenants.require().id;
      // One line per batch: a thousand lines in one request would crowd the log.
      log("jobs.created", {
        tenant_id: tenantId,
        count: rows.length,
        job_ids: rows.map((r) => r.id),
      });
      return rows.map((row) => this.jobs.view(row));
    });
  }

  async listJobs(credential: Credential, query: JobListQuery): Promise<Outcome<Page<JobView>>> {
    return this.tenantCall(credential, "read", () => {
      const { rows, nextCursor } = this.jobs.list(query);
      return { data: this.jobs.views(rows), next_cursor: nextCursor };
    });
  }

  async getJob(credential: Credential, id: string): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "read", () => this.jobs.view(this.jobs.require(id)));
  }

  async updateJob(
    credential: Credential,
    id: string,
    patch: JobPatch,
    ifMatch: string | null,
  ): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "write", () => {
      const job = this.jobs.require(id);
      if (ifMatch !== null && !etagMatches(ifMatch, job.version)) {
        throw fail.preconditionFailed(
          `Job ${id} is at version ${job.version}; If-Match was ${ifMatch}.`,
        );
      }
      if (job.status === "cancelled")
        throw fail.conflict(`Job ${id} is cancelled and cannot change.`);
      const now = Date.now();
      this.assertTier(patch, now);
      return this.transaction(() => {
        const changed = this.jobs.applyPatch(job, patch, now);
        // The patch already moved the jobs gauge: the reactivated job is counted once, not twice.
        if (job.status === "completed" && changed.status === "active") this.assertQuota(1, 1);
        return this.jobs.view(changed);
      });
    });
  }

  /** Cancels a job: no further runs; its waiting runs become cancelled, a running one finishes. */
  async cancelJob(credential: Credential, id: string): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "write", () => {
      const job = this.jobs.require(id);
      if (job.status === "cancelled") return this.jobs.view(job);
      const now = Date.now();
      return this.transaction(() => {
        const cancelled: JobRow = {
          ...job,
          status: "cancelled",
          nextRunAt: null,
          version: job.version + 1,
          updatedAt: now,
        };
        this.jobs.save(cancelled, job);
        this.lifecycle.control.cancelWaiting(cancelled, now, "job cancelled");
        return this.jobs.view(cancelled);
      });
    });
  }

  async pauseJob(credential: Credential, id: string): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "write", () => {
      const job = this.jobs.require(id);
      if (job.status === "paused") return this.jobs.view(job);
      if (job.status === "cancelled") throw fail.conflict(`Job ${id} is cancelled.`);
      const now = Date.now();
      return this.transaction(() => {
        const paused: JobRow = {
          ...job,
          status: "paused",
          version: job.version + 1,
          updatedAt: now,
        };
        this.jobs.save(paused, job);
        this.lifecycle.control.hold(paused);
        return this.jobs.view(paused);
      });
    });
  }

  /** Resumes a paused job; occurrences missed meanwhile follow its catch-up window. */
  async resumeJob(credential: Credential, id: string): Promise<Outcome<JobView>> {
    return this.tenantCall(credential, "write", () => {
      const job = this.jobs.require(id);
      if (job.status !== "paused") {
        if (job.status === "cancelled") throw fail.conflict(`Job ${id} is cancelled.`);
        return this.jobs.view(job);
      }
      const now = Date.now();
      return this.transaction(() => {
        const status = job.nextRunAt === null ? "completed" : "active";
        const resumed: JobRow = { ...job, status, version: job.version + 1, updatedAt: now };
        this.jobs.save(resumed, job);
        this.lifecycle.control.release(resumed, now);
        return this.jobs.view(resumed);
      });
    });
  }

  /** Runs the job once now, whatever its schedule and overlap policy. */
  async triggerJob(credential: Credential, id: string): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "write", () => {
      const job = this.jobs.require(id);
      if (job.status === "cancelled") throw fail.conflict(`Job ${id} is cancelled.`);
      return this.transaction(() => runView(this.lifecycle.occurrences.trigger(job, Date.now())));
    });
  }

  async previewJob(
    credential: Credential,
    id: string,
    count: number,
  ): Promise<Outcome<{ fire_times: string[]; timezone: string }>> {
    return this.tenantCall(credential, "read", () => {
      const job = this.jobs.require(id);
      const timezone = isCron(job.schedule)
        ? (job.schedule.timezone ?? DEFAULTS.timezone)
        : DEFAULTS.timezone;
      if (job.nextRunAt === null || job.status === "cancelled") return { fire_times: [], timezone };
      const times = isCron(job.schedule)
        ? previewFireTimes(job.schedule, job.nextRunAt - 1, count)
        : [job.nextRunAt];
      return { fire_times: times.map(iso), timezone };
    });
  }

  async listRuns(credential: Credential, query: RunListQuery): Promise<Outcome<Page<RunView>>> {
    return this.tenantCall(credential, "read", () => {
      const { rows, nextCursor } = this.runs.list(query);
      return { data: rows.map(runView), next_cursor: nextCursor };
    });
  }

  async listJobRuns(
    credential: Credential,
    jobId: string,
    query: RunListQuery,
  ): Promise<Outcome<Page<RunView>>> {
    return this.tenantCall(credential, "read", () => {
      this.jobs.require(jobId);
      const { rows, nextCursor } = this.runs.list({ ...query, job_id: jobId });
      return { data: rows.map(runView), next_cursor: nextCursor };
    });
  }

  async getRun(credential: Credential, id: string): Promise<Outcome<RunDetailView>> {
    return this.tenantCall(credential, "read", () => {
      const run = this.runs.require(id);
      return { ...runView(run), attempts: this.attempts.of(run).map(attemptView) };
    });
  }

  /** Cancels a run that has not finished; a running attempt completes but its result changes nothing. */
  async cancelRun(credential: Credential, id: string): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "write", () => {
      const run = this.runs.require(id);
      if (run.status === "cancelled") return runView(run);
      if (!["pending", "queued", "running", "retrying"].includes(run.status)) {
        throw fail.conflict(`Run ${id} is ${run.status}; only unfinished runs can be cancelled.`);
      }
      return this.transaction(() =>
        runView(this.lifecycle.control.cancel(run, Date.now(), "cancelled by request")),
      );
    });
  }

  async replayRun(credential: Credential, id: string): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "write", () => {
      const run = this.runs.require(id);
      if (run.status !== "dead")
        throw fail.conflict(`Run ${id} is ${run.status}; only dead runs can be replayed.`);
      const job = this.jobs.require(run.jobId);
      if (job.status === "cancelled") throw fail.conflict(`Job ${job.id} is cancelled.`);
      return this.transaction(() => runView(this.lifecycle.control.replay(run, job, Date.now())));
    });
  }

  /** The tenant's metrics as Prometheus text; reads only the small counters table. */
  async metrics(credential: Credential): Promise<Outcome<string>> {
    return this.tenantCall(credential, "read", () => {
      const tenant = this.tenants.require();
      const samples = this.counters.read(this.db);
      // Gauges list every status, zeros included: a missing series reads as stale, not as 0.
      const present = new Set(samples.map((s) => `${s.name}{${s.labels}}`));
      const zero = (name: string, labels: Record<string, string>) => {
        const key = labelKey(labels);
        if (!present.has(`${name}{${key}}`)) samples.push({ name, labels: key, value: 0 });
      };
      for (const status of RUN_STATUSES)
        for (const priority of PRIORITIES) zero("scheduler_runs", { status, priority });
      for (const status of JOB_STATUSES) zero("scheduler_jobs", { status });
      const inFlight = this.inFlight();
      samples.push({ name: "scheduler_runs_in_flight", labels: "", value: inFlight });
      samples.push({ name: "scheduler_max_in_flight", labels: "", value: maxInFlight(tenant) });
      return renderMetrics(tenant.id, samples);
    });
  }

  // ---- queue surface (called by consumers of this Worker, never by clients) ----

  /** Starts the attempts whose messages are current; duplicates and stale messages get nothing. */
  async claimRuns(claims: ClaimRequest[], workerId: string | null): Promise<ClaimResponse> {
    return this.internalCall(() => {
      const tenant = this.tenants.get();
      if (!tenant) return { claimed: [], signing_secrets: [] };
      const now = Date.now();
      const lifecycle = this.lifecycle;
      if (tenant.suspended) {
        // Suspension is a kill switch: queued runs go back to waiting instead of executing.
        this.transaction(() => {
          for (const c of claims) lifecycle.attempts.recall(c, now);
        });
        return { claimed: [], signing_secrets: [] };
      }
      const claimed = this.transaction(() =>
        claims.map((c) => lifecycle.attempts.claim(c, now, workerId)).filter((c) => c !== null),
      );
      return { claimed, signing_secrets: this.tenants.signingSecrets(now) };
    });
  }

  async reportResults(results: AttemptResult[]): Promise<void> {
    await this.internalCall(() => {
      if (!this.tenants.get()) return;
      const now = Date.now();
      const lifecycle = this.lifecycle;
      this.transaction(() => {
        for (const result of results) lifecycle.attempts.report(result, now);
      });
    });
  }

  /**
   * Messages the queue dead-lettered. Only a run still queued for that very attempt is affected
   * (one failed attempt, see `AttemptLifecycle.undeliverable`); a run that moved on, in particular one
   * whose attempt is running after a re-send, is left alone.
   */
  async markUndeliverable(
    messages: { run_id: string; attempt: number; reason: string }[],
  ): Promise<void> {
    await this.internalCall(() => {
      if (!this.tenants.get()) return;
      const now = Date.now();
      const lifecycle = this.lifecycle;
      this.transaction(() => {
        for (const m of messages) {
          const run = this.runs.get(m.run_id);
          if (run?.status === "queued" && run.attempt + 1 === m.attempt)
            lifecycle.attempts.undeliverable(run, now, m.reason);
        }
      });
    });
  }

  // ---- the clock ----

  override async alarm(): Promise<void> {
    if (!this.initialized) return;
    const tenant = this.tenants.get();
    if (!tenant) return;
    let more = false;
    try {
      if (!tenant.suspended) more = await this.dispatchDue(Date.now(), maxInFlight(tenant));
    } finally {
      await this.settle("alarm", true, more);
    }
  }

  /** One bounded round: expire leases, turn due jobs into runs, send ready runs. Returns whether more is due. */
  private async dispatchDue(now: number, maxInFlight: number): Promise<boolean> {
    const lifecycle = this.lifecycle;
    const expired = this.runs.expiredLeases(now, ALARM_BATCH);
    const due = this.jobs.due(now, ALARM_BATCH);
    const { pruned, messages, sendable } = this.transaction(() => {
      for (const run of expired) lifecycle.attempts.expireLease(run, now);
      // Capacity after the expiries: waiting runs and the round's new runs share it (send-budget.ts).
      const capacity = this.sendCapacity(maxInFlight);
      const ready =
        capacity > 0 ? this.runs.readyToDispatch(now, capacity, this.lowestSendableRank()) : [];
      const budget = new SendBudget(capacity, ready, this.lowestSendableRank());
      for (const job of due) this.materializeIsolated(lifecycle, job, now, budget);
      const waiting = lifecycle.dispatch.markQueued(budget.readyToSend(), now);
      this.pruneIdempotencyKeys(now);
      return {
        pruned: this.runs.pruneFinished(this.retentionCutoff(now), ALARM_BATCH),
        messages: [...budget.messages, ...waiting],
        sendable: Math.min(capacity, ALARM_BATCH),
      };
    });
    const unsent = await sendRunMessages(runQueues(this.env), messages);
    if (unsent.length) {
      logError("dispatch.send_failed", {
        tenant_id: this.tenants.require().id,
        count: unsent.length,
      });
      this.transaction(() => lifecycle.dispatch.unsend(unsent, Date.now() + 1000));
    }
    return (
      expired.length === ALARM_BATCH ||
      due.length === ALARM_BATCH ||
      pruned === ALARM_BATCH ||
      (messages.length === ALARM_BATCH && sendable === ALARM_BATCH)
    );
  }

  /**
   * Materializes one job inside a savepoint. A job whose schedule cannot be evaluated (bad stored
   * data, a cron-parser failure) is logged and tried again a minute later; without this, its error
   * would roll back the whole round and the alarm's retries would stall every job of the tenant.
   */
  private materializeIsolated(
    lifecycle: RunLifecycle,
    job: JobRow,
    now: number,
    budget: SendBudget,
  ): void {
    const counters = this.counters.snapshot();
    const mark = budget.mark();
    const leases = this.leases.begin();
    let committed = false;
    try {
      this.ctx.storage.transactionSync(() => lifecycle.occurrences.materialize(job, now, budget));
      committed = true;
    } catch (error) {
      this.counters.restore(counters);
      budget.rollback(mark);
      logError(
        "job.materialize_failed",
        { tenant_id: this.tenants.require().id, job_id: job.id },
        error,
      );
      this.jobs.save({ ...job, nextRunAt: now + MATERIALIZE_RETRY_MS });
    } finally {
      this.leases.end(leases, committed);
    }
  }

  /** The earliest moment something is due, or null when nothing is. */
  private nextWake(): number | null {
    const tenant = this.tenants.get();
    if (!tenant || tenant.suspended) return null;
    const oldestKey =
      this.db
        .select({ at: min(idempotencyKeys.createdAt) })
        .from(idempotencyKeys)
        .get()?.at ?? null;
    const candidates = [
      this.jobs.nextDueAt(),
      this.runs.nextLeaseExpiry(),
      this.runs.nextPruneAt(this.retentionMs()),
      oldestKey === null ? null : oldestKey + LIMITS.idempotencyTtlSeconds * 1000,
    ];
    if (this.sendCapacity(maxInFlight(tenant)) > 0) {
      candidates.push(this.runs.nextDispatchAt(this.lowestSendableRank()));
    }
    // Only deltas of writes are owed a flush: a read on an idle tenant must not cause a write.
    if (this.flushOwed) candidates.push(this.countersFlushedAt + COUNTER_FLUSH_MS);
    const times = candidates.filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }

  /** Sets the alarm to the earliest due moment (now, when a bounded round left work behind). */
  private async rearm(immediately = false): Promise<void> {
    const wake = immediately ? Date.now() : this.nextWake();
    const current = await this.ctx.storage.getAlarm();
    if (wake === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else if (current !== wake) {
      await this.ctx.storage.setAlarm(wake);
    }
  }

  /** Lost or stale alarms are a known Durable Object failure: every request checks and repairs it. */
  private async ensureAlarm(): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current < Date.now() - STALE_ALARM_MS) await this.rearm();
  }

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
    this.counters.add("scheduler_object_requests_total", { kind });
    this.counters.add(
      "scheduler_sqlite_rows_read_total",
      {},
      this.meter.rowsRead - this.reportedRows.read,
    );
    this.counters.add(
      "scheduler_sqlite_rows_written_total",
      {},
      this.meter.rowsWritten - this.reportedRows.written,
    );
    this.reportedRows = { read: this.meter.rowsRead, written: this.meter.rowsWritten };
    if (mutated) {
      this.flushCounters(Date.now());
      await this.rearm(immediately);
    } else {
      await this.ensureAlarm();
    }
  }

  /**
   * Writes buffered counter deltas at most once per `COUNTER_FLUSH_MS`: one upsert per changed key
   * for all the runs of that second instead of per transaction. Deltas only enter the buffer with
   * a committed change (a rolled-back transaction restores it). A crash loses at most the last
   * second's deltas: gauges are recomputed from the rows at start, monotonic counters undercount.
   */
  private flushCounters(now: number): void {
    if (!this.counters.pending()) return;
    if (now - this.countersFlushedAt < COUNTER_FLUSH_MS) {
      this.flushOwed = true;
      return;
    }
    this.ctx.storage.transactionSync(() => this.counters.flush(this.db));
    this.countersFlushedAt = now;
    this.flushOwed = false;
  }

  /**
   * Runs queued or running, from the transactional `scheduler_runs` gauge: six key lookups instead
   * of counting up to `max_in_flight` index rows on every request and alarm.
   */
  private inFlight(): number {
    let total = 0;
    for (const status of IN_FLIGHT_STATUSES) total += this.runsIn(status);
    return total;
  }

  private runsIn(status: RunStatus): number {
    let total = 0;
    for (const priority of PRIORITIES)
      total += this.counters.value(this.db, "scheduler_runs", { status, priority });
    return total;
  }

  /**
   * Strict priority under load: while runs of a priority wait in the queues, lower priorities are
   * not sent, so saturated consumers spend their capacity on the higher priority first.
   */
  private lowestSendableRank(): number {
    for (const priority of PRIORITIES) {
      if (this.counters.value(this.db, "scheduler_runs", { status: "queued", priority }) > 0)
        return PRIORITY_RANK[priority];
    }
    return PRIORITIES.length - 1;
  }

  /** How many runs one alarm round may send: the in-flight cap, the queued share, the batch bound. */
  private sendCapacity(maxInFlight: number): number {
    const queued = this.runsIn("queued");
    const running = this.runsIn("running");
    return Math.min(ALARM_BATCH, maxInFlight - queued - running, MAX_QUEUED_PER_TENANT - queued);
  }

  // ---- retention ----

  private retentionMs(): number {
    return TIERS[this.tenants.require().tier].run_retention_days * 24 * 3600 * 1000;
  }

  /** Finished runs older than this are pruned (with their attempts); counters keep their totals. */
  private retentionCutoff(now: number): number {
    return now - this.retentionMs();
  }

  private pruneIdempotencyKeys(now: number): void {
    const cutoff = now - LIMITS.idempotencyTtlSeconds * 1000;
    this.db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, cutoff)).run();
  }

  // ---- tier rules ----

  private assertTier(job: TieredJob, now: number, path = ""): void {
    const tenant = this.tenants.require();
    assertTierAllows(tenant.tier, TIERS[tenant.tier], job, now, path);
  }

  /**
   * Live jobs (active or paused) against the tier's quota, from the transactional jobs gauge;
   * `counted` of the `adding` jobs are already in the gauge (a reactivation inside the transaction).
   */
  private assertQuota(adding: number, counted = 0): void {
    const live =
      this.counters.value(this.db, "scheduler_jobs", { status: "active" }) +
      this.counters.value(this.db, "scheduler_jobs", { status: "paused" }) -
      counted;
    const tenant = this.tenants.require();
    assertJobQuota(tenant.tier, TIERS[tenant.tier], live, adding);
  }

  /** Over the tier's request rate: 429 with Retry-After. The bucket lives in memory (per object). */
  private assertRate(now: number): void {
    const perMinute = TIERS[this.tenants.require().tier].requests_per_minute;
    this.bucket ??= new TokenBucket(perMinute, now);
    const wait = this.bucket.take(now, perMinute);
    if (wait > 0) {
      throw new ProblemError({
        ...problem(429, `Over ${perMinute} requests a minute for this tenant; retry in ${wait} s.`),
        retry_after: wait,
      });
    }
  }

  // ---- plumbing ----

  /**
   * Runs `fn` atomically. Counter and gauge deltas it buffered, and lease changes, are dropped
   * when it rolls back (a kept delta would drift the gauges that quotas read); committed deltas
   * are written by `flushCounters`.
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
      if (error instanceof ProblemError) return { ok: false, problem: error.problem };
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
      this.assertRate(now);
      return fn();
    }, scope === "write");
  }

  private async internalCall<T>(fn: () => T): Promise<T> {
    try {
      return fn();
    } finally {
      await this.settle("rpc", true);
    }
  }
}

function maxInFlight(tenant: TenantRow): number {
  return tenant.maxInFlight ?? TIERS[tenant.tier].max_in_flight;
}

/** The `job.created` log line: ids, priority and schedule timing only (no target or body). */
function logJobCreated(tenantId: string, row: JobRow): void {
  log("job.created", {
    tenant_id: tenantId,
    job_id: row.id,
    priority: row.priority,
    status: row.status,
    schedule: row.schedule === null ? "now" : isCron(row.schedule) ? "cron" : "once",
    next_run_at: row.nextRunAt === null ? null : new Date(row.nextRunAt).toISOString(),
  });
}

function etagMatches(ifMatch: string, version: number): boolean {
  return ifMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === `"${version}"`);
}
