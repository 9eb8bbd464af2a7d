/**
 * Liveness, checked at the end of every simulation: with faults off, the tenant active and every
 * target and worker answering, time moves past every lease and backoff; every run of a job that
 * is not paused must then settle, and every graph occurrence finish. The invariants are checked
 * after each round of this phase too.
 */
import type { Invariants } from "./invariants";
import { readRuns } from "./invariants";
import { POOLS } from "./jobs";
import { Violation, type World } from "./world";

/** Rounds of delivering, claiming and waking before a run that has not settled counts as stuck. */
const ROUNDS = 300;
const ACTIVE = new Set(["pending", "queued", "running", "retrying"]);

export async function settleEverything(world: World, invariants: Invariants): Promise<void> {
  world.storage.disarm();
  world.failSends = 0;
  const { object, workerCredential } = world;
  await world.call(object.updateTenant({ suspended: false, max_in_flight: 1000 }));
  invariants.check(world, "settle");
  const pausedJobs = () =>
    new Set(
      (
        world.storage.db.prepare("select id from jobs where status = 'paused'").all() as {
          id: string;
        }[]
      ).map((j) => j.id),
    );
  const waiting = () => {
    const paused = pausedJobs();
    return readRuns(world).filter((r) => ACTIVE.has(r.status) && !paused.has(r.job_id));
  };
  const target = new Set(waiting().map((r) => r.id));
  const finisher = { id: "finisher", held: new Map<string, number>(), poll: null };
  for (let round = 0; round < ROUNDS; round++) {
    const left = waiting().filter((r) => target.has(r.id));
    if (!left.length) return;
    for (const delivery of world.deliveries.splice(0)) {
      const { attempt } = delivery;
      await world.report([
        {
          run_id: attempt.run_id,
          attempt: attempt.attempt,
          outcome: "succeeded",
          status_code: 200,
          started_at: delivery.claimedAt,
          duration_ms: 1,
          response_body: "ok",
          error: null,
        },
      ]);
    }
    if (world.messages.length) await world.consume(world.messages.splice(0));
    await world.claim(finisher, {
      worker_id: finisher.id,
      pools: [...POOLS],
      max: 100,
      wait_seconds: 0,
      lease_seconds: 600,
    });
    for (const [runId, attempt] of finisher.held) {
      await world.call(
        object.completeRun(workerCredential, runId, { worker_id: finisher.id, attempt }),
      );
      world.release(finisher, runId);
    }
    // Workers of the simulation that still hold runs have stopped: their leases will run out.
    // Time moves at least 30 s a round (a frequent cron job's alarm is then late, which catch-up
    // absorbs), so the rounds span hours: past every lease and backoff.
    const alarm = world.storage.alarmAt;
    if (alarm === null || alarm > world.clock.now) {
      const wait = alarm === null ? 60_000 : alarm - world.clock.now;
      await world.advance(Math.min(Math.max(wait, 30_000), 600_000));
    }
    await world.fireAlarm();
    await world.settle();
    invariants.check(world, "settle");
  }
  const stuck = waiting().filter((r) => target.has(r.id));
  if (stuck.length)
    throw new Violation(
      "every run of a job that is not paused settles once everything answers",
      stuck
        .slice(0, 5)
        .map((r) => `${r.id} ${r.status} attempt ${r.attempt}${r.pool ? ` pool ${r.pool}` : ""}`)
        .join(", "),
    );
}
