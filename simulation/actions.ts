/**
 * The steps of a simulation, as data: each names what happens (a request, the alarm, a consumer,
 * a worker, a restart, a fault) and carries the random numbers that choose its target when it
 * runs (`pick`), so a sequence with steps removed still runs (that is how failures shrink).
 */
import type { FlowLimitsInput } from "../src/contract/flow";
import {
  BATCH_WEIGHTS,
  type BatchAction,
  isBatchAction,
  isBatchKind,
  performBatch,
  randomBatchAction,
} from "./batch-actions";
import {
  FLOW_KEYS,
  HOSTS,
  type JobSpec,
  jobInput,
  jobPatch,
  type PatchSpec,
  POOLS,
  randomJob,
  randomPatch,
} from "./jobs";
import type { Random } from "./random";
import { type SimWorker, Violation, type World } from "./world";

export type Action =
  | { kind: "create"; job: JobSpec }
  | { kind: "patch"; pick: number; patch: PatchSpec }
  | { kind: "pause" | "resume" | "cancelJob"; pick: number }
  | { kind: "trigger"; pick: number; flowKey?: string | null }
  | { kind: "limitKey"; key: string; limits: FlowLimitsInput | null }
  | { kind: "limitHost"; host: string; limits: FlowLimitsInput | null }
  | { kind: "defaultLimits"; limits: FlowLimitsInput | null }
  | { kind: "cancelRun" | "replay"; pick: number }
  | { kind: "advance"; ms: number }
  | { kind: "alarm" }
  | { kind: "consume"; pick: number; take: number; duplicate: boolean; lose: boolean }
  | { kind: "deliver"; pick: number; outcome: "ok" | "retryable" | "final" | "lost" | "twice" }
  | { kind: "deadLetter"; pick: number }
  | { kind: "claim"; worker: number; pools: string[]; max: number; wait: number; lease: number }
  | { kind: "abandon"; worker: number }
  | { kind: "heartbeat"; worker: number; pick: number; checkpoint: boolean; all: boolean }
  | { kind: "complete" | "fail"; worker: number; pick: number; retryable: boolean }
  | { kind: "staleReport"; worker: number; pick: number; attempt: number }
  | { kind: "drain"; worker: number }
  | { kind: "workerRestart"; worker: number }
  | { kind: "suspend" | "unsuspend" }
  | { kind: "cap"; value: number }
  | { kind: "jump"; days: number }
  | { kind: "restart" }
  | { kind: "fault"; writes: number }
  | { kind: "sendFault" }
  | { kind: "interleave"; during: Action }
  | BatchAction;

/** How often each step is chosen (relative weights). */
const WEIGHTS: [Action["kind"], number][] = [
  ["create", 8],
  ["patch", 3],
  ["pause", 2],
  ["resume", 2],
  ["cancelJob", 1],
  ["trigger", 3],
  ["limitKey", 3],
  ["limitHost", 1.5],
  ["defaultLimits", 0.7],
  ["cancelRun", 1],
  ["replay", 2],
  ["advance", 14],
  ["alarm", 10],
  ["consume", 12],
  ["deliver", 12],
  ["deadLetter", 1],
  ["claim", 8],
  ["abandon", 1],
  ["heartbeat", 6],
  ["complete", 5],
  ["fail", 2],
  ["staleReport", 1],
  ["drain", 0.5],
  ["workerRestart", 2],
  ["suspend", 0.7],
  ["unsuspend", 1.5],
  ["cap", 1],
  ["jump", 0.2],
  ["restart", 2],
  ["fault", 2],
  ["sendFault", 1],
  ["interleave", 2],
  ...BATCH_WEIGHTS,
];
/** Requests that most often arrive while the alarm waits on its queue sends (`interleave`). */
const INTERLEAVED = new Set<Action["kind"]>([
  "suspend",
  "cap",
  "pause",
  "cancelJob",
  "cancelRun",
  "patch",
  "trigger",
  "claim",
  "heartbeat",
  "complete",
  "limitKey",
  "limitHost",
]);

/** Steps every seed keeps at their weight: time, the alarm, consumers, jobs, claims. */
const CORE = new Set<Action["kind"]>(["create", "advance", "alarm", "consume", "deliver", "claim"]);

/**
 * The weights one seed uses ("swarm testing"): every other kind of step is left out, kept, or made
 * three times as likely, at random per seed, so some seeds concentrate on a few kinds of step and
 * reach the interleavings that need several of them close together.
 */
export function swarmWeights(random: Random): [Action["kind"], number][] {
  return WEIGHTS.map(([kind, weight]) => [
    kind,
    CORE.has(kind) ? weight : weight * random.pick([0, 0.3, 1, 3]),
  ]);
}

