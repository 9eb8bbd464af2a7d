/**
 * What pull workers do with a tenant's object (claim, heartbeat, complete, fail, batched reports,
 * drain) and what the tenant sees of them (the worker list, per-pool metrics). Each change is one
 * transaction (a batch of reports: one per item).
 */
import type { RunView } from "../contract/run";
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
import { fail } from "../domain/problem";
import { type FlowAdmission, limitedOf } from "./flow/flow-admission";
import type { JobStore } from "./jobs/job-store";
import type { RunLifecycle } from "./lifecycle/run-lifecycle";
import type { Counters } from "./metrics/counters";
import type { AttemptStore } from "./runs/attempt-store";
import type { LeaseTable } from "./runs/lease-table";
import { RunLog } from "./runs/run-log";
import type { RunStore } from "./runs/run-store";
import type { Database, Transaction } from "./storage/database";
import type { RunRow } from "./storage/schema";
import { runView } from "./storage/views";
import type { Caller } from "./tenant/tenant-store";
import { PoolRuns } from "./workers/pool-runs";
import { WorkerAttempts, type WorkerReport } from "./workers/worker-attempts";
import { type ClientConnected, type PoolQueue, WorkerClaims } from "./workers/worker-claims";
import { WorkerRegistry } from "./workers/worker-registry";
import { WorkerReports } from "./workers/worker-reports";
import {
  assertClaimedBy,
  assertMayActAs,
  assertServesPools,
  claimedBy,
} from "./workers/worker-token-checks";

export interface WorkerOperationsParts {
  tenantId: () => string;
  /** Whether requests with token `tokenId` are still served (token not revoked, tenant not suspended). */
  admits: (tokenId: string) => boolean;
  db: Database;
  jobs: JobStore;
  runs: RunStore;
  attempts: AttemptStore;
  lifecycle: RunLifecycle;
  leases: LeaseTable;
  counters: Counters;
  admission: FlowAdmission;
  transaction: Transaction;
  /** How many more runs the tenant's in-flight cap allows now. */
  capacity: () => number;
}

export class WorkerOperations {
  readonly poolRuns: PoolRuns;
  private readonly registry: WorkerRegistry;
  private readonly attempts: WorkerAttempts;
  private readonly claims: WorkerClaims;
  private readonly reports: WorkerReports;

  constructor(private readonly parts: WorkerOperationsParts) {
    this.poolRuns = new PoolRuns(parts.db);
    this.registry = new WorkerRegistry(parts.db);
    this.attempts = new WorkerAttempts(
      parts.jobs,
      parts.runs,
      parts.attempts,
      parts.lifecycle.attempts,
      parts.leases,
      parts.counters,
      new RunLog(parts.tenantId),
      parts.lifecycle.graph,
    );
    this.reports = new WorkerReports(parts.runs, this.attempts, parts.transaction);
    this.claims = new WorkerClaims(
      this.poolQueue(),
      this.attempts,
      parts.transaction,
      parts.capacity,
      (claim) =>
        (this.registry.get(claim.workerId)?.draining ?? true) || !parts.admits(claim.tokenId),
    );
  }

  /**
   * Ready runs for the worker at once, or, when there are none and it asked to wait, a promise of
   * them (`waiting`): the caller re-arms the alarm for the waited pools before awaiting it.
   * Reports the claim carries are recorded first (each on its own), so the slots they free are
   * claimed in the same request; their answers come back with the runs.
   */
  claim(
    input: ClaimInput,
    caller: Caller,
    connected: ClientConnected,
  ): { answer: ClaimAnswer } | { waiting: Promise<ClaimAnswer> } {
    const now = Date.now();
    assertServesPools(caller, input.pools);
    const worker = this.parts.transaction(() => {
      if (caller.pools) assertMayActAs(caller, this.registry.get(input.worker_id));
      return this.registry.seen(input.worker_id, input.pools, now);
    });
    // Answered only to a claim that carried reports (older workers see the answer they knew).
    const reports = input.reports?.length
      ? { reports: this.reports.record(input.worker_id, input.reports, caller, now) }
      : {};
    if (worker.draining) return { answer: { runs: [], draining: true, ...reports } };
    const request = {
      workerId: input.worker_id,
      tokenId: caller.tokenId,
      pools: input.pools,
      max: input.max,
      leaseMs: input.lease_seconds * 1000,
    };
    const runs = this.claims.claim(request, now);
    if (runs.length || input.wait_seconds <= 0)
      return { answer: { runs, draining: false, ...reports } };
    const waited = this.claims.wait(request, input.wait_seconds * 1000, connected);
    return {
      waiting: waited.then((later) => ({
        runs: later,
        draining: this.registry.get(input.worker_id)?.draining ?? false,
        ...reports,
      })),
    };
  }

  /** Hands runs that became ready to waiting claims (after an alarm round). */
  serveWaiting(): Promise<void> {
    return this.claims.serve();
  }

  /** When a run of a pool some claim waits for may be taken (for the alarm), or null. */
  nextWake(): number | null {
    const pools = this.claims.waitedPools();
    return pools.size ? this.nextStartAt([...pools], Date.now()) : null;
  }

  heartbeatRun(runId: string, input: HeartbeatInput, caller: Caller): LeaseAnswer {
    const now = Date.now();
    return this.parts.transaction(() => {
      const run = this.workerRun(runId);
      assertClaimedBy(run, caller);
      this.registry.seen(input.worker_id, null, now);
      return this.attempts.heartbeat(run, input, now);
    });
  }

