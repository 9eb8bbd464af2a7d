/**
 * The steps of a simulation, as data: each names what happens (a request, the alarm, a consumer,
 * a worker, a restart, a fault) and carries the random numbers that choose its target when it
 * runs (`pick`), so a sequence with steps removed still runs (that is how failures shrink).
 */
import type { FlowLimitsInput } from "../src/contract/flow";
import { BATCH_WEIGHTS, type BatchAction, isBatchKind, randomBatchAction } from "./batch-actions";
import {
  FLOW_KEYS,
  HOSTS,
  type JobSpec,
  type PatchSpec,
  POOLS,
  randomJob,
  randomPatch,
} from "./jobs";
import type { Random } from "./random";

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