export function randomAction(
  random: Random,
  weights: [Action["kind"], number][] = WEIGHTS,
  depth = 0,
): Action {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  let roll = random.float() * total;
  let kind: Action["kind"] = "advance";
  for (const [k, w] of weights) {
    roll -= w;
    if (roll < 0) {
      kind = k;
      break;
    }
  }
  if (isBatchKind(kind)) return randomBatchAction(kind, random);
  const pick = random.float();
  const worker = random.int(3);
  switch (kind) {
    case "create":
      return { kind, job: randomJob(random) };
    case "patch":
      return { kind, pick, patch: randomPatch(random) };
    case "pause":
    case "resume":
    case "cancelJob":
    case "cancelRun":
    case "replay":
      return { kind, pick };
    case "trigger":
      return random.chance(0.3)
        ? { kind, pick, flowKey: random.chance(0.8) ? random.pick(FLOW_KEYS) : null }
        : { kind, pick };
    case "limitKey":
      return { kind, key: random.pick(FLOW_KEYS), limits: randomLimits(random) };
    case "limitHost":
      return { kind, host: random.pick(HOSTS), limits: randomLimits(random) };
    case "defaultLimits":
      return { kind, limits: randomLimits(random) };
    case "advance":
      return { kind, ms: random.pick([100, 1_000, 3_000, 10_000, 30_000, 120_000]) };
    case "consume":
      return {
        kind,
        pick,
        take: random.between(1, 8),
        duplicate: random.chance(0.1),
        lose: random.chance(0.05),
      };
    case "deliver":
      return {
        kind,
        pick,
        outcome: random.pick(["ok", "ok", "ok", "retryable", "final", "lost", "twice"] as const),
      };
    case "deadLetter":
      return { kind, pick };
    case "claim": {
      const pools = Array.from({ length: random.between(1, 3) }, () => random.pick(POOLS));
      return {
        kind,
        worker,
        pools,
        max: random.between(1, 4),
        wait: random.chance(0.4) ? random.between(1, 25) : 0,
        lease: random.pick([5, 30, 120, 600]),
      };
    }
    case "abandon":
    case "drain":
    case "workerRestart":
      return { kind, worker };
    case "heartbeat":
      return { kind, worker, pick, checkpoint: random.chance(0.5), all: random.chance(0.5) };
    case "complete":
    case "fail":
      return { kind, worker, pick, retryable: random.chance(0.7) };
    case "staleReport":
      return { kind, worker, pick, attempt: random.between(1, 3) };
    case "cap":
      return { kind, value: random.between(1, 8) };
    case "jump":
      return { kind, days: 15 };
    case "fault":
      return { kind, writes: random.between(1, 6) };
    case "interleave":
      // A request that arrives while the alarm waits for the queues (the object's input gate is
      // open then); one level deep.
      // What arrives while the alarm waits: mostly requests that change what the rest of the
      // round may do (the tenant, the job, its runs, a worker).
      if (depth > 0) return { kind: "alarm" };
      return random.chance(0.6)
        ? {
            kind,
            during: randomAction(
              random,
              WEIGHTS.filter(([k]) => INTERLEAVED.has(k)),
              depth + 1,
            ),
          }
        : { kind, during: randomAction(random, weights, depth + 1) };
    default:
      return { kind } as Action;
  }
}

/** Limits for a key or host (null: remove them): small, so that they bind. */
function randomLimits(random: Random): FlowLimitsInput | null {
  if (random.chance(0.2)) return null;
  const running = random.chance(0.6) ? { max_running: random.between(1, 3) } : {};
  const rate = random.chance(0.5)
    ? {
        rate: {
          limit: random.between(1, 3),
          period_seconds: random.pick([1, 10, 60]),
          ...(random.chance(0.5) ? { burst: random.between(1, 4) } : {}),
        },
      }
    : {};
  return "max_running" in running || "rate" in rate ? { ...running, ...rate } : { max_running: 1 };
}

/** Jobs the simulation created, in order, with what it made them from. */
export interface CreatedJob {
  id: string;
  spec: JobSpec;
  n: number;
}

interface StoredRun {
  id: string;
  status: string;
  job_id: string;
  parent_id: string | null;
  task_key: string | null;
  pool: string | null;
}

function runs(world: World): StoredRun[] {
  return world.storage.db
    .prepare("select id, status, job_id, parent_id, task_key, pool from runs order by id")
    .all() as unknown as StoredRun[];
}

function choose<T>(items: readonly T[], pick: number): T | undefined {
  return items.length ? items[Math.floor(pick * items.length) % items.length] : undefined;
}

