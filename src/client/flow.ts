/**
 * The client's flow-control groups: limits on a tenant's flow keys (`client.flowKeys`) and on the
 * destination hosts its webhooks call (`client.destinations`), each read with what it uses now.
 */
import type { CallOptions, SchedulerClient } from "./client.ts";
import { operations } from "./operations.ts";
import { Paginated } from "./pagination.ts";
import type { Destination, FlowKey, FlowLimitsInput, FlowListQuery } from "./types.ts";

/** /v1/flow-keys (tenant token): `max_running` and `rate` per flow key (a job's `flow_key`). */
export class FlowKeysApi {
  private readonly client: SchedulerClient;
  constructor(client: SchedulerClient) {
    this.client = client;
  }

  /** Keys with limits of their own or runs now (waiting or in flight), by name, with usage. */
  list(query: FlowListQuery = {}, options?: CallOptions): Paginated<FlowKey> {
    return new Paginated(
      (cursor) =>
        this.client.call(operations.listFlowKeys, { query: { ...query, cursor }, ...options }),
      query.cursor,
    );
  }

  /**
   * A key's limits (its own, or the tenant's `default_flow_limits`; null: none) and what it uses
   * now: `running` (queued or running), `waiting` (pending or retrying), `rate_tokens`.
   */
  get(key: string, options?: CallOptions): Promise<FlowKey> {
    return this.client.call(operations.getFlowKey, { params: { key }, ...options });
  }

  /**
   * Sets the key's limits, replacing any it had: `{ max_running: 2 }`, `{ rate: { limit: 10,
   * period_seconds: 1, burst: 10 } }`, or both. Runs waiting for the key are judged by them at once.
   */
  set(key: string, limits: FlowLimitsInput, options?: CallOptions): Promise<FlowKey> {
    return this.client.call(operations.putFlowKey, { params: { key }, body: limits, ...options });
  }

  /** Removes the key's own limits (the tenant's default, if any, applies again); 404 if none. */
  delete(key: string, options?: CallOptions): Promise<void> {
    return this.client.call(operations.deleteFlowKey, { params: { key }, ...options });
  }
}

/**
 * /v1/destinations (tenant token): the same limits on everything the tenant's webhooks send to one
 * host (`URL.host`: lowercase, with `:port` when the URLs name one), whatever their flow keys.
 */
export class DestinationsApi {
  private readonly client: SchedulerClient;
  constructor(client: SchedulerClient) {
    this.client = client;
  }

  /** Hosts with limits or runs in flight, by host, with usage. */
  list(query: FlowListQuery = {}, options?: CallOptions): Paginated<Destination> {
    return new Paginated(
      (cursor) =>
        this.client.call(operations.listDestinations, { query: { ...query, cursor }, ...options }),
      query.cursor,
    );
  }

  get(host: string, options?: CallOptions): Promise<Destination> {
    return this.client.call(operations.getDestination, { params: { host }, ...options });
  }

  /** Sets the host's limits, replacing any it had. */
  set(host: string, limits: FlowLimitsInput, options?: CallOptions): Promise<Destination> {
    return this.client.call(operations.putDestination, {
      params: { host },
      body: limits,
      ...options,
    });
  }

  /** Removes the host's limits; 404 if it has none. */
  delete(host: string, options?: CallOptions): Promise<void> {
    return this.client.call(operations.deleteDestination, { params: { host }, ...options });
  }
}
