/**
 * TenantScheduler: one Durable Object per tenant. It holds the tenant's settings, token hashes,
 * jobs and runs in SQLite, and its alarm is the tenant's clock: it always equals the earliest
 * moment something is due (a job, a run, a retry, a lease expiry). Its public surface is typed RPC;
 * problems come back as values (`Outcome`), never as thrown errors. Each method delegates to a
 * module (job-operations, run-operations, worker-operations, dispatch-round) and ends in `settle`;
 * the wiring, transactions and `settle` are in tenant-object.ts.
 */

import type {
  DestinationView,
  FlowKeyView,
  FlowLimitsInput,
  FlowListQuery,
  TriggerInput,
} from "../contract/flow";
import type { JobInput, JobListQuery, JobPatch, JobView } from "../contract/job";
import type { RunDetailView, RunListQuery, RunView } from "../contract/run";
import type { StatsWindow } from "../contract/stats";
import type {
  CreatedTenant,
  IssuedToken,
  TenantPatch,
  TenantUsage,
  TenantView,
  TokenScope,
} from "../contract/tenant";
import type {
  ClaimAnswer,
  ClaimInput,
  CompleteInput,
  FailInput,
  HeartbeatInput,
  HeldAttempt,
  LeaseAnswer,
  WorkerView,
} from "../contract/worker";
import type { ReportItem, ReportResult } from "../contract/worker-reports";
import { fail, type Outcome } from "../domain/problem";
import type { TierName } from "../domain/tiers";
import type { AttemptResult, ClaimRequest, ClaimResponse } from "../queues/messages";
import { flowGaugesOf } from "./metrics/flow-gauges";
import { renderTenantMetrics } from "./metrics/metrics";
import type { MinutePoint } from "./metrics/minute-stats";
import { applyMigrations } from "./storage/database";
import { iso, type Page, tenantView } from "./storage/views";
import { type Credential, maxInFlight } from "./tenant/tenant-store";
import { tenantUsage } from "./tenant/tenant-usage";
import { TenantObject } from "./tenant-object";

export class TenantScheduler extends TenantObject {
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

  /** Jobs by status, runs in flight, waiting and dead, 429s in the last hour. */
  async getTenantUsage(): Promise<Outcome<TenantUsage>> {
    return this.adminCall(() => {
      const { db, counters, gauges, minuteStats } = this;
      return tenantUsage(this.tenants.require(), { db, counters, gauges, minuteStats }, Date.now());
    });
  }

  async updateTenant(patch: TenantPatch): Promise<Outcome<TenantView>> {
    return this.adminCall(() => tenantView(this.tenants.update(patch, Date.now())), true);
  }

