/** The runs a worker holds (claimed, not yet reported): their state, the slots they take, waiting on them. */
import type { ClaimedRun } from "./worker-api.ts";

/** Why a run's signal was aborted: it decides what (if anything) is reported. */
export type AbortReason = "cancel" | "lost" | "drain" | "stop";

export interface Active {
  run: ClaimedRun;
  controller: AbortController;
  abortReason: AbortReason | null;
  cancelReason: string | null;
  /** Local time (skew corrected) the lease ends, and when the next heartbeat is due. */
  leaseEndsAt: number;
  beatEveryMs: number;
  nextBeatAt: number;
  checkpoint: unknown;
  /** Bumped on each save; `sentCheckpoint` is the version the scheduler has. */
  checkpointVersion: number;
  sentCheckpoint: number;
  progress: unknown;
  progressVersion: number;
  sentProgress: number;
  /** Settles when the run left the worker (reported, or given up). */
  done: Promise<void>;
  /** The handler settled (or was given up on). */
  settled: boolean;
}

/** One attempt of one run: the key of `HeldRuns` and of heartbeat answers. */
export const keyOf = (run: { run_id: string; attempt: number }) => `${run.run_id}#${run.attempt}`;

/** Aborts the run's handler once; the first reason stays. */
export function abortRun(a: Active, reason: AbortReason) {
  if (a.abortReason) return;
  a.abortReason = reason;
  a.controller.abort(new Error(`run ${reason}`));
}

export class HeldRuns {
  /** By `keyOf(run)`. */
  readonly byKey = new Map<string, Active>();
  private slotWaiters: (() => void)[] = [];

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<Active> {
    return this.byKey.values();
  }

  /** Runs whose handler has not settled: they hold slots (a run waiting for its report does not). */
  busy(): number {
    return [...this.byKey.values()].filter((a) => !a.settled).length;
  }

  /** Resolves at the next `wakeSlotWaiters`. */
  slotFreed(): Promise<void> {
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  wakeSlotWaiters(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once no run is held any more. */
  async settleAll(): Promise<void> {
    while (this.byKey.size > 0) await Promise.all([...this.byKey.values()].map((a) => a.done));
  }
}
