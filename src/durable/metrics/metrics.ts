/** Renders a tenant's counters and gauges in the Prometheus text exposition format (0.0.4). */
import { JOB_STATUSES } from "../../contract/job";
import { PRIORITIES } from "../../domain/priority";
import { RUN_STATUSES } from "../../domain/run-status";
import { labelKey, SECONDS_BUCKETS } from "./counters";

interface Sample {
  name: string;
  labels: string;
  value: number;
}

const HELP: Record<string, [type: "counter" | "gauge" | "histogram", help: string]> = {
  scheduler_runs: ["gauge", "Runs by current status and priority (dead = dead letters)."],
  scheduler_jobs: ["gauge", "Jobs by status."],
  scheduler_graph_runs: [
    "gauge",
    "Task graph occurrences by status (their tasks are in scheduler_runs).",
  ],
  scheduler_graph_runs_finished_total: [
    "counter",
    "Task graph occurrences that ended, by status (succeeded, failed, cancelled, skipped, missed).",
  ],
  scheduler_runs_finished_total: [
    "counter",
    "Runs that reached a final status, by status and priority.",
  ],
  scheduler_runs_dispatched_total: ["counter", "Attempts sent to a run queue, by priority."],
  scheduler_attempts_total: ["counter", "Finished attempts by outcome and priority."],
  scheduler_fire_lag_seconds: ["histogram", "First attempt start minus scheduled time."],
  scheduler_attempt_duration_seconds: ["histogram", "Duration of finished attempts."],
  scheduler_object_requests_total: [
    "counter",
    "Requests (RPC calls and alarms) served by the tenant's object.",
  ],
  scheduler_requests_rate_limited_total: [
    "counter",
    "Requests answered 429: over the tier's request rate, or too many failed authentications.",
  ],
  scheduler_sqlite_rows_read_total: ["counter", "SQLite rows read by the tenant's object."],
  scheduler_sqlite_rows_written_total: ["counter", "SQLite rows written by the tenant's object."],
  scheduler_runs_in_flight: ["gauge", "Runs queued or running."],
  scheduler_max_in_flight: ["gauge", "The tenant's cap on runs queued or running."],
  scheduler_pool_runs_waiting: [
    "gauge",
    "Worker runs waiting for a claim (due now or later), by pool.",
  ],
  scheduler_workers: ["gauge", "Pull workers by state (active, draining, stale)."],
  scheduler_flow_key_runs_waiting: [
    "gauge",
    "Runs pending or retrying per flow key: the 10 keys with most, then (no key) and (other keys) summed.",
  ],
  scheduler_flow_key_runs_in_flight: [
    "gauge",
    "Runs queued or running per flow key, for the same keys as scheduler_flow_key_runs_waiting.",
  ],
  scheduler_flow_key_max_running: [
    "gauge",
    "The max_running limit (own or the tenant's default) of the keys shown, where they have one.",
  ],
  scheduler_flow_key_rate_tokens: [
    "gauge",
    "Runs the rate limit (own or the tenant's default) lets start now, for the keys shown with a rate.",
  ],
  scheduler_destination_runs_in_flight: [
    "gauge",
    "Runs queued or running per destination host with limits: the 10 with most, then (other destinations) summed.",
  ],
  scheduler_destination_max_running: [
    "gauge",
    "The max_running limit of the destinations shown, where they have one.",
  ],
  scheduler_destination_rate_tokens: [
    "gauge",
    "Runs the rate limit lets start now, for the destinations shown with a rate.",
  ],
  scheduler_worker_claim_lag_seconds: [
    "histogram",
    "Ready (due or retry time) to claimed, for worker runs, by pool.",
  ],
};

function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, "");
}

const LE_LABEL = /(?:^|,)le="([^"]*)"/;

/** A sample's labels without `le` (a histogram series' identity). */
function seriesLabels(labels: string): string {
  return labels.replace(LE_LABEL, "").replace(/^,/, "");
}

