/**
 * The alarm's work: one bounded round (expire leases, turn due jobs into runs, send ready runs
 * within the tenant's capacity, prune), and the alarm itself, always set to the earliest moment
 * something is due.
 */
import { PRIORITIES, PRIORITY_RANK } from "../domain/priority";
import { TIERS } from "../domain/tiers";
import { logError } from "../observability/log";
import type { RunMessage } from "../queues/messages";
import { EXPRESS_SHARE, runQueues, sendRunMessages } from "./dispatch/run-queues";
import { SendBudget } from "./dispatch/send-budget";
import { type FlowAdmission, limitedOf } from "./flow/flow-admission";
import type { IdempotencyKeyStore } from "./jobs/idempotency-key-store";
import type { JobStore } from "./jobs/job-store";
import type { RunLifecycle } from "./lifecycle/run-lifecycle";
import type { Counters } from "./metrics/counters";
import type { RunGauges } from "./metrics/run-gauges";
import type { RunMemory } from "./runs/run-memory";
import type { RunStore } from "./runs/run-store";
import type { Database, Transaction } from "./storage/database";
import type { JobRow } from "./storage/schema";
import { maxInFlight, type TenantStore } from "./tenant/tenant-store";

/** The lane of the waiting-runs table that the queues take from (worker runs wait in their pool's). */
export const QUEUES_LANE = "";

/** Work per alarm is bounded; when more is due the alarm re-arms at once. */
const ALARM_BATCH = 100;
/**
 * At most this many of a tenant's runs wait in the shared queues at once (two consumer batches).
 * The rest wait in the object and are sent as consumers claim, so a tenant's burst delays other
 * tenants' messages by at most this many, whatever its in-flight cap.
 */
const MAX_QUEUED_PER_TENANT = 100;
/**
 * Freed send capacity wakes the alarm only once at most this many of the tenant's runs still wait
 * in the queues: consumers claim six at a time, and a round per claim would cost a round per six
 * runs; the half share left keeps consumers busy while the round refills it (decision 69).
 */
const REFILL_WHEN_QUEUED = MAX_QUEUED_PER_TENANT / 2;
/** A job whose materialization failed is tried again this much later. */
const MATERIALIZE_RETRY_MS = 60_000;
/** A stored alarm this far in the past is treated as lost and set again. */
const STALE_ALARM_MS = 30_000;

/** What the round works with, all owned by the object (tenant-scheduler.ts). */
export interface DispatchRoundParts {
  env: Env;
  storage: DurableObjectStorage;
  db: Database;
  counters: Counters;
  gauges: RunGauges;
  memory: RunMemory;
  tenants: TenantStore;
  jobs: JobStore;
  runs: RunStore;
  idempotencyKeys: IdempotencyKeyStore;
  lifecycle: RunLifecycle;
  admission: FlowAdmission;
  transaction: Transaction;
  /** When a run some waiting worker claim could take becomes ready (worker-operations.ts). */
  workerWake: () => number | null;
}

export class DispatchRound {
  constructor(private readonly parts: DispatchRoundParts) {}

  /** One bounded round: expire leases, turn due jobs into runs, send ready runs. Returns whether more is due. */
  async dispatchDue(now: number, maxInFlight: number): Promise<boolean> {
    const { runs, jobs, transaction } = this.parts;
    const { dispatch, attempts } = this.parts.lifecycle;
    const expired = runs.expiredLeases(now, ALARM_BATCH);
    const due = jobs.due(now, ALARM_BATCH);
    const { pruned, messages, sendable, express } = transaction(() => {
      for (const run of expired) attempts.expireLease(run, now);
      // After the expiries: waiting runs first (they are older), then the round's new runs, share
      // the capacity. Waiting runs of a lower priority than a due webhook job's wait a round.
      const queued = this.parts.gauges.runsIn("queued");
      const express = Math.max(0, EXPRESS_SHARE - queued);
      const capacity = this.sendCapacity(maxInFlight, queued);
      const lowest = this.lowestSendableRank();
      const dueRank = Math.min(
        ...due.filter((j) => j.target.type === "http").map((j) => j.priorityRank),
      );
      const waiting =
        capacity > 0
          ? this.sendWaiting(now, capacity, Math.min(lowest, dueRank))
          : { messages: [], rank: null };
      const budget = new SendBudget(
        capacity - waiting.messages.length,
        waiting.rank,
        lowest,
        this.parts.admission,
        now,
      );
      for (const job of due) this.materializeIsolated(job, now, budget);
      this.parts.idempotencyKeys.prune(now);
      return {
        pruned: runs.pruneFinished(this.retentionCutoff(now), ALARM_BATCH),
        messages: [...waiting.messages, ...budget.messages],
        sendable: Math.min(capacity, ALARM_BATCH),
        express,
      };
    });
    const unsent = await sendRunMessages(runQueues(this.parts.env), messages, express);
    if (unsent.length) {
      logError("dispatch.send_failed", {
        tenant_id: this.parts.tenants.require().id,
        count: unsent.length,
      });
      transaction(() => dispatch.unsend(unsent, Date.now() + 1000));
    }
    return (
      expired.length === ALARM_BATCH ||
      due.length === ALARM_BATCH ||
      pruned === ALARM_BATCH ||
      (messages.length === ALARM_BATCH && sendable === ALARM_BATCH)
    );
  }

