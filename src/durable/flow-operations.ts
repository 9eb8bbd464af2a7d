/**
 * What a tenant does with its flow control: set, read, list and remove the limits of flow keys and
 * destination hosts, each answered with what it uses now (runs in flight, waiting, rate tokens).
 */
import type {
  DestinationView,
  FlowKeyView,
  FlowLimitsInput,
  FlowListQuery,
} from "../contract/flow";
import { fail } from "../domain/problem";
import type { FlowAdmission } from "./flow/flow-admission";
import { type FlowKind, type FlowLimitStore, MAX_FLOW_LIMITS } from "./flow/flow-limits";
import type { FlowUsage } from "./runs/flow-usage";
import type { Transaction } from "./storage/database";
import type { Page } from "./storage/views";

export class FlowOperations {
  constructor(
    private readonly limits: FlowLimitStore,
    private readonly admission: FlowAdmission,
    private readonly usage: FlowUsage,
    private readonly transaction: Transaction,
  ) {}

  getKey(key: string): FlowKeyView {
    return { key, ...this.usageOf("key", key) };
  }

  getDestination(host: string): DestinationView {
    return { host, ...this.usageOf("destination", host) };
  }

  /** Sets a key's or destination's limits (a new name counts against `MAX_FLOW_LIMITS`). */
  put(kind: FlowKind, name: string, limits: FlowLimitsInput): void {
    this.transaction(() => {
      if (!this.limits.own(kind, name) && this.limits.size() >= MAX_FLOW_LIMITS) {
        throw fail.conflict(
          `This tenant has limits on ${MAX_FLOW_LIMITS} keys and destinations, the most it may have; remove some first.`,
        );
      }
      this.limits.put(kind, name, compact(limits), Date.now());
    });
  }

  /** Removes a key's or destination's own limits (404 when it has none). */
  remove(kind: FlowKind, name: string): void {
    const removed = this.transaction(() => this.limits.delete(kind, name));
    if (!removed)
      throw fail.notFound(`${kind === "key" ? "Flow key" : "Destination"} ${name} with limits`);
  }

  /**
   * Keys with limits of their own or runs now (waiting or in flight), by name: the keys a tenant
   * set up and the keys its runs use.
   */
  listKeys(query: FlowListQuery): Page<FlowKeyView> {
    const names = this.names(
      "key",
      [...this.usage.keys().keys()].filter((k) => k !== ""),
      query,
    );
    return {
      data: names.page.map((key) => this.getKey(key)),
      next_cursor: names.next,
    };
  }

  /** Destinations with limits of their own or runs in flight, by host. */
  listDestinations(query: FlowListQuery): Page<DestinationView> {
    const names = this.names("destination", [...this.usage.destinations().keys()], query);
    return {
      data: names.page.map((host) => this.getDestination(host)),
      next_cursor: names.next,
    };
  }

  private usageOf(kind: FlowKind, name: string) {
    const { limits, running, waiting, tokens } = this.admission.usageOf(kind, name, Date.now());
    return {
      limits: limits ?? null,
      own_limits: this.limits.own(kind, name) !== undefined,
      running,
      waiting,
      rate_tokens: tokens,
    };
  }

  /** One page of the names with limits (stored) and in use (memory), sorted, after the cursor. */
  private names(
    kind: FlowKind,
    inUse: string[],
    query: FlowListQuery,
  ): { page: string[]; next: string | null } {
    const stored = this.limits.list(kind, query.limit + 1, query.cursor).map((r) => r.name);
    const all = [...new Set([...stored, ...inUse])]
      .filter((name) => query.cursor === undefined || name > query.cursor)
      .sort();
    const page = all.slice(0, query.limit);
    return { page, next: all.length > query.limit ? (page.at(-1) ?? null) : null };
  }
}

/** The limits as stored: only the parts given (a rate's burst defaults to its limit when read). */
function compact(limits: FlowLimitsInput): FlowLimitsInput {
  return {
    ...(limits.max_running !== undefined ? { max_running: limits.max_running } : {}),
    ...(limits.rate !== undefined ? { rate: limits.rate } : {}),
  };
}
