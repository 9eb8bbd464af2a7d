/**
 * Which runs one alarm round sends. Runs already waiting (`ready`, oldest first, all of one
 * priority) and runs the round creates compete for `capacity` by priority, then age: a new run of
 * a higher priority goes first, one of the same priority after the waiting ones. A new run that
 * gets a place is created already queued, so it never writes a pending row or a dispatch-index
 * entry; one that does not waits as pending. Only one priority is sent per round, as before.
 */
import type { RunMessage } from "../../queues/messages";
import type { RunRow } from "../storage/schema";

export class SendBudget {
  /** Messages of the runs this round created queued. */
  readonly messages: RunMessage[] = [];
  private rank: number;

  constructor(
    private readonly capacity: number,
    private readonly ready: RunRow[],
    private readonly maxRank: number,
  ) {
    this.rank = ready[0]?.priorityRank ?? Number.POSITIVE_INFINITY;
  }

  /** Whether a new run of priority `rank`, ready now, is sent this round. */
  admits(rank: number): boolean {
    if (this.capacity <= 0 || rank > this.maxRank || rank > this.rank) return false;
    // A higher priority than the waiting runs' takes the round; they wait for the next.
    if (rank < this.rank) this.rank = rank;
    return this.messages.length + this.readyKept() < this.capacity;
  }

  /** The waiting runs still to send this round, after the new ones of a higher priority. */
  readyToSend(): RunRow[] {
    return this.readyKept() > 0 ? this.ready.slice(0, this.capacity - this.messages.length) : [];
  }

  /** Forgets the messages added after `mark` (a job whose materialization was rolled back). */
  rollback(mark: number): void {
    this.messages.length = mark;
  }

  mark(): number {
    return this.messages.length;
  }

  private readyKept(): number {
    return this.ready[0]?.priorityRank === this.rank ? this.ready.length : 0;
  }
}
