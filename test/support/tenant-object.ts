/** Direct access to a tenant's object for tests that simulate time passing or a dead consumer. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { JobStore } from "../../src/durable/jobs/job-store";
import type { RunLifecycle } from "../../src/durable/lifecycle/run-lifecycle";
import type { RunStore } from "../../src/durable/runs/run-store";
import type { RunMessage } from "../../src/queues/messages";

export function schedulerStub(tenantId: string) {
  return env.TENANT_SCHEDULER.get(env.TENANT_SCHEDULER.idFromName(tenantId));
}

/** Runs SQL inside the tenant's object (to move stored times into the past). */
export function sqlIn(
  tenantId: string,
  query: string,
  ...bindings: unknown[]
): Promise<Record<string, unknown>[]> {
  return runInDurableObject(schedulerStub(tenantId), (_instance, state) =>
    state.storage.sql.exec(query, ...bindings).toArray(),
  );
}

/** Fires the tenant's alarm now, as if its time had come. */
export function fireAlarm(tenantId: string): Promise<boolean> {
  return runDurableObjectAlarm(schedulerStub(tenantId));
}

/** What tests reach inside the object for: its stores, lifecycle and row meter (private in src). */
export interface SchedulerInternals {
  meter: { rowsRead: number; rowsWritten: number; flush(): void };
  runs: RunStore;
  jobs: JobStore;
  lifecycle: RunLifecycle;
  transaction<T>(fn: () => T): T;
}

/** Runs `fn` inside the tenant's object with its internals, as the object's own code would. */
export function insideScheduler<T>(
  tenantId: string,
  fn: (internals: SchedulerInternals, state: DurableObjectState) => T | Promise<T>,
): Promise<T> {
  return runInDurableObject(schedulerStub(tenantId), (instance, state) =>
    fn(instance as unknown as SchedulerInternals, state),
  );
}

/** SQLite rows read by `fn` inside the object (what the overlap check or a list costs). */
export function rowsReadBy(internals: SchedulerInternals, fn: () => unknown): number {
  internals.meter.flush();
  const before = internals.meter.rowsRead;
  fn();
  internals.meter.flush();
  return internals.meter.rowsRead - before;
}

/**
 * Starts a manual run of each job and marks it queued, returning the queue messages without
 * sending them: the test delivers them itself (to a consumer, or to the dead-letter consumer).
 */
export function queueWithoutSending(tenantId: string, jobIds: string[]): Promise<RunMessage[]> {
  return insideScheduler(tenantId, (s) => {
    const now = Date.now();
    return s.transaction(() => {
      const runs = jobIds.map((id) => s.lifecycle.occurrences.trigger(s.jobs.require(id), now));
      return s.lifecycle.dispatch.markQueued(runs, now);
    });
  });
}

/** Moves a sent run's lease into the past, as time would (stored row and the object's table). */
export function expireLease(tenantId: string, runId: string): Promise<void> {
  return insideScheduler(tenantId, (s) => {
    s.transaction(() => s.runs.patch(s.runs.require(runId), { leaseExpiresAt: Date.now() - 1 }));
  });
}
