// Estimated cost per million fired runs at Cloudflare list prices (Workers Paid, usage beyond the
// included amounts), from the per-run counters the tenant's object exposes (see perRun in
// workloads/common.ts).
import type { Target } from "./report.ts";

/** USD per million units. */
export const PRICES_USD_PER_MILLION = {
  rows_written: 1.0, // Durable Objects SQLite storage, rows written
  rows_read: 0.001, // Durable Objects SQLite storage, rows read
  object_requests: 0.15, // Durable Objects requests (RPC calls and alarms)
  queue_operations: 0.4, // Queues operations (each 64 KB written, read or deleted)
  worker_requests: 0.3, // Workers requests
} as const;

export type CostTerm = keyof typeof PRICES_USD_PER_MILLION;

export const COST_FORMULA =
  "cost_per_million_usd = rows_written × 1.00 + rows_read × 0.001 + object_requests × 0.15 + queue_operations × 0.40 + worker_requests × 0.30";

/** A run message is written, read and deleted once: three queue operations (messages are < 64 KB). */
export const QUEUE_OPERATIONS_PER_MESSAGE = 3;

/** What the estimate counts and leaves out; printed with the results. */
export const COST_ASSUMPTIONS = [
  "All terms are per fired run, measured between the end of job creation and the last delivery (creation requests and the rows they write are outside the window).",
  "rows_written, rows_read, object_requests: growth of the tenant's scheduler_sqlite_rows_written_total, scheduler_sqlite_rows_read_total and scheduler_object_requests_total ÷ runs delivered.",
  `queue_operations: growth of scheduler_runs_dispatched_total (messages sent to a run queue, re-sends included) ÷ runs delivered × ${QUEUE_OPERATIONS_PER_MESSAGE} (write, read, delete). Redeliveries by the queue itself (message.retry() after a failed claim) are not counted; none are expected in the bench.`,
  "worker_requests: 0. Queue consumer invocations are counted as 0 (assumed covered by Queues pricing, not billed as $0.30/M Worker requests), and no workload makes an API request per run inside the window.",
  "Not included: Durable Object duration (GB-s), Workers CPU time, stored data (GB-month), the monthly plan fee and included amounts.",
];

export interface CostEstimate {
  /** Estimated USD per million fired runs. */
  usd: number;
  /** Billable units per fired run, the inputs of the formula. */
  per_run: Record<CostTerm, number>;
  /** USD per million fired runs contributed by each term (per_run × price). */
  usd_by_term: Record<CostTerm, number>;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The estimate from a workload's `per_run` figures (keys as perRun makes them); null when they are
 * unknown. `workerRequestsPerRun` is 0 unless a workload makes API requests per run.
 */
export function costPerMillion(
  perRun: Record<string, number> | null | undefined,
  workerRequestsPerRun = 0,
): CostEstimate | null {
  if (!perRun) return null;
  const units: Record<CostTerm, number> = {
    rows_written: perRun.sqlite_rows_written ?? Number.NaN,
    rows_read: perRun.sqlite_rows_read ?? Number.NaN,
    object_requests: perRun.object_requests ?? Number.NaN,
    queue_operations: round3((perRun.runs_dispatched ?? Number.NaN) * QUEUE_OPERATIONS_PER_MESSAGE),
    worker_requests: workerRequestsPerRun,
  };
  if (Object.values(units).some((x) => !Number.isFinite(x))) return null;
  const terms = Object.keys(units) as CostTerm[];
  const usdByTerm = Object.fromEntries(
    terms.map((t) => [t, round3(units[t] * PRICES_USD_PER_MILLION[t])]),
  ) as Record<CostTerm, number>;
  const usd = round3(terms.reduce((sum, t) => sum + units[t] * PRICES_USD_PER_MILLION[t], 0));
  return { usd, per_run: units, usd_by_term: usdByTerm };
}

/** The cost targets for W1 and W2: ≤ $8 per million runs and ≤ 6 rows written per run. */
export function costTargets(cost: CostEstimate | null): Target[] {
  const usd = cost?.usd ?? null;
  const written = cost?.per_run.rows_written ?? null;
  return [
    {
      name: "cost per million runs USD",
      value: usd,
      target: "<= 8",
      met: usd !== null && usd <= 8,
    },
    {
      name: "rows written per fired run",
      value: written,
      target: "<= 6",
      met: written !== null && written <= 6,
    },
  ];
}
