/**
 * Runs simulations: a sequence of steps against a fresh world with every invariant checked after
 * each step, then a settling phase that checks liveness; a seed's sequence is generated from the
 * seed, and a failing sequence is shrunk to the shortest that still breaks the same promise.
 */
import { type Action, randomAction, swarmWeights } from "./actions";
import { Invariants } from "./invariants";
import { settleEverything } from "./liveness";
import { type CreatedJob, perform } from "./perform";
import { Random } from "./random";
import { newStep, Violation, World } from "./world";

export interface Failure {
  invariant: string;
  detail: string;
  /** Index of the step after which it was found (the sequence's length: the settling phase). */
  step: number;
  log: string[];
}

/** Steps that are one request: refused, they must change nothing. */
const REQUESTS = new Set([
  "create",
  "patch",
  "pause",
  "resume",
  "cancelJob",
  "trigger",
  "cancelRun",
  "replay",
  "complete",
  "fail",
  "staleReport",
  "heartbeat",
]);

export function actionsFor(seed: number, steps: number): Action[] {
  const random = new Random(seed);
  const weights = swarmWeights(random);
  return Array.from({ length: steps }, () => randomAction(random, weights));
}

/** Runs `actions` in a fresh world seeded with `seed`; returns the first broken promise, if any. */
export async function runActions(
  seed: number,
  actions: Action[],
  options: { dump?: boolean; trace?: string[] } = {},
): Promise<Failure | null> {
  const world = new World(seed);
  const jobs: CreatedJob[] = [];
  const invariants = new Invariants();
  let step = 0;
  try {
    await world.start();
    for (; step < actions.length; step++) {
      const action = actions[step] as Action;
      world.step = newStep();
      world.lastProblem = null;
      const before =
        REQUESTS.has(action.kind) && !world.storage.armed ? world.storage.committedWrites : null;
      if (process.env.SIM_TRACE)
        process.stderr.write(`${seed}:${step} ${JSON.stringify(action)}\n`);
      await perform(world, jobs, action);
      await world.settle();
      if (world.step.rulesChanged)
        invariants.overlapSince.set(world.step.rulesChanged, world.clock.now);
      for (const job of jobs)
        if (!invariants.overlapSince.has(job.id)) invariants.overlapSince.set(job.id, 0);
      invariants.check(world, action.kind);
      options.trace?.push(
        `${step} ${action.kind} ${world.clock.now} ${world.storage.committedWrites}`,
      );
      if (before !== null && world.step.refused && world.storage.committedWrites !== before)
        throw new Violation("a refused request changes nothing", `step ${step} (${action.kind})`);
      world.storage.disarm();
      world.failSends = 0;
    }
    if (process.env.SIM_TRACE) process.stderr.write("settling\n");
    await settleEverything(world, invariants);
    return null;
  } catch (error) {
    if (options.dump) {
      const rows = world.storage.db
        .prepare(
          "select id, job_id, status, priority, attempt, pool, task_key, dispatch_at, lease_expires_at from runs where status != 'missed'",
        )
        .all();
      const clock = { now: world.clock.now, alarm: world.storage.alarmAt };
      world.dispose();
      console.table(rows);
      console.log(clock);
    }
    if (error instanceof Violation)
      return { invariant: error.invariant, detail: error.message, step, log: [...world.log] };
    return {
      invariant: "the simulation runs",
      detail: error instanceof Error ? `${error.message}\n${error.stack}` : String(error),
      step,
      log: [...world.log],
    };
  } finally {
    world.dispose();
  }
}

/**
 * The shortest sequence found (removing chunks of steps, then single steps) that still breaks the
 * same promise; `budget` bounds the runs it tries.
 */
export async function shrink(
  seed: number,
  actions: Action[],
  failure: Failure,
  budget = 1500,
): Promise<{ actions: Action[]; failure: Failure }> {
  let current = actions.slice(0, failure.step + 1);
  let best = failure;
  let runs = 0;
  for (let chunk = Math.max(1, Math.floor(current.length / 2)); chunk >= 1 && runs < budget; ) {
    let removed = false;
    for (let i = 0; i < current.length && runs < budget; ) {
      const candidate = [...current.slice(0, i), ...current.slice(i + chunk)];
      runs++;
      const result = await runActions(seed, candidate);
      if (result?.invariant === failure.invariant) {
        current = candidate.slice(0, result.step + 1);
        best = result;
        removed = true;
      } else i += chunk;
    }
    if (!removed) chunk = Math.floor(chunk / 2);
  }
  return { actions: current, failure: best };
}

/** Runs `count` seeds from `from` with `steps` steps each; stops at the first failure. */
export async function runSeeds(
  from: number,
  count: number,
  steps: number,
  progress?: (done: number) => void,
): Promise<{ seed: number; actions: Action[]; failure: Failure } | null> {
  for (let seed = from; seed < from + count; seed++) {
    const actions = actionsFor(seed, steps);
    const failure = await runActions(seed, actions);
    if (failure) return { seed, actions, failure };
    progress?.(seed - from + 1);
  }
  return null;
}
