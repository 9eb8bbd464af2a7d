/**
 * Liveness, checked at the end of every simulation: with faults off, the tenant active and every
 * target and worker answering, time moves past every lease and backoff; every run of a job that
 * is not paused must then settle, and every graph occurrence finish. The invariants are checked
 * after each round of this phase too.
 */
import type { Invariants } from "./invariants";
import { readRuns } from "./invariants";
import { POOLS } from "./jobs";
import { type SimWorker, Violation, type World } from "./world";

/** Rounds of delivering, claiming and waking before a run that has not settled counts as stuck. */
const ROUNDS = 300;
/** The round at which every flow limit is lifted (ten minutes and more of limited time before). */
const LIFT_LIMITS_ROUND = 20;
const ACTIVE = new Set(["pending", "queued", "running", "retrying"]);

async function deliverEverything(world: World): Promise<void> {
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
}

/** A worker of every pool claims what it can and completes it at once; returns how many. */
async function finishClaims(world: World, finisher: SimWorker): Promise<number> {
  await world.claim(finisher, {
    worker_id: finisher.id,
    pools: [...POOLS],
    max: 100,
    wait_seconds: 0,
    lease_seconds: 600,
  });
  const held = [...finisher.held];
  for (const [runId, attempt] of held) {
    await world.call(
      world.object.completeRun(world.workerCredential, runId, { worker_id: finisher.id, attempt }),
    );
    world.release(finisher, runId);
  }
  return held.length;
}

async function liftFlowLimits(world: World): Promise<void> {
  const { object, credential } = world;
  const rows = world.storage.db.prepare("select kind, name from flow_limits").all() as {
    kind: string;
    name: string;
  }[];
  for (const { kind, name } of rows)
    await world.call(
      kind === "key"
        ? object.deleteFlowKey(credential, name)
        : object.deleteDestination(credential, name),
    );
  await world.call(object.updateTenant({ default_flow_limits: null }));
  world.step.limitsChanged = true;
}

export async function settleEverything(world: World, invariants: Invariants): Promise<void> {
  world.storage.disarm();
  world.failSends = 0;
  const { object } = world;
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
    // After a while, the operator lifts every flow limit: a key whose higher-priority demand exceeds its
    // rate starves its low-priority runs by design (priority within a key is strict); without
    // limits everything must then settle.
    if (round === LIFT_LIMITS_ROUND) await liftFlowLimits(world);
    // Everything answers at once: deliveries, messages and claims are worked off until none is
    // left at this moment (a limit of one run of a key lets the next start only after the last).
    for (let burst = 0; burst < 50; burst++) {
      const progress = world.deliveries.length + world.messages.length;
      await deliverEverything(world);
      const claimed = await finishClaims(world, finisher);
      const woke = await world.fireAlarm();
      await world.settle();
      if (progress === 0 && claimed === 0 && !woke) break;
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
