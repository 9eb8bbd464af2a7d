/**
 * Promises about what pull workers are told, checked right after a heartbeat answers (they need the
 * leases from just before it): a heartbeat renews only the runs it names, and a worker is told to
 * stop only a run that was cancelled or moved on from its attempt.
 */
import type { Inside } from "./invariants";
import { type SimWorker, Violation, type World } from "./world";

/** Leases the object holds for runs under `worker`'s id that it does not name (a dead incarnation's). */
export function leasesOfUnnamed(world: World, worker: SimWorker): Map<string, number> {
  const leases = (world.object as unknown as Inside).memory.leases.entries();
  const running = world.storage.db
    .prepare("select id from runs where status = 'running' and worker_id = ?")
    .all(worker.id) as { id: string }[];
  return new Map(
    running
      .filter((r) => !worker.held.has(r.id) && leases.has(r.id))
      .map((r) => [r.id, leases.get(r.id) as number]),
  );
}

/** A worker's heartbeat renews only the runs it names. */
export function checkUnnamedNotRenewed(
  world: World,
  worker: SimWorker,
  before: Map<string, number>,
): void {
  const leases = (world.object as unknown as Inside).memory.leases.entries();
  for (const [runId, lease] of before) {
    const after = leases.get(runId);
    if (after !== undefined && after > lease)
      throw new Violation(
        "a heartbeat renews only the runs it names",
        `${worker.id}'s heartbeat renewed ${runId}, which it did not name`,
      );
  }
}

/** A worker is told to stop a run only when the run was cancelled or moved on from its attempt. */
export function checkStopIsDue(world: World, runId: string, attempt: number): void {
  const run = world.storage.db
    .prepare("select status, attempt from runs where id = ?")
    .get(runId) as { status: string; attempt: number } | undefined;
  if (run?.status === "running" && run.attempt === attempt)
    throw new Violation(
      "a worker is told to stop only a run that was cancelled or moved on",
      `${runId} attempt ${attempt} is still running, yet its worker was told to stop`,
    );
}
