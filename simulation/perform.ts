/**
 * What each step does to the world: the requests, the alarm, consumers, workers, restarts and
 * faults of `actions.ts`, run against the real object; a step whose target no longer exists (a
 * shrunk sequence) does nothing.
 */
import type { Action } from "./actions";
import { isBatchAction, performBatch } from "./batch-actions";
import { HOSTS, type JobSpec, jobInput, jobPatch } from "./jobs";
import { checkStopIsDue, checkUnnamedNotRenewed, leasesOfUnnamed } from "./worker-checks";
import type { SimWorker, World } from "./world";

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
    const others = leasesOfUnnamed(world, worker);
    const answers = await world.call(object.heartbeatWorker(workerCredential, worker.id, held));
    checkUnnamedNotRenewed(world, worker, others);
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
  checkStopIsDue(world, answer.run_id, answer.attempt);
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
