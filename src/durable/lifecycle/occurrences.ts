/**
 * Occurrences becoming runs: a due job's schedule (catch-up window, missed runs, coalescing), the
 * job's overlap policy for each run, and manual triggers. Synchronous SQLite changes; callers wrap
 * them in transactions.
 */
import { DEFAULTS, LIMITS } from "../../domain/limits";
import { isCron, nextCronTime, previousCronTime } from "../../domain/schedule";
import type { RunDispatch } from "../dispatch/run-dispatch";
import type { SendBudget } from "../dispatch/send-budget";
import type { TaskGraph } from "../graphs/task-graph";
import type { JobStore } from "../jobs/job-store";
import type { RunLog } from "../runs/run-log";
import { destinationOf, type RunStore } from "../runs/run-store";
import type { JobRow, RunRow } from "../storage/schema";
import type { RunControl } from "./run-control";

/**
 * Lateness an occurrence may have before its catch-up window starts counting. An alarm fires a few
 * milliseconds after its time, and bounded rounds of a large burst a few seconds after; none of
 * that is a miss, so `catchup_window_seconds: 0` means "only when on time", not "never".
 */
export const CATCHUP_GRACE_MS = 5_000;
/** At most this many `missed` runs are recorded per job in one catch-up. */
export const MAX_MISSED_RECORDED = 100;

export class Occurrences {
  constructor(
    private readonly jobs: JobStore,
    private readonly runs: RunStore,
    private readonly control: RunControl,
    private readonly dispatch: RunDispatch,
    private readonly runLog: RunLog,
    private readonly graph: TaskGraph,
  ) {}

  /**
   * Turns a due job into runs and advances it. Occurrences later than the catch-up window (plus
   * the grace) are recorded as `missed`; of those inside it only the latest runs (coalesced).
   */
  materialize(job: JobRow, now: number, budget?: SendBudget): void {
    const first = job.nextRunAt;
    if (first === null || first > now) return;
    const windowStart = now - job.catchupWindowSeconds * 1000 - CATCHUP_GRACE_MS;
    let lastRunId = job.lastRunId;
    // A one-time job's run is named by the job (`last_run_id`) instead of a `runs_by_job` entry.
    const occur = (at: number, kind: "run" | "missed") => {
      const once = !isCron(job.schedule);
      lastRunId = this.occur({ ...job, lastRunId }, at, kind, now, once, budget)?.id ?? lastRunId;
    };
    if (!isCron(job.schedule)) {
      occur(first, first < windowStart ? "missed" : "run");
      this.jobs.advance(this.current(job), { status: "completed", nextRunAt: null, lastRunId });
      return;
    }
    const { cron } = job.schedule;
    const timezone = job.schedule.timezone ?? DEFAULTS.timezone;
    let occurrence: number | null = first;
    for (
      let missed = 0;
      occurrence !== null && occurrence < windowStart && missed < MAX_MISSED_RECORDED;
      missed++
    ) {
      occur(occurrence, "missed");
      occurrence = nextCronTime(cron, timezone, occurrence);
    }
    // Occurrences still before the window are not recorded one by one, and those inside it are
    // coalesced into the latest one, which runs.
    let latest = previousCronTime(cron, timezone, now + 1);
    // A job created inside a repeated fall-back hour, after its time's first instance, was given
    // the second instance; previousCronTime answers the first (the rule for fixed hours), so the
    // sequence's own due occurrence is the one to run.
    if (occurrence !== null && occurrence <= now && (latest === null || latest < occurrence))
      latest = occurrence;
    if (occurrence !== null && latest !== null && latest >= Math.max(occurrence, windowStart))
      occur(latest, "run");
    // The next occurrence of the sequence, not "the next after now": after a late alarm inside a
    // repeated fall-back hour, the latter would be the repeat the sequence skips.
    const following = nextCronTime(cron, timezone, latest ?? now);
    const fresh = this.current(job);
    const status = following === null ? "completed" : fresh.status;
    this.jobs.advance(fresh, { status, nextRunAt: following, lastRunId });
  }

  /**
   * The job's schedule changed: its next occurrence (one-time again, or cron) will be its last run,
   * so a run it named so far gets its `runs_by_job` entry now. A trigger does the same (below);
   * nothing else changes a one-time job's last run, so the alarm's rounds never have to.
   */
  rescheduled(job: JobRow): void {
    this.runs.releaseNamed(job.lastRunId);
  }