  /** Issues a token; a worker token may be limited to `pools` (null: every pool). */
  async issueToken(
    scope: TokenScope,
    pools: string[] | null = null,
  ): Promise<Outcome<IssuedToken>> {
    return this.adminCall(() => this.tenants.issueToken(scope, pools, Date.now()));
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

  /**
   * Checks a credential whatever its scope, without counting a request: the Worker asks this
   * before it reads the body of a request whose token it cannot verify itself (a token issued
   * before signed tokens, accepted while ACCEPT_UNTAGGED_TOKENS is on).
   */
  async checkToken(credential: Credential): Promise<Outcome<null>> {
    return this.outcome(async () => {
      if (!this.initialized) throw fail.unauthorized("The token is unknown or revoked.");
      await this.tenants.authenticate(credential, "any");
      return null;
    }, false);
  }

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

  /** Cancels a job: no further runs; its runs in progress end cancelled (a running attempt finishes without effect). */
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

  /** Runs the job once now, whatever its schedule and overlap policy (optionally under another flow key). */
  async triggerJob(
    credential: Credential,
    id: string,
    input: TriggerInput = {},
  ): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "write", () => this.jobOperations.trigger(id, input));
  }

  async previewJob(
    credential: Credential,
    id: string,
    count: number,
  ): Promise<Outcome<{ fire_times: string[]; timezone: string; task_order?: string[] }>> {
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

  /**
   * The tenant's metrics as Prometheus text: the counters table, worker gauges, and flow-control
   * gauges of its top keys and destinations (flow-gauges.ts).
   */
  async metrics(credential: Credential): Promise<Outcome<string>> {
    return this.tenantCall(credential, "read", () => {
      const tenant = this.tenants.require();
      const samples = this.counters.read(this.db);
      return renderTenantMetrics(tenant.id, samples, {
        inFlight: this.gauges.inFlight(),
        maxInFlight: maxInFlight(tenant),
        gauges: [
          ...this.workers.gauges(),
          ...flowGaugesOf(this.memory.usage, this.flowLimits, (kind, name) =>
            this.admission.usageOf(kind, name, Date.now()),
          ),
        ],
      });
    });
  }

  /** Runs finished per minute by status and first-attempt fire lag, for the last hour or day. */
  async minuteStatsOf(
    credential: Credential,
    window: StatsWindow,
  ): Promise<Outcome<{ window: StatsWindow; minutes: MinutePoint[] }>> {
    return this.tenantCall(credential, "read", () => {
      const now = Date.now();
      const from = now - (window === "day" ? 24 * 3600_000 : 3600_000) + 60_000;
      return { window, minutes: this.minuteStats.series(this.db, from, now) };
    });
  }

  // ---- flow control (limits per flow key and destination host) ----

  async getFlowKey(credential: Credential, key: string): Promise<Outcome<FlowKeyView>> {
    return this.tenantCall(credential, "read", () => this.flowOperations.getKey(key));
  }

  async listFlowKeys(
    credential: Credential,
    query: FlowListQuery,
  ): Promise<Outcome<Page<FlowKeyView>>> {
    return this.tenantCall(credential, "read", () => this.flowOperations.listKeys(query));
  }

  /** Sets a flow key's limits; runs waiting for it are judged by them from the next admission. */
  async putFlowKey(
    credential: Credential,
    key: string,
    limits: FlowLimitsInput,
  ): Promise<Outcome<FlowKeyView>> {
    return this.tenantCall(credential, "write", () => {
      this.flowOperations.put("key", key, limits);
      return this.flowOperations.getKey(key);
    });
  }

  async deleteFlowKey(credential: Credential, key: string): Promise<Outcome<null>> {
    return this.tenantCall(credential, "write", () => {
      this.flowOperations.remove("key", key);
      return null;
    });
  }

  async getDestination(credential: Credential, host: string): Promise<Outcome<DestinationView>> {
    return this.tenantCall(credential, "read", () => this.flowOperations.getDestination(host));
  }

  async listDestinations(
    credential: Credential,
    query: FlowListQuery,
  ): Promise<Outcome<Page<DestinationView>>> {
    return this.tenantCall(credential, "read", () => this.flowOperations.listDestinations(query));
  }

  async putDestination(
    credential: Credential,
    host: string,
    limits: FlowLimitsInput,
  ): Promise<Outcome<DestinationView>> {
    return this.tenantCall(credential, "write", () => {
      this.flowOperations.put("destination", host, limits);
      return this.flowOperations.getDestination(host);
    });
  }

  async deleteDestination(credential: Credential, host: string): Promise<Outcome<null>> {
    return this.tenantCall(credential, "write", () => {
      this.flowOperations.remove("destination", host);
      return null;
    });
  }

  // ---- pull workers (scope `worker` or `write`) ----

  /**
   * Ready runs of the worker's pools; with `wait_seconds`, waits for some (long poll), and before
   * handing runs to a waiting claim asks `connected` (a function of the Worker holding the
   * request) whether its client is still there.
   */
  async claimForWorker(
    credential: Credential,
    input: ClaimInput,
    connected: () => boolean | Promise<boolean> = () => true,
  ): Promise<Outcome<ClaimAnswer>> {
    return this.tenantCall(credential, "worker", async (caller) => {
      const claim = this.workers.claim(input, caller, connected);
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
    return this.tenantCall(credential, "worker", (caller) =>
      this.workers.heartbeatRun(runId, input, caller),
    );
  }

  async heartbeatWorker(
    credential: Credential,
    workerId: string,
    held: HeldAttempt[],
  ): Promise<Outcome<LeaseAnswer[]>> {
    return this.tenantCall(credential, "worker", (caller) =>
      this.workers.heartbeatWorker(workerId, held, caller),
    );
  }

  async completeRun(
    credential: Credential,
    runId: string,
    input: CompleteInput,
  ): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "worker", (caller) =>
      this.workers.complete(runId, input, caller),
    );
  }

  async failRun(
    credential: Credential,
    runId: string,
    input: FailInput,
  ): Promise<Outcome<RunView>> {
    return this.tenantCall(credential, "worker", (caller) =>
      this.workers.fail(runId, input, caller),
    );
  }

  /** Several reports of one worker at once, answered each on its own. */
  async reportRuns(
    credential: Credential,
    workerId: string,
    reports: ReportItem[],
  ): Promise<Outcome<ReportResult[]>> {
    return this.tenantCall(credential, "worker", (caller) =>
      this.workers.reportMany(workerId, reports, caller),
    );
  }

  async drainWorker(credential: Credential, workerId: string): Promise<Outcome<WorkerView>> {
    return this.tenantCall(credential, "worker", (caller) => this.workers.drain(workerId, caller));
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
        await this.workers.serveWaiting();
      }
    } finally {
      await this.settle("alarm", true, more);
    }
  }
}
