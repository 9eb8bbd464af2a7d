/**
 * The simulation in `npm test`: a fixed budget of seeds (SIMULATION_SEEDS, default 40) of 150
 * steps each, every invariant checked after every step; a failure shows the shortest sequence
 * that still fails and the command that replays it. `npm run simulate -- --seeds 10000` runs long.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Action } from "./actions";
import { DEFAULT_STEPS, describeFailure } from "./main";
import { actionsFor, runActions, runSeeds, shrink } from "./simulate";

const SEEDS = Number(process.env.SIMULATION_SEEDS ?? 40);

describe("the tenant object under a randomized simulation", () => {
  it(`keeps every promise over ${SEEDS} seeds of ${DEFAULT_STEPS} steps`, async () => {
    const found = await runSeeds(1, SEEDS, DEFAULT_STEPS);
    if (found) {
      const small = await shrink(found.seed, found.actions, found.failure, 400);
      expect.fail(describeFailure(found.seed, DEFAULT_STEPS, small.actions, small.failure));
    }
  });

  it("replays a seed exactly: the same steps give the same trace", async () => {
    for (const seed of [3, 7]) {
      const first: string[] = [];
      const second: string[] = [];
      await runActions(seed, actionsFor(seed, DEFAULT_STEPS), { trace: first });
      await runActions(seed, actionsFor(seed, DEFAULT_STEPS), { trace: second });
      expect(second).toEqual(first);
      expect(first.length).toBe(DEFAULT_STEPS);
    }
  });

  // Sequences kept for a check that random seeds reach rarely (docs/simulation.md): each must pass
  // on the code; `npm run simulate -- --mutant N --replay <file>` shows its broken copy failing.
  const replays = new URL("./replays/", import.meta.url);
  for (const file of readdirSync(replays).filter((f) => f.endsWith(".json")))
    it(`passes the kept sequence ${file}`, async () => {
      const actions = JSON.parse(readFileSync(new URL(file, replays), "utf8")) as Action[];
      const failure = await runActions(1, actions);
      expect(failure?.detail ?? null).toBeNull();
    });
});
