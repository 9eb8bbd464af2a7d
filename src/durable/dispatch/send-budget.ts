/**
 * Which runs one alarm round sends. Runs already waiting (`waiting`: how many are ready, all of one
 * priority) and runs the round creates compete for `capacity` by priority, then age: a new run of
 * a higher priority goes first, one of the same priority after the waiting ones. A new run that
 * gets a place is created already queued, so it never writes a pending row or a dispatch-table
 * entry; one that does not waits as pending. Only one priority is sent per round. The waiting
 * runs themselves are read only after the round's new runs exist (`sendWaiting`): creating a run
 * can cancel a waiting one (`cancel_other`), which must then not be sent.
 */
import type { RunMessage } from "../../queues/messages";

/** Waiting runs ready to send: their priority rank and how many there are (up to the capacity). */
export interface ReadyWaiting {
  rank: number;
  count: number;
}

export class SendBudget {
  /** Messages of the runs this round created queued. */
  readonly messages: RunMessage[] = [];
  private rank: number;

  constructor(
    private readonly capacity: number,
    private readonly waiting: ReadyWaiting | null,
    private readonly maxRank: number,
  ) {
    this.rank = waiting?.rank ?? Number.POSITIVE_INFINITY;
  }

  /** Whether a new run of priority `rank`, ready now, is sent this round. */
  admits(rank: number): boolean {
    if (this.capacity <= 0 || rank > this.maxRank || rank > this.rank) return false;
    // A higher priority than the waiting runs' takes the round; they wait for the next.
    if (rank < this.rank) this.rank = rank;
    return this.messages.length + this.waitingKept() < this.capacity;
  }

  /** The waiting runs still to send this round (their priority, how many at most), or null. */
  sendWaiting(): { rank: number; limit: number } | null {
    const limit = Math.min(this.waitingKept(), this.capacity - this.messages.length);
    return limit > 0 && this.waiting ? { rank: this.waiting.rank, limit } : null;
  }

  /** Forgets the messages added after `mark` (a job whose materialization was rolled back). */
  rollback(mark: number): void {
    this.messages.length = mark;
  }

  mark(): number {
    return this.messages.length;
  }

  private waitingKept(): number {
    return this.waiting?.rank === this.rank ? this.waiting.count : 0;
  }
}
