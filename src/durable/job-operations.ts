/**
 * What a tenant can do with its jobs: create (idempotent), create in a batch, list, read, update,
 * cancel, pause, resume, trigger and preview; new and changed jobs are checked against the
 * tenant's tier and job quota.
 */

import type { TriggerInput } from "../contract/flow";
import type { JobInput, JobListQuery, JobPatch, JobView } from "../contract/job";
import type { RunView } from "../contract/run";
import { topologicalOrder } from "../contract/task";
import { DEFAULTS } from "../domain/limits";
import { fail } from "../domain/problem";
import { isCron, previewFireTimes } from "../domain/schedule";
import { sha256Hex } from "../domain/secrets";
import { assertJobQuota, assertTierAllows, type TieredJob } from "../domain/tier-rules";
import { TIERS } from "../domain/tiers";
import { log } from "../observability/log";
import { graphOf } from "./graphs/task-graph";
import type { IdempotencyKeyStore } from "./jobs/idempotency-key-store";
import type { JobStore } from "./jobs/job-store";
import type { RunLifecycle } from "./lifecycle/run-lifecycle";
import type { Transaction } from "./storage/database";
import type { JobRow } from "./storage/schema";
import { iso, type Page, runView } from "./storage/views";
import type { TenantStore } from "./tenant/tenant-store";

export class JobOperations {
  constructor(
    private readonly tenants: TenantStore,
    private readonly jobs: JobStore,
    private readonly idempotencyKeys: IdempotencyKeyStore,
    private readonly lifecycle: RunLifecycle,
    private readonly transaction: Transaction,
  ) {}

  /** Creates a job; a reused Idempotency-Key returns the job it made (409 for another body). */
  async create(
    input: JobInput,
    idempotencyKey: string | null,
  ): Promise<{ job: JobView; replayed: boolean }> {
    const now = Date.now();
    const requestHash = idempotencyKey ? await sha256Hex(JSON.stringify(input)) : "";
    return this.transaction(() => {
      if (idempotencyKey) {
        const seen = this.idempotencyKeys.find(idempotencyKey);
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
        this.idempotencyKeys.insert({
          key: idempotencyKey,
          requestHash,
          jobId: row.id,
          createdAt: now,
        });
      }
      logJobCreated(this.tenants.require().id, row);
      return { job: this.jobs.view(row), replayed: false };
    });
  }

  /** Creates all jobs or none: every row is built (and checked) before the first insert. */
  createMany(inputs: JobInput[]): JobView[] {
    const now = Date.now();
    const rows = inputs.map((input, i) => {
      this.assertTier(input, now, `jobs[${i}].`);
      return this.jobs.build(input, now, `jobs[${i}].`);
    });
    this.assertQuota(rows.filter((r) => r.status === "active").length);
    this.transaction(() => this.jobs.insertMany(rows));
    const tenantId = this.tenants.require().id;
    // One line per batch, with the id range rather than every id: a batch's ids are consecutive.
    log("jobs.created", {
      tenant_id: tenantId,
      count: rows.length,
      first_job_id: rows[0]?.id,
      last_job_id: rows.at(-1)?.id,
    });
    return rows.map((row) => this.jobs.view(row));
  }

  list(query: JobListQuery): Page<JobView> {
    const { rows, nextCursor } = this.jobs.list(query);
    return { data: this.jobs.views(rows), next_cursor: nextCursor };
  }

  get(id: string): JobView {
    return this.jobs.view(this.jobs.require(id));
  }

  /** Applies a patch; `ifMatch` (an If-Match header) must name the job's current version. */
  update(id: string, patch: JobPatch, ifMatch: string | null): JobView {
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
      if (patch.schedule !== undefined) this.lifecycle.occurrences.rescheduled(job);
      if (patch.target !== undefined || patch.flow_key !== undefined)
        this.lifecycle.control.retarget(changed, job, now);
      // The patch already moved the jobs gauge: the reactivated job is counted once, not twice.
      if (job.status === "completed" && changed.status === "active") this.assertQuota(1, 1);
      return this.jobs.view(changed);
    });
  }

  /** Cancels a job: no further runs; its runs in progress are cancelled (a running attempt finishes, without effect). */
  cancel(id: string): JobView {
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
      this.lifecycle.control.cancelActive(cancelled, now, "job cancelled");
      return this.jobs.view(cancelled);
    });
  }

  /** Pauses a job: no further runs, and its waiting runs are held back. */
  pause(id: string): JobView {
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
  }

  /** Resumes a paused job; occurrences missed meanwhile follow its catch-up window. */
  resume(id: string): JobView {
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
      this.lifecycle.control.resume(resumed, now);
      return this.jobs.view(resumed);
    });
  }

  /** Runs the job once now, whatever its schedule and overlap policy (under `flowKey`, if given). */
  trigger(id: string, input: TriggerInput = {}): RunView {
    const job = this.jobs.require(id);
    if (job.status === "cancelled") throw fail.conflict(`Job ${id} is cancelled.`);
    return this.transaction(() =>
      runView(this.lifecycle.occurrences.trigger(job, Date.now(), input.flow_key)),
    );
  }

  /** The job's next `count` fire times (none for a cancelled or finished job). */
  preview(
    id: string,
    count: number,
  ): { fire_times: string[]; timezone: string; task_order?: string[] } {
    const job = this.jobs.require(id);
    const graph = graphOf(job);
    return {
      ...this.fireTimes(job, count),
      ...(graph ? { task_order: topologicalOrder(graph) } : {}),
    };
  }

  private fireTimes(job: JobRow, count: number): { fire_times: string[]; timezone: string } {
    const timezone = isCron(job.schedule)
      ? (job.schedule.timezone ?? DEFAULTS.timezone)
      : DEFAULTS.timezone;
    if (job.nextRunAt === null || job.status === "cancelled") return { fire_times: [], timezone };
    const times = isCron(job.schedule)
      ? previewFireTimes(job.schedule, job.nextRunAt - 1, count)
      : [job.nextRunAt];
    return { fire_times: times.map(iso), timezone };
  }

  private assertTier(
    job: TieredJob & { tasks?: { priority?: TieredJob["priority"] }[] | undefined },
    now: number,
    path = "",
  ): void {
    const tenant = this.tenants.require();
    assertTierAllows(tenant.tier, TIERS[tenant.tier], job, now, path);
    job.tasks?.forEach((task, i) => {
      assertTierAllows(tenant.tier, TIERS[tenant.tier], task, now, `${path}tasks[${i}].`);
    });
  }

  /**
   * Live jobs (active or paused) against the tier's quota, from the transactional jobs gauge;
   * `counted` of the `adding` jobs are already in the gauge (a reactivation inside the transaction).
   */
  private assertQuota(adding: number, counted = 0): void {
    const live = this.jobs.liveCount() - counted;
    const tenant = this.tenants.require();
    assertJobQuota(tenant.tier, TIERS[tenant.tier], live, adding);
  }
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

/** Whether an If-Match header names `version` (or is `*`); weak tags compare as strong. */
function etagMatches(ifMatch: string, version: number): boolean {
  return ifMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === `"${version}"`);
}
