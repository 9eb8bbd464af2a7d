/**
 * The flow-control promises, checked after every step: the usage the object keeps in memory
 * equals the rows, a key's or destination's `max_running` holds whenever runs of it are admitted,
 * and no rate period admits more than the burst plus the limit.
 */
import type { FlowLimits } from "../src/durable/storage/schema";
import type { Inside, StoredRun } from "./invariants";
import { FLOW_KEYS } from "./jobs";
import { Violation, type World } from "./world";

export class FlowChecks {
  /** Admissions (a run entering queued or running) per flow key and host since limits last changed. */
  private admissions = new Map<string, number[]>();

  /**
   * Flow control: the usage the object keeps in memory equals the rows; a step that admitted runs
   * of a key (or host) leaves at most its `max_running` of them in flight; and no window of one
   * rate period holds more admissions than the rate's burst plus its limit.
   */
  check(
    world: World,
    inside: Inside,
    runs: StoredRun[],
    defaults: string | null,
    previous: Map<string, StoredRun>,
  ): void {
    const counted = {
      key: new Map<string, number>(),
      host: new Map<string, number>(),
      waiting: new Map<string, number>(),
    };
    const bump = (map: Map<string, number>, name: string) =>
      map.set(name, (map.get(name) ?? 0) + 1);
    const entered: StoredRun[] = [];
    for (const run of runs) {
      if (run.parent_id === run.id) continue;
      const key = run.flow_key ?? "";
      if (run.status === "queued" || run.status === "running") {
        bump(counted.key, key);
        if (run.destination !== null) bump(counted.host, run.destination);
        const before = previous.get(run.id);
        const wasInFlight =
          before !== undefined &&
          (before.status === "queued" || before.status === "running") &&
          before.attempt === run.attempt;
        if (!wasInFlight && !(before?.status === "queued" && run.status === "running"))
          entered.push(run);
      } else if (run.status === "pending" || run.status === "retrying") bump(counted.waiting, key);
    }
    const usage = inside.memory.usage;
    const wrong: string[] = [];
    const keys = usage.keys();
    for (const name of new Set([
      ...keys.keys(),
      ...counted.key.keys(),
      ...counted.waiting.keys(),
    ])) {
      const memory = keys.get(name) ?? { inFlight: 0, waiting: 0 };
      const rows = {
        inFlight: counted.key.get(name) ?? 0,
        waiting: counted.waiting.get(name) ?? 0,
      };
      if (memory.inFlight !== rows.inFlight || memory.waiting !== rows.waiting)
        wrong.push(`key "${name}": memory ${JSON.stringify(memory)}, rows ${JSON.stringify(rows)}`);
    }
    const hosts = usage.destinations();
    for (const name of new Set([...hosts.keys(), ...counted.host.keys()]))
      if ((hosts.get(name) ?? 0) !== (counted.host.get(name) ?? 0))
        wrong.push(
          `host ${name}: memory ${hosts.get(name) ?? 0}, rows ${counted.host.get(name) ?? 0}`,
        );
    if (wrong.length) fail("flow usage in memory equals the rows", wrong.join("; "));

    const limits = readLimits(world, defaults);
    const now = world.clock.now;
    // Limits changed during the step (while the alarm waited on its sends): what this step admitted
    // came under the old limits, so the new limits' windows start empty after it.
    if (world.step.limitsChanged) {
      this.admissions.clear();
      return;
    }
    for (const run of entered) {
      for (const name of [
        `key:${run.flow_key ?? ""}`,
        run.destination && `destination:${run.destination}`,
      ]) {
        if (!name) continue;
        this.admissions.set(name, [...(this.admissions.get(name) ?? []), now]);
      }
    }
    const admittedNow = new Set(
      entered.flatMap((r) => [`key:${r.flow_key ?? ""}`, `destination:${r.destination}`]),
    );
    for (const name of admittedNow) {
      const own = limits.get(name);
      if (!own) continue;
      const inFlight = name.startsWith("key:")
        ? (counted.key.get(name.slice(4)) ?? 0)
        : (counted.host.get(name.slice(12)) ?? 0);
      if (own.max_running !== undefined && inFlight > own.max_running)
        fail(
          "runs in flight never exceed a flow key's or destination's max_running",
          `${name}: ${inFlight} in flight, max_running ${own.max_running}`,
        );
      if (own.rate) {
        const period = own.rate.period_seconds * 1000;
        const recent = (this.admissions.get(name) ?? []).filter((t) => t > now - period);
        const most = (own.rate.burst ?? own.rate.limit) + own.rate.limit;
        if (recent.length > most)
          fail(
            "no rate period admits more than the burst plus the limit",
            `${name}: ${recent.length} started in ${own.rate.period_seconds} s, at most ${most}`,
          );
      }
    }
  }
}

/** The limits in force per `key:<name>` and `destination:<host>` (a named key's default included). */
function readLimits(world: World, defaults: string | null): Map<string, FlowLimits> {
  const rows = world.storage.db.prepare("select kind, name, limits from flow_limits").all() as {
    kind: string;
    name: string;
    limits: string;
  }[];
  const limits = new Map<string, FlowLimits>(
    rows.map((r) => [`${r.kind}:${r.name}`, JSON.parse(r.limits) as FlowLimits]),
  );
  const fallback = defaults && defaults !== "null" ? (JSON.parse(defaults) as FlowLimits) : null;
  if (fallback)
    for (const key of FLOW_KEYS) if (!limits.has(`key:${key}`)) limits.set(`key:${key}`, fallback);
  return limits;
}

function fail(invariant: string, detail: string): never {
  throw new Violation(invariant, detail);
}
