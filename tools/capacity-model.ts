/**
 * The capacity model: what a deployment can deliver, computed from its queue configuration and
 * Cloudflare's published limits (docs/performance.md, "Capacity"). Pure: `npm run capacity`
 * (tools/capacity.ts) reads wrangler.toml and prints what this computes.
 */
import { LANES, type Lane, parseQueueName } from "../src/queues/queue-shards.ts";

export interface PlatformLimit {
  id: string;
  what: string;
  value: number;
  source: string;
}

/** The published limits every figure rests on (Cloudflare documentation, read 2026). */
export const PLATFORM_LIMITS = {
  connections: {
    id: "L1",
    what: "simultaneous open connections per Worker invocation (fetch; further ones wait)",
    value: 6,
    source:
      "https://developers.cloudflare.com/workers/platform/limits/#simultaneous-open-connections",
  },
  queueMessages: {
    id: "L2",
    what: "messages per second per queue",
    value: 5000,
    source: "https://developers.cloudflare.com/queues/platform/limits/",
  },
  consumerInvocations: {
    id: "L3",
    what: "concurrent consumer invocations per queue (push consumers)",
    value: 250,
    source: "https://developers.cloudflare.com/queues/platform/limits/",
  },
  batchSize: {
    id: "L4",
    what: "messages per consumer batch",
    value: 100,
    source: "https://developers.cloudflare.com/queues/platform/limits/",
  },
  consumerWallSeconds: {
    id: "L5",
    what: "wall time per consumer invocation, seconds",
    value: 900,
    source: "https://developers.cloudflare.com/queues/platform/limits/",
  },
  objectRequests: {
    id: "L6",
    what: "requests per second per Durable Object (soft limit)",
    value: 1000,
    source: "https://developers.cloudflare.com/durable-objects/platform/limits/",
  },
} as const satisfies Record<string, PlatformLimit>;

const L = PLATFORM_LIMITS;
/** wrangler's default `max_batch_size` when a consumer sets none. */
const DEFAULT_BATCH_SIZE = 10;
/** The consumer's calls to a tenant's object per batch, at most: one claim, one report (report-buffer.ts may gather several). */
const OBJECT_CALLS_PER_BATCH = 2;

export interface ConsumerConfig {
  queue: string;
  max_batch_size?: number;
  max_concurrency?: number | null;
}

export interface CapacityInputs {
  /** Shards per lane (`QUEUE_SHARDS`). */
  shards: number;
  /** The run queues' consumers, as wrangler.toml declares them. */
  consumers: ConsumerConfig[];
  latenciesMs: readonly number[];
  /** The largest in-flight cap a tenant has by default (the premium tier, src/domain/tiers.ts). */
  tenantMaxInFlight: number;
  /** Runs/s one tenant object sustains, measured by the bench's W12; null until it has run. */
  objectRunsPerSecond: number | null;
}

/** What one run queue can do. */
export interface QueueFigures {
  queue: string;
  lane: Lane;
  /** Deliveries one invocation runs at once: its batch, at most the six connections (L1). */
  slots: number;
  invocations: number;
  /** invocations × slots: each invocation counted as holding its slot until its deliveries end. */
  concurrent: number;
  messagesPerSecond: number;
}

export interface Row {
  latencyMs: number;
  messagesPerSecond: number;
  concurrent: number;
  runsPerSecond: number;
  /** The default priority's lane alone (all runs medium): a quarter of the queues. */
  laneRunsPerSecond: number;
  boundBy: string;
  tenantRunsPerSecond: number;
  tenantBoundBy: string;
}

export interface Capacity {
  inputs: CapacityInputs;
  queues: QueueFigures[];
  rows: Row[];
  /** Runs/s one tenant's consumer calls allow at the object's request limit (L6). */
  tenantObjectCallBound: number;
}

/** Runs/s a queue sustains at a target latency: its message rate or its deliveries at once. */
function queueRunsPerSecond(q: QueueFigures, latencyMs: number): number {
  return Math.min(q.messagesPerSecond, q.concurrent / (latencyMs / 1000));
}

export function capacityModel(inputs: CapacityInputs): Capacity {
  const queues: QueueFigures[] = [];
  for (const lane of LANES) {
    for (let shard = 0; shard < inputs.shards; shard++) {
      const name = `runs-${lane}-${shard}`;
      const consumer = inputs.consumers.find((c) => c.queue === name);
      if (!consumer) throw new Error(`wrangler.toml has no consumer for ${name}`);
      const slots = Math.min(consumer.max_batch_size ?? DEFAULT_BATCH_SIZE, L.connections.value);
      const invocations = Math.min(
        consumer.max_concurrency ?? L.consumerInvocations.value,
        L.consumerInvocations.value,
      );
      queues.push({
        queue: name,
        lane: parseQueueName(name)?.lane ?? lane,
        slots,
        invocations,
        concurrent: invocations * slots,
        messagesPerSecond: L.queueMessages.value,
      });
    }
  }
  const medium = queues.filter((q) => q.lane === "medium");
  const one = medium[0] as QueueFigures;
  const tenantObjectCallBound = (L.objectRequests.value * one.slots) / OBJECT_CALLS_PER_BATCH;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const rows = inputs.latenciesMs.map((latencyMs): Row => {
    const concurrent = sum(queues.map((q) => q.concurrent));
    const messagesPerSecond = sum(queues.map((q) => q.messagesPerSecond));
    const runsPerSecond = sum(queues.map((q) => queueRunsPerSecond(q, latencyMs)));
    const tenantBounds: [number, string][] = [
      [queueRunsPerSecond(one, latencyMs), "its queue (one shard per lane)"],
      [tenantObjectCallBound, `consumer calls to its object (${L.objectRequests.id})`],
      [inputs.tenantMaxInFlight / (latencyMs / 1000), "its in-flight cap"],
    ];
    if (inputs.objectRunsPerSecond !== null)
      tenantBounds.push([inputs.objectRunsPerSecond, "its object (W12, measured)"]);
    const [tenantRunsPerSecond, tenantBoundBy] = tenantBounds.reduce((a, b) =>
      b[0] < a[0] ? b : a,
    );
    return {
      latencyMs,
      messagesPerSecond,
      concurrent,
      runsPerSecond,
      laneRunsPerSecond: sum(medium.map((q) => queueRunsPerSecond(q, latencyMs))),
      boundBy:
        runsPerSecond >= messagesPerSecond
          ? `messages/s per queue (${L.queueMessages.id})`
          : `deliveries at once (${L.connections.id} × ${L.consumerInvocations.id})`,
      tenantRunsPerSecond,
      tenantBoundBy,
    };
  });
  return { inputs, queues, rows, tenantObjectCallBound };
}