  private current(job: JobRow): JobRow {
    return this.jobs.get(job.id) ?? job;
  }

  /** Creates the run of one occurrence, applying the job's overlap policy. */
  private occur(
    job: JobRow,
    scheduledFor: number,
    kind: "run" | "missed",
    now: number,
    namedByJob: boolean,
    budget?: SendBudget,
  ): RunRow | undefined {
    const occurrence = { scheduledFor, trigger: "schedule", namedByJob } as const;
    if (kind === "missed")
      return this.logCreated(
        this.runs.create(job, { ...occurrence, status: "missed", dispatchAt: null }, now),
      );
    const active = this.runs.activeOfJob(job.id);
    if (active.length >= LIMITS.maxActiveRunsPerJob) {
      return this.logCreated(
        this.runs.create(
          job,
          { ...occurrence, status: "skipped", dispatchAt: null },
          now,
          `the job has ${active.length} runs in progress (at most ${LIMITS.maxActiveRunsPerJob})`,
        ),
      );
    }
    let dispatchAt: number | null = scheduledFor;
    if (active.length > 0) {
      switch (job.overlap) {
        case "skip":
          return this.logCreated(
            this.runs.create(job, { ...occurrence, status: "skipped", dispatchAt: null }, now),
          );
        case "buffer_one":
          if (active.some((r) => r.status === "pending" && r.dispatchAt === null)) {
            return this.logCreated(
              this.runs.create(job, { ...occurrence, status: "skipped", dispatchAt: null }, now),
            );
          }
          dispatchAt = null;
          break;
        case "cancel_other":
          for (const run of active)
            this.control.cancel(
              run,
              now,
              "superseded by a newer run (overlap cancel_other)",
              false,
            );
          break;
        case "allow":
          break;
      }
    }
    // A graph occurrence starts at once (its tasks are created with it) unless buffered.
    if (job.target.type === "graph") {
      const status = dispatchAt === null ? "pending" : "running";
      const run = this.runs.create(job, { ...occurrence, status, dispatchAt: null }, now);
      if (run?.status === "running") this.graph.start(run, job, now);
      return this.logCreated(run);
    }
    // A webhook run that fits the round's send capacity is born queued; a worker run waits for a claim.
    const forQueues = job.target.type === "http";
    const limited = { flowKey: job.flowKey, destination: destinationOf(job) };
    if (
      forQueues &&
      dispatchAt !== null &&
      dispatchAt <= now &&
      budget?.admits(job.priorityRank, limited)
    ) {
      const run = this.runs.create(
        job,
        {
          ...occurrence,
          status: "queued",
          dispatchAt: null,
          leaseExpiresAt: this.dispatch.leaseFrom(now, job),
        },
        now,
      );
      if (run) budget.admitted(run, this.dispatch.messageFor(run, now));
      return this.logCreated(run);
    }
    return this.logCreated(
      this.runs.create(job, { ...occurrence, status: "pending", dispatchAt }, now),
    );
  }

  /** Logs a new run: `run.created`, or `run.missed` / `run.skipped` for one born final. */
  private logCreated(run: RunRow | undefined): RunRow | undefined {
    if (!run) return run;
    const routine = run.status === "pending" || run.status === "queued" || run.status === "running";
    const event = routine ? "run.created" : `run.${run.status}`;
    this.runLog.write(
      event,
      run,
      {
        trigger: run.trigger,
        scheduled_for: new Date(run.scheduledFor).toISOString(),
        ...(run.lastError ? { reason: run.lastError } : {}),
      },
      routine ? "debug" : "info",
    );
    return run;
  }

  /**
   * A manual run of `job`, sent now whatever the overlap policy (an explicit request), under the
   * job's flow key or the one given for this run.
   */
  trigger(job: JobRow, now: number, flowKey?: string | null): RunRow {
    this.control.assertRoomForRun(job);
    const graph = job.target.type === "graph";
    const run = this.runs.create(
      job,
      {
        scheduledFor: now,
        trigger: "manual",
        status: graph ? "running" : "pending",
        dispatchAt: now,
        ...(flowKey !== undefined ? { flowKey } : {}),
      },
      now,
    ) as RunRow;
    if (graph) this.graph.start(run, job, now);
    this.runs.releaseNamed(job.lastRunId);
    this.jobs.save({ ...job, lastRunId: run.id });
    this.logCreated(run);
    return run;
  }
}
