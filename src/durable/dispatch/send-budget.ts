/**
 * Which new runs one alarm round sends. The round first sends waiting runs (older, by priority,
 * keys in turn); the runs it creates then share what capacity is left, one priority per round: a
 * new run of the priority the waiting runs were sent at, or of any priority the strict-priority
 * bound allows when none were, whose flow key and destination admit it. A new run that gets a place
 * is created already queued, so it never writes a pending row; one that does not waits as pending.
 */
import type { RunMessage } from "../../queues/messages";
import type { FlowAdmission, Limited } from "../flow/flow-admission";

export class SendBudget {
  /** Messages of the runs this round created queued. */
  readonly messages: RunMessage[] = [];

  constructor(
    private readonly capacity: number,
    /** The priority this round sends (that of the waiting runs sent), or null: not chosen yet. */
    private rank: number | null,
    private readonly maxRank: number,
    private readonly admission: FlowAdmission,
    private readonly now: number,
  ) {}

  /** Whether a new run of priority `rank`, ready now, is sent this round (its limits allow it). */
  admits(rank: number, run: Limited): boolean {
    if (this.messages.length >= this.capacity || rank > this.maxRank) return false;
    if (this.rank !== null && rank !== this.rank) return false;
    if (this.admission.blockedBy(run, this.now) !== null) return false;
    this.rank = rank;
    return true;
  }

  /** A run `admits` let through was created queued: it takes its rate tokens. */
  admitted(run: Limited, message: RunMessage): void {
    this.admission.admit(run, this.now);
    this.messages.push(message);
  }

  /** Forgets the messages added after `mark` (a job whose materialization was rolled back). */
  rollback(mark: number): void {
    this.messages.length = mark;
  }

  mark(): number {
    return this.messages.length;
  }
}
