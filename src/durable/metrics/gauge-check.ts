/**
 * Recomputes the `scheduler_runs`, `scheduler_graph_runs` and `scheduler_jobs` gauges from the rows they count and repairs
 * any that drifted. Quotas and the in-flight cap read these gauges, so a drift (a bug, a crash
 * between statements of an older version) would lock a tenant out or let it pass its cap. Run once
 * when the object starts: one grouped scan of each table, and no writes unless something drifted.
 */
import { logError } from "../../observability/log";
import { labelKey } from "./counters";

export interface GaugeCorrection {
  name: string;
  labels: string;
  stored: number;
  actual: number;
}

type Sql = DurableObjectStorage["sql"];

function actualCounts(sql: Sql): Map<string, { name: string; labels: string; value: number }> {
  const actual = new Map<string, { name: string; labels: string; value: number }>();
  const put = (name: string, labels: Record<string, string>, value: number) => {
    const key = labelKey(labels);
    actual.set(`${name}{${key}}`, { name, labels: key, value });
  };
  for (const row of sql.exec<{ status: string; priority: string; n: number }>(
    "select status, priority, count(*) as n from runs where parent_id is null or parent_id != id group by status, priority",
  ))
    put("scheduler_runs", { status: row.status, priority: row.priority }, row.n);
  // Graph occurrences (they name themselves as parent) have a gauge of their own.
  for (const row of sql.exec<{ status: string; n: number }>(
    "select status, count(*) as n from runs where parent_id = id group by status",
  ))
    put("scheduler_graph_runs", { status: row.status }, row.n);
  for (const row of sql.exec<{ status: string; n: number }>(
    "select status, count(*) as n from jobs group by status",
  ))
    put("scheduler_jobs", { status: row.status }, row.n);
  return actual;
}

/** Makes the stored gauges equal the stored rows; returns what it corrected. */
export function reconcileGauges(sql: Sql): GaugeCorrection[] {
  const actual = actualCounts(sql);
  const stored = sql
    .exec<{ name: string; labels: string; value: number }>(
      "select name, labels, value from counters where name in ('scheduler_runs', 'scheduler_jobs', 'scheduler_graph_runs')",
    )
    .toArray();
  const corrections: GaugeCorrection[] = [];
  for (const row of stored) {
    const id = `${row.name}{${row.labels}}`;
    const value = actual.get(id)?.value ?? 0;
    actual.delete(id);
    if (value !== row.value)
      corrections.push({ name: row.name, labels: row.labels, stored: row.value, actual: value });
  }
  for (const row of actual.values())
    if (row.value !== 0)
      corrections.push({ name: row.name, labels: row.labels, stored: 0, actual: row.value });
  for (const c of corrections) {
    sql.exec(
      "insert into counters (name, labels, value) values (?, ?, ?) on conflict (name, labels) do update set value = excluded.value",
      c.name,
      c.labels,
      c.actual,
    );
  }
  return corrections;
}

/** Repairs drifted gauges in one transaction and logs what it corrected, if anything. */
export function repairGauges(
  storage: DurableObjectStorage,
  tenantId: () => string | undefined,
): void {
  const corrections = storage.transactionSync(() => reconcileGauges(storage.sql));
  if (corrections.length) {
    logError("gauges.repaired", {
      tenant_id: tenantId(),
      corrections: corrections.map((c) => `${c.name}{${c.labels}} ${c.stored} -> ${c.actual}`),
    });
  }
}