/** The numeric `le` of a bucket (NaN for other samples). */
function upperBound(labels: string): number {
  const le = LE_LABEL.exec(labels)?.[1];
  return le === undefined ? Number.NaN : le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
}

/**
 * A histogram's buckets as the format requires: every bucket of every series (an observation adds
 * only the buckets it falls into, so a missing row is exactly 0), `le` last and in numeric order.
 */
function histogramSamples(name: string, list: Sample[]): Sample[] {
  const bucketName = `${name}_bucket`;
  const present = new Set(
    list
      .filter((s) => s.name === bucketName)
      .map((s) => `${seriesLabels(s.labels)}|${upperBound(s.labels)}`),
  );
  const series = new Set(
    list
      .filter((s) => s.name === bucketName || s.name === `${name}_count`)
      .map((s) => seriesLabels(s.labels)),
  );
  const bounds = [...SECONDS_BUCKETS, Number.POSITIVE_INFINITY];
  const filled = list.map((s) =>
    s.name === bucketName
      ? { ...s, labels: withLe(seriesLabels(s.labels), upperBound(s.labels)) }
      : s,
  );
  for (const labels of series)
    for (const le of bounds)
      if (!present.has(`${labels}|${le}`))
        filled.push({ name: bucketName, labels: withLe(labels, le), value: 0 });
  return filled;
}

function withLe(labels: string, le: number): string {
  return [labels, `le="${le === Number.POSITIVE_INFINITY ? "+Inf" : le}"`]
    .filter(Boolean)
    .join(",");
}

/** Name, then series, then buckets in increasing `le`. */
function compareSamples(a: Sample, b: Sample): number {
  return (
    a.name.localeCompare(b.name, "en") ||
    seriesLabels(a.labels).localeCompare(seriesLabels(b.labels), "en") ||
    (upperBound(a.labels) || 0) - (upperBound(b.labels) || 0)
  );
}

export function renderMetrics(tenantId: string, samples: Sample[]): string {
  const byFamily = new Map<string, Sample[]>();
  for (const sample of samples) {
    const key = HELP[sample.name] ? sample.name : family(sample.name);
    byFamily.set(key, [...(byFamily.get(key) ?? []), sample]);
  }
  const lines: string[] = [];
  for (const [name, list] of [...byFamily].sort(([a], [b]) => a.localeCompare(b))) {
    const [type, help] = HELP[name] ?? ["untyped", name];
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const sorted = (type === "histogram" ? histogramSamples(name, list) : [...list]).sort(
      compareSamples,
    );
    for (const s of sorted) {
      const labels = [`tenant="${tenantId}"`, s.labels].filter(Boolean).join(",");
      lines.push(
        `${s.name}{${labels}} ${Number.isInteger(s.value) ? s.value : s.value.toFixed(6)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The tenant's metrics page: its stored and buffered `samples`, every run and job status of the
 * gauges, and the in-flight gauges.
 */
export function renderTenantMetrics(
  tenantId: string,
  samples: Sample[],
  now: {
    inFlight: number;
    maxInFlight: number;
    gauges: { name: string; labels: Record<string, string>; value: number }[];
  },
): string {
  // Gauges list every status, zeros included: a missing series reads as stale, not as 0.
  const present = new Set(samples.map((s) => `${s.name}{${s.labels}}`));
  const zero = (name: string, labels: Record<string, string>) => {
    const key = labelKey(labels);
    if (!present.has(`${name}{${key}}`)) samples.push({ name, labels: key, value: 0 });
  };
  for (const status of RUN_STATUSES)
    for (const priority of PRIORITIES) zero("scheduler_runs", { status, priority });
  for (const status of JOB_STATUSES) zero("scheduler_jobs", { status });
  samples.push({ name: "scheduler_runs_in_flight", labels: "", value: now.inFlight });
  samples.push({ name: "scheduler_max_in_flight", labels: "", value: now.maxInFlight });
  for (const g of now.gauges)
    samples.push({ name: g.name, labels: labelKey(g.labels), value: g.value });
  return renderMetrics(tenantId, samples);
}