/** Runs `action` against the world. */
export async function perform(world: World, jobs: CreatedJob[], action: Action): Promise<void> {
  if (isBatchAction(action)) return performBatch(world, action);
  const { object, credential } = world;
  const job = "pick" in action ? choose(jobs, action.pick) : undefined;
  const worker: SimWorker | undefined =
    "worker" in action ? world.workers[action.worker % world.workers.length] : undefined;
  switch (action.kind) {
    case "create": {
      const n = jobs.length;
      const created = await world.call(object.createJob(credential, jobInput(action.job, n), null));
      if (created) jobs.push({ id: created.job.id, spec: action.job, n });
      return;
    }
    case "patch": {
      if (!job) return;
      const patched = await world.call(
        object.updateJob(
          credential,
          job.id,
          jobPatch(action.patch, job.spec.pool, job.n, job.spec.host ?? HOSTS[0]),
          null,
        ),
      );
      if (patched) world.step.rulesChanged = job.id;
      return;
    }
    case "pause":
      if (job) await world.call(object.pauseJob(credential, job.id));
      return;
    case "resume":
      if (job) await world.call(object.resumeJob(credential, job.id));
      return;
    case "cancelJob":
      if (job) await world.call(object.cancelJob(credential, job.id));
      return;
    case "trigger":
      if (job)
        await world.call(
          object.triggerJob(
            credential,
            job.id,
            action.flowKey !== undefined ? { flow_key: action.flowKey } : {},
          ),
        );
      return;
    case "limitKey":
      await world.call(
        action.limits
          ? object.putFlowKey(credential, action.key, action.limits)
          : object.deleteFlowKey(credential, action.key),
      );
      world.step.limitsChanged = true;
      return;
    case "limitHost":
      await world.call(
        action.limits
          ? object.putDestination(credential, action.host, action.limits)
          : object.deleteDestination(credential, action.host),
      );
      world.step.limitsChanged = true;
      return;
    case "defaultLimits":
      await world.call(object.updateTenant({ default_flow_limits: action.limits }));
      world.step.limitsChanged = true;
      return;
    case "cancelRun": {
      const run = choose(
        runs(world).filter((r) => r.task_key === null && isActive(r.status)),
        action.pick,
      );
      if (run) await world.call(object.cancelRun(credential, run.id));
      return;
    }
    case "replay": {
      const all = runs(world);
      const run = choose(
        all.filter((r) => r.status === "dead" || (r.status === "failed" && r.parent_id === r.id)),
        action.pick,
      );
      if (!run) return;
      const replayed = await world.call(object.replayRun(credential, run.id));
      if (replayed) {
        // A replay re-opens the run, and for a graph its occurrence and downstream tasks.
        const family = run.parent_id ?? run.id;
        for (const r of all)
          if (r.id === run.id || r.parent_id === family) world.step.replayed.add(r.id);
      }
      return;
    }
    case "advance":
      await world.advance(action.ms);
      await world.fireAlarm();
      return;
    case "alarm":
      if (world.storage.alarmAt !== null && world.storage.alarmAt > world.clock.now)
        await world.advance(world.storage.alarmAt - world.clock.now);
      await world.fireAlarm();
      return;
    case "consume": {
      if (!world.messages.length) return;
      const start = Math.floor(action.pick * world.messages.length);
      const batch = world.messages.splice(start, action.take);
      // A duplicate stays on the queue to be delivered again; a lost message is never seen.
      if (action.duplicate && batch[0]) world.messages.push({ ...batch[0] });
      if (action.lose) batch.pop();
      if (batch.length) await world.consume(batch);
      return;
    }
    case "deliver": {
      const index = Math.floor(action.pick * world.deliveries.length);
      const delivery = world.deliveries[index];
      if (!delivery) return;
      world.deliveries.splice(index, 1);
      if (action.outcome === "lost") return;
      const { attempt } = delivery;
      const ok = action.outcome === "ok" || action.outcome === "twice";
      const result = {
        run_id: attempt.run_id,
        attempt: attempt.attempt,
        outcome: ok ? ("succeeded" as const) : ("failed" as const),
        status_code: ok ? 200 : action.outcome === "final" ? 400 : 503,
        started_at: delivery.claimedAt,
        duration_ms: world.clock.now - delivery.claimedAt,
        response_body: "ok",
        error: ok ? null : "simulated failure",
      };
      await world.report([result]);
      if (action.outcome === "twice") await world.report([result]);
      return;
    }
    case "deadLetter": {
      const index = Math.floor(action.pick * world.messages.length);
      const message = world.messages[index];
      if (!message) return;
      world.messages.splice(index, 1);
      try {
        await object.markUndeliverable([
          { run_id: message.body.run_id, attempt: message.body.attempt, reason: "simulated DLQ" },
        ]);
      } catch (error) {
        world.internalError(error);
      }
      return;
    }
    case "claim":
      if (!worker || worker.poll) return;
      await world.claim(worker, {
        worker_id: worker.id,
        pools: action.pools,
        max: action.max,
        wait_seconds: action.wait,
        lease_seconds: action.lease,
      });
      return;
    case "abandon":
      // The worker's connection drops while its long poll waits.
      if (worker?.poll) worker.poll.alive = false;
      return;
    case "heartbeat":
      if (worker) await heartbeat(world, worker, action);
      return;
    case "complete":
    case "fail": {
      const held = worker && choose([...worker.held], action.pick);
      if (!worker || !held) return;
      const [runId, attempt] = held;
      const done =
        action.kind === "complete"
          ? object.completeRun(world.workerCredential, runId, {
              worker_id: worker.id,
              attempt,
              result: { ok: true },
            })
          : object.failRun(world.workerCredential, runId, {
              worker_id: worker.id,
              attempt,
              error: "simulated failure",
              retryable: action.retryable,
            });
      await world.call(done);
      world.release(worker, runId);
      return;
    }
    case "staleReport": {
      const run = choose(
        runs(world).filter((r) => r.pool !== null),
        action.pick,
      );
      if (!worker || !run || worker.held.has(run.id)) return;
      await world.call(
        object.completeRun(world.workerCredential, run.id, {
          worker_id: worker.id,
          attempt: action.attempt,
        }),
      );
      return;
    }
    case "drain":
      if (worker) await world.call(object.drainWorker(world.workerCredential, worker.id));
      await world.settle();
      return;
    case "workerRestart":
      // The worker's process restarts under the same id: it no longer knows what it ran.
      if (worker) {
        worker.held.clear();
        worker.poll = null;
      }
      return;
    case "suspend":
    case "unsuspend":
      await world.call(object.updateTenant({ suspended: action.kind === "suspend" }));
      return;
    case "cap":
      await world.call(object.updateTenant({ max_in_flight: action.value }));
      return;
    case "jump":
      await world.advance(action.days * 24 * 3600_000);
      await world.fireAlarm();
      return;
    case "restart":
      await world.restart();
      return;
    case "fault":
      world.storage.failWriteAfter(action.writes);
      return;
    case "sendFault":
      world.failSends = 1;
      return;
    case "interleave": {
      // The alarm (at its time) waits for its queue sends; meanwhile another request is served.
      if (world.storage.alarmAt === null) return;
      if (world.storage.alarmAt > world.clock.now)
        await world.advance(world.storage.alarmAt - world.clock.now);
      world.holdSends = true;
      const instance = world.object;
      const alarm = world.fireAlarm();
      await world.settle();
      if (world.sendsHeld) await perform(world, jobs, action.during);
      world.releaseSends();
      // A restart meanwhile killed the alarm: it never finishes (its instance is gone).
      if (world.object === instance) await alarm;
      await world.settle();
      return;
    }
  }
}

