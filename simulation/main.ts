/**
 * `npm run simulate`: runs seeds and reports the first failure, shrunk, with the command that
 * replays it. `--seed N` runs one seed; `--seeds N [--from F]` runs N seeds from F; `--steps S`
 * sets the steps per seed.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Action } from "./actions";
import { actionsFor, type Failure, runActions, runSeeds, shrink } from "./simulate";

export const DEFAULT_STEPS = 150;

/** The first broken promise over `count` seeds from `from` (for the mutant runs of cli.ts). */
export async function firstViolation(
  from: number,
  count: number,
  steps: number,
): Promise<{ seed: number; invariant: string; detail: string } | null> {
  const found = await runSeeds(from, count, steps);
  return found
    ? { seed: found.seed, invariant: found.failure.invariant, detail: found.failure.detail }
    : null;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: "string" },
      seeds: { type: "string", default: "100" },
      from: { type: "string", default: "1" },
      steps: { type: "string", default: String(DEFAULT_STEPS) },
      "no-shrink": { type: "boolean", default: false },
      replay: { type: "string" },
      determinism: { type: "boolean", default: false },
    },
  });
  const steps = Number(values.steps);
  if (values.determinism) {
    // Each seed twice, the second time after other seeds ran: the traces must be equal.
    const from = Number(values.from);
    const count = Number(values.seeds);
    const first = new Map<number, string[]>();
    for (let seed = from; seed < from + count; seed++) {
      const trace: string[] = [];
      await runActions(seed, actionsFor(seed, steps), { trace });
      first.set(seed, trace);
    }
    for (let seed = from + count - 1; seed >= from; seed--) {
      const trace: string[] = [];
      await runActions(seed, actionsFor(seed, steps), { trace });
      const before = first.get(seed) ?? [];
      const at = trace.findIndex((line, i) => line !== before[i]);
      if (at >= 0 || trace.length !== before.length) {
        console.log(`seed ${seed} differs at step ${at}: ${before[at]} | ${trace[at]}`);
        return 1;
      }
    }
    console.log(`${count} seeds replayed identically`);
    return 0;
  }
  if (values.replay !== undefined) {
    // A sequence printed by an earlier failure, saved as a JSON array: run it and show the runs.
    const actions = JSON.parse(readFileSync(values.replay, "utf8")) as Action[];
    const failure = await runActions(Number(values.seed ?? 1), actions, { dump: true });
    console.log(failure ? failure.detail : "no violation");
    return failure ? 1 : 0;
  }
  const started = performance.now();
  let found: { seed: number; actions: Action[]; failure: Failure } | null;
  let ran = 1;
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    const actions = actionsFor(seed, steps);
    const failure = await runActions(seed, actions);
    found = failure ? { seed, actions, failure } : null;
  } else {
    const count = Number(values.seeds);
    const from = Number(values.from);
    found = await runSeeds(from, count, steps, (done) => {
      ran = done;
      if (done % 500 === 0) console.log(`${done} seeds, no violation (${seconds(started)} s)`);
    });
    ran = found ? found.seed - from + 1 : count;
  }
  if (!found) {
    console.log(`${ran} seed(s) x ${steps} steps: no violation (${seconds(started)} s)`);
    return 0;
  }
  console.log(`seed ${found.seed}: ${found.failure.detail}`);
  console.log(`found after step ${found.failure.step} of ${found.actions.length}`);
  const small = values["no-shrink"]
    ? { actions: found.actions.slice(0, found.failure.step + 1), failure: found.failure }
    : await shrink(found.seed, found.actions, found.failure);
  console.log(describeFailure(found.seed, steps, small.actions, small.failure));
  return 1;
}

/** What a failure report says: the promise, the shortest sequence, the last log lines, the replay command. */
export function describeFailure(
  seed: number,
  steps: number,
  actions: Action[],
  failure: Failure,
): string {
  return [
    `shortest sequence that still breaks "${failure.invariant}":`,
    ...actions.map((action, i) => `  ${i}: ${JSON.stringify(action)}`),
    "",
    failure.detail,
    "",
    "last log lines:",
    ...failure.log.slice(-15).map((line) => `  ${line}`),
    "",
    `replay: npm run simulate -- --seed ${seed} --steps ${steps}`,
  ].join("\n");
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