/** The issue's target for the default configuration, at 200 ms targets. */
export function meetsTarget(capacity: Capacity): { concurrent: boolean; runsPerSecond: boolean } {
  const row = capacity.rows.find((r) => r.latencyMs === 200);
  return {
    concurrent: (row?.concurrent ?? 0) >= 5000,
    runsPerSecond: (row?.runsPerSecond ?? 0) >= 20_000,
  };
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const latency = (ms: number) => (ms < 1000 ? `${ms} ms` : `${ms / 1000} s`);

/** The model as Markdown: the table the README shows, then what it rests on. */
export function renderCapacity(capacity: Capacity): string {
  const { inputs, queues, rows } = capacity;
  const q = queues[0] as QueueFigures;
  const lines = [
    `Capacity of this configuration: ${LANES.length} lanes × ${inputs.shards} shards = ${queues.length} run queues, each with max_batch_size ${q.slots} and max_concurrency ${q.invocations}. All figures are computed (the local broker cannot show them: it runs one batch per queue at a time and has no connection limit)${inputs.objectRunsPerSecond === null ? "" : ", except one tenant's object, measured by the bench (W12)"}.`,
    "",
    "| target latency | messages/s | deliveries at once | runs/s | runs/s, one lane alone | bound by | one tenant, runs/s | bound by |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${latency(r.latencyMs)} | ${n(r.messagesPerSecond)} | ${n(r.concurrent)} | ${n(r.runsPerSecond)} | ${n(r.laneRunsPerSecond)} | ${r.boundBy} | ${n(r.tenantRunsPerSecond)} | ${r.tenantBoundBy} |`,
    ),
    "",
    "How each figure is computed:",
    `- deliveries at once, per queue = max_concurrency (≤ ${L.consumerInvocations.id}) × min(max_batch_size, ${L.connections.id}) = ${q.invocations} × ${q.slots} = ${n(q.concurrent)}; summed over the queues. Conservative: it counts an invocation as busy until its deliveries end. With queue_consumer_no_wait_for_wait_until an invocation returns once its batch is claimed and the queue moves on, so the platform may run more; the model does not count on that.`,
    `- a batch holds at most ${L.batchSize.value} messages (${L.batchSize.id}); the run queues take ${q.slots}, so each claimed run starts at once. A delivery's timeout is cut to what its invocation has left of ${L.consumerWallSeconds.id} less 30 s for the report (900 s becomes about 870 s).`,
    `- messages/s = ${n(L.queueMessages.value)} per queue (${L.queueMessages.id}) × ${queues.length} queues. One message per attempt; retries and re-sends use the same budget.`,
    `- runs/s at latency t = Σ over queues of min(messages/s, deliveries at once ÷ t) (Little's law). "One lane alone": only the ${inputs.shards} queues of one lane carry work (every run has the default priority, medium).`,
    `- one tenant: its runs use one shard of each lane, so the smallest of: one queue (min(${n(q.messagesPerSecond)}, ${n(q.concurrent)} ÷ t)); the consumer's calls to its object (one claim and at most one report per batch of ≤ ${q.slots}: ${n(capacity.tenantObjectCallBound)} runs/s at ${n(L.objectRequests.value)} requests/s, ${L.objectRequests.id}; reports gathered within an isolate make it fewer); its in-flight cap (${n(inputs.tenantMaxInFlight)} ÷ t: the premium tier's; an admin may set another); and its object's own ceiling, ${inputs.objectRunsPerSecond === null ? "not measured yet (W12 in npm run bench; pass --object-runs-per-s)" : `${n(inputs.objectRunsPerSecond)} runs/s measured by W12`}.`,
    `- doubling: QUEUE_SHARDS = ${inputs.shards * 2} (then npm run queues:config and npm run setup) doubles every deployment-wide figure, since each queue brings its own ${L.queueMessages.id} and ${L.consumerInvocations.id}; a tenant's figures stay (it uses one shard per lane).`,
    "",
    "Published limits used (Cloudflare documentation):",
    "",
    "| id | limit | value | source |",
    "|---|---|---|---|",
    ...Object.values(L).map((l) => `| ${l.id} | ${l.what} | ${n(l.value)} | ${l.source} |`),
  ];
  return lines.join("\n");
}
