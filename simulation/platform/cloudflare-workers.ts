/**
 * What the simulation gives the object's code in place of the `cloudflare:workers` module: the
 * Durable Object base class, which only keeps `ctx` and `env` (the platform parts are the
 * simulation's own storage, alarm and queues).
 */
export class DurableObject<E = unknown> {
  protected readonly ctx: DurableObjectState;
  protected readonly env: E;

  constructor(ctx: DurableObjectState, env: E) {
    this.ctx = ctx;
    this.env = env;
  }
}
