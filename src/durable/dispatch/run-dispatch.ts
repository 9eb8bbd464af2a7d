/**
 * Runs handed to the queues: marked queued with their lease and turned into messages, or put back
 * to wait when their messages could not be sent. Sending itself happens after the commit
 * (dispatch-round.ts, run-queues.ts).
 */
import { LIMITS } from "../../domain/limits";
import type { RunMessage } from "../../queues/messages";
import type { JobStore } from "../jobs/job-store";
import type { RunLog } from "../runs/run-log";
import type { RunStore } from "../runs/run-store";
import type { JobRow, RunRow } from "../storage/schema";

/**
 * A sent run's lease is this + its job's timeout + the margin: time to be claimed, then to run.
 * Past it, a queued run is sent again (the message was lost) and a running one counts as failed.
 */
export const QUEUED_LEASE_MS = 120_000;
/** Added to a job's timeout for the attempt to report. */
export const RUNNING_LEASE_MARGIN_MS = 30_000;

/**
 * A claimed attempt's lease: its whole timeout from the claim, plus the margin to report. Set by
 * the claim, so an attempt claimed late in its send-time lease (its message waited long in a
 * queue) is never expired while its delivery runs (decision 71). The lease is not indexed, so
 * moving it costs no row beyond the claim's own write.
 */
export function runningLeaseEnd(claimedAt: number, timeoutSeconds: number): number {
  return claimedAt + timeoutSeconds * 1000 + RUNNING_LEASE_MARGIN_MS;
}

export class RunDispatch {
  constructor(
    private readonly tenantId: () => string,
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly runLog: RunLog,
  ) {}

  /**
   * Marks `ready` queued and returns their messages; the caller sends them after committing. The
   * lease set here covers the wait in the queue; the claim sets the attempt's own (runningLeaseEnd).
   */
  markQueued(ready: RunRow[], now: number): RunMessage[] {
    return ready.map((run) => {
      this.runs.transition(run, "queued", {
        dispatchAt: null,
        leaseExpiresAt: this.leaseFrom(now, this.jobs.forRun(run)),
      });
      return this.messageFor(run, now);
    });
  }

  /** A sent run's lease: time to be claimed, then the job's timeout and the margin to report. */
  leaseFrom(now: number, job: JobRow | undefined): number {
    const timeoutMs = (job?.timeoutSeconds ?? LIMITS.maxTimeoutSeconds) * 1000;
    return now + QUEUED_LEASE_MS + timeoutMs + RUNNING_LEASE_MARGIN_MS;
  }

  /** The message of a run just marked queued (its next attempt), with its debug line. */
  messageFor(run: RunRow, now: number): RunMessage {
    this.runLog.debug("run.dispatched", run, {
      attempt: run.attempt + 1,
      scheduled_for: new Date(run.scheduledFor).toISOString(),
    });
    return {
      tenant_id: this.tenantId(),
      run_id: run.id,
      job_id: run.jobId,
      attempt: run.attempt + 1,
      key: run.key,
      scheduled_for: run.scheduledFor,
      priority: run.priority,
      dispatched_at: now,
    };
  }

  /** Puts runs whose messages could not be sent back to waiting, to be sent again shortly. */
  unsend(messages: RunMessage[], retryAt: number): void {
    for (const message of messages) {
      const run = this.runs.get(message.run_id);
      if (run?.status === "queued" && run.attempt + 1 === message.attempt) {
        this.runs.transition(run, "pending", { dispatchAt: retryAt, leaseExpiresAt: null });
        this.runLog.info("run.unsent", run, {
          attempt: message.attempt,
          retry_at: new Date(retryAt).toISOString(),
        });
      }
    }
  }
}
