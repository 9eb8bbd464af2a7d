/**
 * Flow-control gauges with bounded cardinality: runs waiting and in flight for the tenant's top
 * keys by waiting runs (the rest summed under one label value, runs without a key under another),
 * and runs in flight for its top destinations with limits; for the keys and destinations shown,
 * their `max_running` and the rate tokens left. A tenant with 100,000 keys still gives
 * at most a dozen series per metric.
 */
import type { FlowLimits } from "../storage/schema";

/** Keys and destinations shown by name; the rest are summed. */
export const TOP_FLOW_SERIES = 10;

/** Label values no key or host can take (keys have no spaces, hosts no parentheses). */
export const NO_KEY = "(no key)";
export const OTHER_KEYS = "(other keys)";
export const OTHER_DESTINATIONS = "(other destinations)";

export interface Gauge {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** What limits a key or destination now, and the tokens its rate has left (null: no rate). */
export interface FlowState {
  limits: FlowLimits | undefined;
  tokens: number | null;
}

export interface FlowGaugeInput {
  /** Usage per key ("" is runs without a key), from memory. */
  keys: Map<string, { waiting: number; inFlight: number }>;
  /** A key's limits now (its own or the tenant's default) and rate tokens left. */
  keyState: (key: string) => FlowState;
  /** Destinations with limits of their own, with their runs in flight, limits and tokens. */
  destinations: { host: string; inFlight: number; state: FlowState }[];
}

/** What the gauges read of the runs' usage (runs/flow-usage.ts; metrics sits below runs). */
export interface FlowUsageReader {
  keys(): Map<string, { waiting: number; inFlight: number }>;
  destinations(): Map<string, number>;
}

/** What the gauges read of the limits (flow/flow-limits.ts) and the admission (flow-admission.ts). */
export interface FlowLimitsReader {
  own(kind: "destination", name: string): FlowLimits | undefined;
  list(
    kind: "destination",
    limit: number,
    cursor: undefined,
  ): { name: string; limits: FlowLimits }[];
}
export type FlowStateReader = (kind: "key" | "destination", name: string) => FlowState;

/**
 * The gauges of a tenant's usage and limits now: memory only, but for the destinations with
 * limits and nothing in flight, of which at most a page is read (the first by host).
 */
export function flowGaugesOf(
  usage: FlowUsageReader,
  limits: FlowLimitsReader,
  stateOf: FlowStateReader,
): Gauge[] {
  const destinations: FlowGaugeInput["destinations"] = [];
  for (const [host, inFlight] of usage.destinations()) {
    if (limits.own("destination", host))
      destinations.push({ host, inFlight, state: stateOf("destination", host) });
  }
  if (destinations.length < TOP_FLOW_SERIES) {
    const busy = new Set(destinations.map((d) => d.host));
    for (const row of limits.list("destination", TOP_FLOW_SERIES + busy.size, undefined))
      if (!busy.has(row.name))
        destinations.push({ host: row.name, inFlight: 0, state: stateOf("destination", row.name) });
  }
  return flowGauges({
    keys: usage.keys(),
    keyState: (key) => stateOf("key", key),
    destinations,
  });
}

export function flowGauges(input: FlowGaugeInput): Gauge[] {
  return [...keyGauges(input), ...destinationGauges(input.destinations)];
}

/** The limit and rate-token gauges of one shown key or destination, where it has them. */
function limitGauges(prefix: string, labels: Record<string, string>, state: FlowState): Gauge[] {
  const gauges: Gauge[] = [];
  const max = state.limits?.max_running;
  if (max !== undefined) gauges.push({ name: `${prefix}_max_running`, labels, value: max });
  if (state.tokens !== null)
    gauges.push({ name: `${prefix}_rate_tokens`, labels, value: state.tokens });
  return gauges;
}

function keyGauges(input: FlowGaugeInput): Gauge[] {
  const named = [...input.keys]
    .filter(([key]) => key !== "")
    .sort(
      ([a, x], [b, y]) =>
        y.waiting - x.waiting || y.inFlight - x.inFlight || (a < b ? -1 : a > b ? 1 : 0),
    );
  const shown = named.slice(0, TOP_FLOW_SERIES);
  const other = { waiting: 0, inFlight: 0 };
  for (const [, usage] of named.slice(TOP_FLOW_SERIES)) {
    other.waiting += usage.waiting;
    other.inFlight += usage.inFlight;
  }
  const none = input.keys.get("") ?? { waiting: 0, inFlight: 0 };
  // The two summed series are always there, so a sum over `key` is every run's.
  const series: [string, { waiting: number; inFlight: number }][] = [
    ...shown,
    [NO_KEY, none],
    [OTHER_KEYS, other],
  ];
  const gauges: Gauge[] = [];
  for (const [key, usage] of series) {
    gauges.push({ name: "scheduler_flow_key_runs_waiting", labels: { key }, value: usage.waiting });
    gauges.push({
      name: "scheduler_flow_key_runs_in_flight",
      labels: { key },
      value: usage.inFlight,
    });
  }
  for (const [key] of shown)
    gauges.push(...limitGauges("scheduler_flow_key", { key }, input.keyState(key)));
  return gauges;
}

function destinationGauges(destinations: FlowGaugeInput["destinations"]): Gauge[] {
  if (destinations.length === 0) return [];
  const sorted = [...destinations].sort(
    (a, b) => b.inFlight - a.inFlight || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0),
  );
  const shown = sorted.slice(0, TOP_FLOW_SERIES);
  const gauges: Gauge[] = shown.map((d) => ({
    name: "scheduler_destination_runs_in_flight",
    labels: { destination: d.host },
    value: d.inFlight,
  }));
  gauges.push({
    name: "scheduler_destination_runs_in_flight",
    labels: { destination: OTHER_DESTINATIONS },
    value: sorted.slice(TOP_FLOW_SERIES).reduce((sum, d) => sum + d.inFlight, 0),
  });
  for (const d of shown)
    gauges.push(...limitGauges("scheduler_destination", { destination: d.host }, d.state));
  return gauges;
}
