/**
 * Claims of pull workers, long polls included. A claim takes ready runs of its pools at once;
 * when there are none it waits (up to its `wait_seconds`) in a FIFO of waiting claims, which
 * `serve` tries again whenever runs may have become ready (after each alarm round, which also
 * wakes at the next moment a run of a waiting pool becomes ready). Everything happens on the
 * object's single thread, so a run is handed to exactly one claim. A waiting claim is served
 * only after its client is known to be still there (`connected`, asked of the Worker that holds
 * the request): a run handed to a vanished worker would run nowhere and burn an attempt.
 */
import type { ClaimedRun } from "../../contract/worker";
import type { Transaction } from "../storage/database";
import type { RunRow } from "../storage/schema";
import type { WorkerAttempts } from "./worker-attempts";

/** The runs of some pools a claim may take now (waiting-runs.ts through the object's stores). */
export interface PoolQueue {
  /** Starts up to `limit` ready runs of `pools` (priority, keys in turn, age), each with `start`. */
  take(pools: readonly string[], now: number, limit: number, start: (run: RunRow) => void): void;
  /** Whether a run of `pools` may be taken now. */
  hasReady(pools: readonly string[], now: number): boolean;
}

/** Waiting claims held at once; past this a claim answers at once, empty. */
const MAX_WAITING = 500;

/** What a claim asks for: whose, which pools, how many runs, and for how long it keeps them. */
export interface ClaimRequestOf {
  workerId: string;
  /** The token the claim came with (a waiting claim is not served once it is revoked). */
  tokenId: string;
  pools: string[];
  max: number;
  leaseMs: number;
}

/** Asks whether the client of a waiting claim is still connected (an RPC back to the Worker). */
export type ClientConnected = () => boolean | Promise<boolean>;

interface WaitingClaim extends ClaimRequestOf {
  connected: ClientConnected;
  resolve: (runs: ClaimedRun[]) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class WorkerClaims {
  private waiting: WaitingClaim[] = [];

  constructor(
    private readonly queue: PoolQueue,
    private readonly attempts: WorkerAttempts,
    private readonly transaction: Transaction,
    /** How many more runs the tenant's in-flight cap allows now. */
    private readonly capacity: () => number,
    /**
     * Whether a waiting claim may no longer be served (its worker drained, its token revoked, the
     * tenant suspended meanwhile): it then gets nothing.
     */
    private readonly refused: (claim: ClaimRequestOf) => boolean,
  ) {}

  /** Up to `max` ready runs of its pools for the worker, started in one transaction. */
  claim(request: ClaimRequestOf, now: number): ClaimedRun[] {
    return this.transaction(() => {
      const take = Math.min(request.max, this.capacity());
      if (take <= 0) return [];
      const claimed: ClaimedRun[] = [];
      this.queue.take([...new Set(request.pools)], now, take, (run) =>
        claimed.push(
          this.attempts.start(run, request.workerId, request.leaseMs, now, request.tokenId),
        ),
      );
      return claimed;
    });
  }

  /** Waits up to `waitMs` for runs; resolves with none when the time is up. */
  wait(request: ClaimRequestOf, waitMs: number, connected: ClientConnected): Promise<ClaimedRun[]> {
    if (waitMs <= 0 || this.waiting.length >= MAX_WAITING) return Promise.resolve([]);
    return new Promise((resolve) => {
      const claim: WaitingClaim = {
        ...request,
        connected,
        resolve,
        timer: setTimeout(() => this.settle(claim, []), waitMs),
      };
      this.waiting.push(claim);
    });
  }

  /**
   * Hands ready runs to waiting claims, oldest claim first. Before a claim gets runs its client is
   * asked whether it is still there; the runs are then taken at once, after that answer, so what
   * the claim gets is what is ready then.
   */
  async serve(): Promise<void> {
    for (const claim of [...this.waiting]) {
      if (!this.waiting.includes(claim)) continue;
      if (this.refused(claim)) {
        this.settle(claim, []);
        continue;
      }
      if (this.capacity() <= 0) return;
      if (!this.queue.hasReady(claim.pools, Date.now())) continue;
      if (!(await stillConnected(claim))) {
        this.settle(claim, []);
        continue;
      }
      // The answer took a turn of the event loop: the claim may have timed out or been refused.
      if (!this.waiting.includes(claim) || this.refused(claim)) continue;
      const runs = this.claim(claim, Date.now());
      if (runs.length) this.settle(claim, runs);
    }
  }

  /** The pools some claim waits for (the alarm wakes when one of their runs becomes ready). */
  waitedPools(): Set<string> {
    return new Set(this.waiting.flatMap((c) => c.pools));
  }

  private settle(claim: WaitingClaim, runs: ClaimedRun[]): void {
    clearTimeout(claim.timer);
    this.waiting = this.waiting.filter((c) => c !== claim);
    claim.resolve(runs);
  }
}

/** A client whose connection cannot be asked (the call failed) has gone. */
async function stillConnected(claim: WaitingClaim): Promise<boolean> {
  try {
    return (await claim.connected()) === true;
  } catch {
    return false;
  }
}
