/**
 * Whether a run may start now under its flow key's and its destination's limits, decided where
 * the run is admitted (the alarm round that sends it, the claim that hands it to a worker), in the
 * same transaction that starts it: at most `max_running` of a key (or destination) queued or
 * running at once, and no more starts than its rate's tokens. Runs wait for these limits without
 * using an attempt.
 */
import type { FlowUsage } from "../runs/flow-usage";
import type { FlowLimits } from "../storage/schema";
import type { FlowKind, FlowLimitStore } from "./flow-limits";
import type { RateBuckets } from "./rate-buckets";

/** Why a run that is due waits: its key's limits, its destination's, or the tenant's cap. */
export type WaitingReason = "flow_key" | "destination" | "tenant_cap";

/** The fields of a run its limits depend on. */
export interface Limited {
  flowKey: string | null;
  destination: string | null;
}

/** A waiting-runs entry as the run its limits are about (its key "" is no key). */
export function limitedOf(entry: { key: string; destination: string | null }): Limited {
  return { flowKey: entry.key === "" ? null : entry.key, destination: entry.destination };
}

export class FlowAdmission {
  constructor(
    private readonly limits: FlowLimitStore,
    private readonly usage: FlowUsage,
    private readonly buckets: RateBuckets,
  ) {}

  /** What holds `run` back now (its key first, then its destination), or null. */
  blockedBy(run: Limited, now: number): Exclude<WaitingReason, "tenant_cap"> | null {
    if (!this.limits.any()) return null;
    if (this.full("key", run.flowKey ?? "", now)) return "flow_key";
    if (run.destination !== null && this.full("destination", run.destination, now))
      return "destination";
    return null;
  }

  /** Takes the rate tokens of a run that starts now (its in-flight count moves with its status). */
  admit(run: Limited, now: number): void {
    if (!this.limits.any()) return;
    this.takeToken("key", run.flowKey ?? "", now);
    if (run.destination !== null) this.takeToken("destination", run.destination, now);
  }

  /**
   * The earliest moment a run due at `at` may start as far as its limits go: `at` when nothing
   * holds it, the next token when a rate does, null when a running limit does (a run of its key
   * or destination must end first, which wakes the object anyway).
   */
  startableAt(run: Limited, at: number, now: number): number | null {
    if (!this.limits.any()) return at;
    let earliest = at;
    for (const [kind, name] of this.names(run)) {
      const limits = this.limits.effective(kind, name);
      if (!limits) continue;
      if (limits.max_running !== undefined && this.inFlight(kind, name) >= limits.max_running)
        return null;
      if (limits.rate)
        earliest = Math.max(earliest, this.buckets.nextTokenAt(kind, name, limits.rate, now));
    }
    return earliest;
  }

  /** A key's or destination's limits and what it uses now (`GET /v1/flow-keys/{key}`). */
  usageOf(
    kind: FlowKind,
    name: string,
    now: number,
  ): {
    limits: FlowLimits | undefined;
    running: number;
    waiting: number | null;
    tokens: number | null;
  } {
    const limits = this.limits.effective(kind, name);
    return {
      limits,
      running: this.inFlight(kind, name),
      waiting: kind === "key" ? this.usage.keyWaiting(name) : null,
      tokens: limits?.rate ? Math.floor(this.buckets.tokens(kind, name, limits.rate, now)) : null,
    };
  }

  private names(run: Limited): [FlowKind, string][] {
    const names: [FlowKind, string][] = [["key", run.flowKey ?? ""]];
    if (run.destination !== null) names.push(["destination", run.destination]);
    return names;
  }

  private full(kind: FlowKind, name: string, now: number): boolean {
    const limits = this.limits.effective(kind, name);
    if (!limits) return false;
    if (limits.max_running !== undefined && this.inFlight(kind, name) >= limits.max_running)
      return true;
    return limits.rate !== undefined && this.buckets.tokens(kind, name, limits.rate, now) < 1;
  }

  private takeToken(kind: FlowKind, name: string, now: number): void {
    const rate = this.limits.effective(kind, name)?.rate;
    if (rate) this.buckets.take(kind, name, rate, now);
  }

  private inFlight(kind: FlowKind, name: string): number {
    return kind === "key" ? this.usage.keyInFlight(name) : this.usage.destinationInFlight(name);
  }
}
