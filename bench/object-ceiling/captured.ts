/**
 * The run messages the object sent, per tenant, waiting for the driver: the bench's stand-in for
 * a run queue. Module state: the capture entrypoint and the driver run in this Worker's one
 * isolate (locally, every entrypoint and object of a Worker shares it).
 */
import type { RunMessage } from "../../src/queues/messages";

class Mailbox {
  private readonly messages: RunMessage[] = [];
  private waiters: (() => void)[] = [];
  private closed = false;
  /** Messages received in all. */
  received = 0;
  firstAt: number | null = null;

  put(batch: RunMessage[]): void {
    this.messages.push(...batch);
    this.received += batch.length;
    this.firstAt ??= Date.now();
    this.wake();
  }

  /** Up to `max` messages once at least one is there; [] once closed. */
  async take(max: number): Promise<RunMessage[]> {
    while (this.messages.length === 0 && !this.closed)
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.messages.splice(0, max);
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

const boxes = new Map<string, Mailbox>();

/** The mailbox of a tenant's messages (created on first use). */
export function mailbox(tenantId: string): Mailbox {
  let box = boxes.get(tenantId);
  if (!box) {
    box = new Mailbox();
    boxes.set(tenantId, box);
  }
  return box;
}

export function forget(tenantId: string): void {
  boxes.delete(tenantId);
}