async function heartbeat(
  world: World,
  worker: SimWorker,
  action: Extract<Action, { kind: "heartbeat" }>,
): Promise<void> {
  const { object, workerCredential } = world;
  if (action.all) {
    const held = [...worker.held].map(([run_id, attempt]) => ({ run_id, attempt }));
    const others = world.leasesOfUnnamed(worker);
    const answers = await world.call(object.heartbeatWorker(workerCredential, worker.id, held));
    world.checkUnnamedNotRenewed(worker, others);
    for (const answer of answers ?? []) await stopOrKeep(world, worker, answer);
    return;
  }
  const held = choose([...worker.held], action.pick);
  if (!held) return;
  const [runId, attempt] = held;
  const answer = await world.call(
    object.heartbeatRun(workerCredential, runId, {
      worker_id: worker.id,
      attempt,
      ...(action.checkpoint ? { checkpoint: { at: world.clock.now } } : {}),
    }),
  );
  if (answer) await stopOrKeep(world, worker, answer);
  else if (world.lastProblem?.status === 409) world.release(worker, runId);
}

/**
 * What the bundled worker does with a heartbeat's answer: keeps the run with its new lease, or,
 * told to stop, stops the command and reports the attempt failed.
 */
async function stopOrKeep(
  world: World,
  worker: SimWorker,
  answer: { run_id: string; attempt: number; cancel: boolean; lease_expires_at: string | null },
): Promise<void> {
  if (!answer.cancel && answer.lease_expires_at !== null) {
    world.leaseAnswered(worker, answer as never);
    return;
  }
  world.checkStopIsDue(answer.run_id, answer.attempt);
  world.release(worker, answer.run_id);
  if (answer.cancel && answer.lease_expires_at !== null) {
    await world.call(
      world.object.failRun(world.workerCredential, answer.run_id, {
        worker_id: worker.id,
        attempt: answer.attempt,
        error: "stopped: the scheduler said cancel",
        retryable: true,
      }),
    );
  }
}

function isActive(status: string): boolean {
  return (
    status === "pending" || status === "queued" || status === "running" || status === "retrying"
  );
}

export { Violation };
