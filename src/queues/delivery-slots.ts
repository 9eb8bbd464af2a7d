/**
 * At most six deliveries at once per consumer invocation. Workers let one invocation wait on six
 * connections at a time and queue the rest, so without this a batch's seventh request would wait
 * for a connection while its timeout (`AbortSignal.timeout`, started when `fetch` is called) runs.
 * The consumer claims only as many runs as there are free slots (consumer.ts), so a claimed run's
 * delivery starts at once. Local `wrangler dev` does not enforce the platform limit; the slots
 * behave the same there.
 */
export const DELIVERY_SLOTS = 6;

export class DeliverySlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly freed: (() => void)[] = [];
  private readonly size: number;

  constructor(size = DELIVERY_SLOTS) {
    this.size = size;
  }

  /** Slots no delivery holds now. */
  free(): number {
    return Math.max(0, this.size - this.active - this.waiting.length);
  }

  /** Resolves once at least one slot is free. */
  async whenFree(): Promise<void> {
    while (this.free() === 0) await new Promise<void>((resolve) => this.freed.push(resolve));
  }

  /** Runs `fn` once a slot is free; the slot passes to the next waiter when it ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else {
        this.active--;
        for (const wake of this.freed.splice(0)) wake();
      }
    }
  }
}