  /**
   * Renews the attempts the worker names in `held` (the runs it believes it executes), answering
   * each, with `cancel` when one is no longer its own (cancelled, expired, retried). Runs it does
   * not name are not renewed, even under its id: a restarted process that reuses the id does not
   * hold its dead incarnation's runs, which must expire and be retried. Attempts claimed with
   * another token are not renewed either.
   */
  heartbeatWorker(workerId: string, held: HeldAttempt[], caller: Caller): LeaseAnswer[] {
    const now = Date.now();
    const worker = this.registry.get(workerId);
    if (!worker) throw fail.notFound(`Worker ${workerId}`);
    assertMayActAs(caller, worker);
    return this.parts.transaction(() => {
      this.registry.seen(workerId, null, now);
      const answers = new Map<string, LeaseAnswer>();
      for (const item of held) {
        if (!answers.has(item.run_id))
          answers.set(item.run_id, this.heldAnswer(item, workerId, caller, now));
      }
      return [...answers.values()];
    });
  }

  complete(runId: string, input: CompleteInput, caller: Caller): RunView {
    return this.report(runId, { kind: "complete", ...input }, caller);
  }

  fail(runId: string, input: FailInput, caller: Caller): RunView {
    return this.report(runId, { kind: "fail", ...input }, caller);
  }

  /**
   * Several reports of worker `workerId` at once, answered each on its own: a stale, foreign or
   * unknown item is refused with its problem and the others are recorded. A worker never seen is
   * a 404 (it holds no attempt), and a token limited to pools may not report as a worker of other
   * pools (403); both refuse the whole request.
   */
  reportMany(workerId: string, items: ReportItem[], caller: Caller): ReportResult[] {
    const now = Date.now();
    const worker = this.registry.get(workerId);
    if (!worker) throw fail.notFound(`Worker ${workerId}`);
    assertMayActAs(caller, worker);
    this.parts.transaction(() => this.registry.seen(workerId, null, now));
    return this.reports.record(workerId, items, caller, now);
  }

  /**
   * The worker gets no new runs; claims it is waiting on answer at once. Any token of the tenant
   * may drain any worker, except that a token limited to pools drains only workers of its pools.
   */
  async drain(workerId: string, caller: Caller): Promise<WorkerView> {
    const now = Date.now();
    const row = this.parts.transaction(() => {
      assertMayActAs(caller, this.registry.get(workerId));
      return this.registry.drain(workerId);
    });
    await this.claims.serve();
    return this.registry.view(row, now, this.poolRuns.runningOf(workerId).length);
  }

  list(): WorkerView[] {
    const now = Date.now();
    const running = this.poolRuns.runningCounts();
    return this.registry.all().map((w) => this.registry.view(w, now, running.get(w.id) ?? 0));
  }

  /** Gauges for /v1/metrics: runs waiting per pool, workers by state. */
  gauges(): { name: string; labels: Record<string, string>; value: number }[] {
    const now = Date.now();
    const byState = { active: 0, draining: 0, stale: 0 };
    for (const worker of this.registry.all()) byState[this.registry.stateOf(worker, now)]++;
    return [
      ...[...this.parts.runs.waitingByLane()]
        .filter(([pool]) => pool !== "")
        .map(([pool, waiting]) => ({
          name: "scheduler_pool_runs_waiting",
          labels: { pool },
          value: waiting,
        })),
      ...Object.entries(byState).map(([state, value]) => ({
        name: "scheduler_workers",
        labels: { state },
        value,
      })),
    ];
  }

  private report(runId: string, report: WorkerReport, caller: Caller): RunView {
    const now = Date.now();
    return this.parts.transaction(() => {
      const run = this.workerRun(runId);
      assertClaimedBy(run, caller);
      this.registry.seen(report.worker_id, null, now);
      this.attempts.report(run, report, now);
      return runView(this.parts.runs.require(runId));
    });
  }

  /**
   * The runs of pools a claim takes: from the waiting-runs table, by priority, keys in turn and
   * age, each only when its flow key admits it now (the same check as for webhook runs).
   */
  private poolQueue(): PoolQueue {
    const { runs, admission } = this.parts;
    return {
      take: (pools, now, limit, start) => {
        runs.pickWaiting(pools, now, limit, 2, (run) => {
          if (admission.blockedBy(run, now) !== null) return "blocked";
          admission.admit(run, now);
          start(run);
          return "taken";
        });
      },
      hasReady: (pools, now) => {
        const at = this.nextStartAt(pools, now);
        return at !== null && at <= now;
      },
    };
  }

  /** When a run of `pools` may next be taken, as far as its dispatch time and limits go. */
  private nextStartAt(pools: readonly string[], now: number): number | null {
    const { runs, admission } = this.parts;
    return runs.nextStartAt(pools, 2, (e) => admission.startableAt(limitedOf(e), e.at, now));
  }

  /** Renews one attempt a worker heartbeat names, saving its checkpoint or progress if current. */
  private heldAnswer(
    held: HeldAttempt,
    workerId: string,
    caller: Caller,
    now: number,
  ): LeaseAnswer {
    const { run_id: runId, attempt } = held;
    const run = this.parts.runs.get(runId);
    const record = run?.attemptRecord;
    if (
      run &&
      record?.attempt === attempt &&
      record.outcome === "running" &&
      record.workerId === workerId &&
      claimedBy(run, caller)
    ) {
      return this.attempts.renew(this.attempts.save(run, held), record, now);
    }
    return {
      run_id: runId,
      attempt,
      lease_expires_at: null,
      cancel: true,
      cancel_reason: "not this worker's current attempt any more",
    };
  }

  /** A run of a worker target (404 for none, 409 for a webhook run). */
  private workerRun(runId: string): RunRow {
    const run = this.parts.runs.require(runId);
    if (run.pool === null) {
      throw fail.conflict(`Run ${runId} is delivered by webhook; workers cannot report on it.`);
    }
    return run;
  }
}