  /**
   * Marks up to `capacity` waiting webhook runs queued: the highest priority that has any ready
   * (down to `maxRank`), keys in turn, oldest first inside a key, each only if its flow key and
   * destination admit it now. Each is started on its own, so the next one's limits see it.
   */
  private sendWaiting(
    now: number,
    capacity: number,
    maxRank: number,
  ): { messages: RunMessage[]; rank: number | null } {
    const { runs, admission, lifecycle } = this.parts;
    const messages: RunMessage[] = [];
    let rank: number | null = null;
    runs.pickWaiting(
      [QUEUES_LANE],
      now,
      capacity,
      maxRank,
      (run) => {
        if (admission.blockedBy(run, now) !== null) return "blocked";
        admission.admit(run, now);
        messages.push(...lifecycle.dispatch.markQueued([run], now));
        rank = run.priorityRank;
        return "taken";
      },
      true,
    );
    return { messages, rank };
  }

  /**
   * Materializes one job inside a savepoint. A job whose schedule cannot be evaluated (bad stored
   * data, a cron-parser failure) is logged and tried again a minute later; without this, its error
   * would roll back the whole round and the alarm's retries would stall every job of the tenant.
   */
  private materializeIsolated(job: JobRow, now: number, budget: SendBudget): void {
    const { counters, memory } = this.parts;
    const snapshot = counters.snapshot();
    const mark = budget.mark();
    const memoryMark = memory.begin();
    let committed = false;
    try {
      this.parts.storage.transactionSync(() =>
        this.parts.lifecycle.occurrences.materialize(job, now, budget),
      );
      committed = true;
    } catch (error) {
      counters.restore(snapshot);
      budget.rollback(mark);
      logError(
        "job.materialize_failed",
        { tenant_id: this.parts.tenants.require().id, job_id: job.id },
        error,
      );
      this.parts.jobs.save({ ...job, nextRunAt: now + MATERIALIZE_RETRY_MS });
    } finally {
      memory.end(memoryMark, committed);
    }
  }

  /** The earliest moment something is due, or null when nothing is. */
  nextWake(): number | null {
    const { tenants, jobs, runs } = this.parts;
    const tenant = tenants.get();
    if (!tenant || tenant.suspended) return null;
    const keyExpiry = this.parts.idempotencyKeys.nextExpiry();
    const candidates = [
      jobs.nextDueAt(),
      runs.nextLeaseExpiry(),
      runs.nextPruneAt(this.retentionMs()),
      keyExpiry,
    ];
    const queued = this.parts.gauges.runsIn("queued");
    if (this.sendCapacity(maxInFlight(tenant), queued) > 0 && queued <= REFILL_WHEN_QUEUED) {
      const now = Date.now();
      const { admission } = this.parts;
      candidates.push(
        runs.nextStartAt([QUEUES_LANE], this.lowestSendableRank(), (e) =>
          admission.startableAt(limitedOf(e), e.at, now),
        ),
      );
    }
    if (maxInFlight(tenant) - this.parts.gauges.inFlight() > 0)
      candidates.push(this.parts.workerWake());
    const flushAt = this.parts.counters.flushDueAt();
    if (flushAt !== null) candidates.push(flushAt);
    const times = candidates.filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }

  /** Sets the alarm to the earliest due moment (now, when a bounded round left work behind). */
  async rearm(immediately = false): Promise<void> {
    const { storage } = this.parts;
    const wake = immediately ? Date.now() : this.nextWake();
    const current = await storage.getAlarm();
    if (wake === null) {
      if (current !== null) await storage.deleteAlarm();
    } else if (current !== wake) {
      await storage.setAlarm(wake);
    }
  }

  /** Lost or stale alarms are a known Durable Object failure: every request checks and repairs it. */
  async ensureAlarm(): Promise<void> {
    const current = await this.parts.storage.getAlarm();
    if (current === null || current < Date.now() - STALE_ALARM_MS) await this.rearm();
  }

  /**
   * Strict priority under load: while runs of a priority wait in the queues, lower priorities are
   * not sent, so saturated consumers spend their capacity on the higher priority first.
   */
  private lowestSendableRank(): number {
    for (const priority of PRIORITIES) {
      if (this.parts.gauges.runsOf("queued", priority) > 0) return PRIORITY_RANK[priority];
    }
    return PRIORITIES.length - 1;
  }

  /** How many runs one alarm round may send: the in-flight cap, the queued share, the batch bound. */
  private sendCapacity(maxInFlight: number, queued = this.parts.gauges.runsIn("queued")): number {
    const running = this.parts.gauges.runsIn("running");
    return Math.min(ALARM_BATCH, maxInFlight - queued - running, MAX_QUEUED_PER_TENANT - queued);
  }

  private retentionMs(): number {
    return TIERS[this.parts.tenants.require().tier].run_retention_days * 24 * 3600 * 1000;
  }

  /** Finished runs older than this are pruned (with their attempts); counters keep their totals. */
  private retentionCutoff(now: number): number {
    return now - this.retentionMs();
  }
}
