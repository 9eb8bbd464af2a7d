/**
 * Jobs the simulation creates and the changes it makes to them, as plain data (so a failing
 * sequence prints and replays), turned into the API's inputs by the API's own schemas.
 */
import {
  type JobInput,
  JobInputSchema,
  type JobPatch,
  JobPatchSchema,
  OVERLAP_POLICIES,
  type OverlapPolicy,
} from "../src/contract/job";
import { PRIORITIES, type Priority } from "../src/domain/priority";
import type { Random } from "./random";

export const POOLS = ["p1", "p2"] as const;
/** Flow keys of the simulation's jobs (null: none), and the hosts of their webhooks. */
export const FLOW_KEYS = ["k1", "k2", "k3"] as const;
export const HOSTS = ["example.com", "api.example.net"] as const;

type ScheduleSpec = { now: true } | { delay: number } | { every: number };

export interface JobSpec {
  target: "http" | "worker" | "graph";
  pool: (typeof POOLS)[number];
  schedule: ScheduleSpec;
  overlap: OverlapPolicy;
  priority: Priority;
  attempts: number;
  backoff: number;
  timeout: number;
  catchup: number;
  flowKey: (typeof FLOW_KEYS)[number] | null;
  host: (typeof HOSTS)[number];
  /** A graph: per task, its target kind and the earlier tasks it depends on. */
  tasks?: { kind: "http" | "worker"; deps: number[] }[];
}

export type PatchSpec =
  | { schedule: ScheduleSpec }
  | { target: "http" | "worker"; pool: (typeof POOLS)[number] }
  | { overlap: OverlapPolicy }
  | { priority: Priority }
  | { attempts: number }
  | { timeout: number }
  | { flowKey: (typeof FLOW_KEYS)[number] | null };

export function randomSchedule(random: Random): ScheduleSpec {
  const roll = random.float();
  if (roll < 0.2) return { now: true };
  if (roll < 0.45) return { delay: random.between(0, 40) };
  return { every: random.pick([2, 5, 10, 30]) };
}

export function randomJob(random: Random): JobSpec {
  const roll = random.float();
  const target = roll < 0.5 ? "http" : roll < 0.8 ? "worker" : "graph";
  const spec: JobSpec = {
    target,
    pool: random.pick(POOLS),
    schedule: randomSchedule(random),
    overlap: random.pick(OVERLAP_POLICIES),
    priority: random.pick(PRIORITIES),
    attempts: random.between(1, 3),
    backoff: random.between(1, 4),
    // Worker runs may be long (their leases then matter more than their timeouts).
    timeout:
      target === "worker" ? random.pick([5, 30, 60, 600, 3600]) : random.pick([5, 10, 30, 60, 300]),
    catchup: random.pick([0, 10, 60, 300]),
    flowKey: random.chance(0.6) ? random.pick(FLOW_KEYS) : null,
    host: random.pick(HOSTS),
  };
  if (target === "graph") {
    const count = random.between(2, 4);
    spec.tasks = Array.from({ length: count }, (_, i) => ({
      kind: random.chance(0.6) ? "http" : "worker",
      deps: Array.from({ length: i }, (_, j) => j).filter(() => random.chance(0.5)),
    }));
  }
  return spec;
}

export function randomPatch(random: Random): PatchSpec {
  switch (random.int(7)) {
    case 6:
      return { flowKey: random.chance(0.8) ? random.pick(FLOW_KEYS) : null };
    case 0:
      return { schedule: randomSchedule(random) };
    case 1:
      return { target: random.pick(["http", "worker"] as const), pool: random.pick(POOLS) };
    case 2:
      return { overlap: random.pick(OVERLAP_POLICIES) };
    case 3:
      return { priority: random.pick(PRIORITIES) };
    case 4:
      return { attempts: random.between(1, 3) };
    default:
      return { timeout: random.pick([5, 10, 30, 60, 300]) };
  }
}

function schedule(spec: ScheduleSpec): JobInput["schedule"] {
  if ("now" in spec) return undefined;
  if ("delay" in spec) return { delay_seconds: spec.delay };
  return { cron: `*/${spec.every} * * * * *` };
}

function target(kind: "http" | "worker", pool: string, n: number, host: string) {
  return kind === "http"
    ? { type: "http" as const, url: `https://${host}/sim/${n}` }
    : { type: "worker" as const, pool, payload: { n } };
}

/** The API input for `spec` (the `n`-th job created), with the API's defaults applied. */
export function jobInput(spec: JobSpec, n: number): JobInput {
  const graph = spec.tasks?.map((task, i) => ({
    key: `t${i}`,
    target: target(task.kind, spec.pool, n, spec.host ?? HOSTS[0]),
    depends_on: task.deps.map((d) => `t${d}`),
  }));
  return JobInputSchema.parse({
    name: `job ${n}`,
    schedule: spec.schedule && schedule(spec.schedule),
    ...(graph
      ? { tasks: graph }
      : { target: target(spec.target as "http" | "worker", spec.pool, n, spec.host ?? HOSTS[0]) }),
    overlap: spec.overlap,
    priority: spec.priority,
    retry: {
      max_attempts: spec.attempts,
      initial_backoff_seconds: spec.backoff,
      max_backoff_seconds: spec.backoff * 3,
    },
    timeout_seconds: spec.timeout,
    catchup_window_seconds: spec.catchup,
    ...(spec.flowKey ? { flow_key: spec.flowKey } : {}),
  });
}

/** The API's PATCH body for `patch`. */
export function jobPatch(patch: PatchSpec, pool: string, n: number, host: string): JobPatch {
  if ("schedule" in patch) {
    const value = schedule(patch.schedule);
    return JobPatchSchema.parse({ schedule: value ?? null });
  }
  if ("target" in patch)
    return JobPatchSchema.parse({ target: target(patch.target, patch.pool ?? pool, n, host) });
  if ("flowKey" in patch) return JobPatchSchema.parse({ flow_key: patch.flowKey });
  if ("overlap" in patch) return JobPatchSchema.parse({ overlap: patch.overlap });
  if ("priority" in patch) return JobPatchSchema.parse({ priority: patch.priority });
  if ("attempts" in patch) return JobPatchSchema.parse({ retry: { max_attempts: patch.attempts } });
  return JobPatchSchema.parse({ timeout_seconds: patch.timeout });
}
