/** Renders a tenant's counters and gauges in the Prometheus text exposition format (0.0.4). */

interface Sample {
  name: string;
  labels: string;
  value: number;
}

const HELP: Record<string, [type: "counter" | "gauge" | "histogram", help: string]> = {
  scheduler_runs: ["gauge", "Runs by current status and priority (dead = dead letters)."],
  scheduler_jobs: ["gauge", "Jobs by status."],
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
  scheduler_sqlite_rows_read_total: ["counter", "SQLite rows read by the tenant's object."],
  scheduler_sqlite_rows_written_total: ["counter", "SQLite rows written by the tenant's object."],
  scheduler_runs_in_flight: ["gauge", "Runs queued or running."],
  scheduler_max_in_flight: ["gauge", "The tenant's cap on runs queued or running."],
};

function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, "");
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
    const sorted = [...list].sort((a, b) =>
      `${a.name}{${a.labels}}`.localeCompare(`${b.name}{${b.labels}}`, "en"),
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
