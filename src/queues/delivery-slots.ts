/**
 * At most six deliveries at once per consumer invocation. Workers let one invocation wait on six
 * connections at a time and queue the rest, so without this a batch's seventh request would wait
 * for a connection while its timeout (`AbortSignal.timeout`, started when `fetch` is called) runs:
 * slow targets early in a batch would make later deliveries time out unsent. With the slots, a
 * delivery's timeout starts when its request can go out. Local `wrangler dev` does not enforce the
 * platform limit; the slots behave the same there.
 */
export const DELIVERY_SLOTS = 6;

export class DeliverySlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size = DELIVERY_SLOTS) {}

  /** Runs `fn` once a slot is free; the slot passes to the next waiter when it ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
