/**
 * The Grafana dashboard (docs/grafana/edge-scheduler-dashboard.json) and the Analytics Engine
 * queries (docs/grafana/analytics-engine.sql) name only what the scheduler really produces: every
 * metric in a panel appears in real `/v1/metrics` (or `/v1/admin/metrics`) output after a tenant
 * has had runs, a dead letter and a 429; every column a query reads is in the consumer's data point.
 */
import { describe, expect, it } from "vitest";
import analyticsSql from "../docs/grafana/analytics-engine.sql?raw";
import dashboard from "../docs/grafana/edge-scheduler-dashboard.json";
import { toDataPoint } from "../src/observability/analytics";
import { ADMIN_TOKEN, call, createJob, createTenant, sinkUrl, waitFor } from "./support/api";
import { has, waitForRuns } from "./support/runs";

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}

const expressions = (dashboard.panels as Panel[]).flatMap((p) =>
  (p.targets ?? []).map((t) => t.expr),
);

/** Sample names of a Prometheus text page. */
const sampleNames = (text: string) =>
  new Set(
    text
      .split("\n")
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0]),
  );

describe("Grafana dashboard", () => {
  it("is a Grafana dashboard over a Prometheus data source, every panel with a query", () => {
    expect(dashboard.uid).toBe("edge-scheduler");
    const panels = (dashboard.panels as Panel[]).filter((p) => p.type !== "row");
    expect(panels.length).toBeGreaterThanOrEqual(10);
    for (const panel of panels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    // The list: fire lag, outcomes, in flight, dead letters, 429s per tenant.
    const all = expressions.join("\n");
    for (const needed of [
      "scheduler_fire_lag_seconds_bucket",
      "scheduler_attempts_total",
      "scheduler_runs_in_flight",
      'status="dead"',
      "scheduler_requests_rate_limited_total",
    ])
      expect(all).toContain(needed);
  });

  it("uses only metric names that real /v1/metrics and /v1/admin/metrics output contains", async () => {
    // The free tier (120 requests a minute) reaches a 429 quickly.
    const tenant = await createTenant({ tier: "free" });
    const ok = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/dash-ok-${tenant.id}`) },
    });
    const dead = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/dash-dead-${tenant.id}`, { status: 500 }) },
      retry: { max_attempts: 1 },
    });
    await waitForRuns(tenant, ok.id, has("succeeded"), "a succeeded run");
    await waitForRuns(tenant, dead.id, has("dead"), "a dead letter");

    let limited = 0;
    for (let i = 0; i < 200 && limited === 0; i++) {
      const response = await call("/v1/jobs?limit=1", { token: tenant.token });
      await response.arrayBuffer();
      if (response.status === 429) limited++;
    }
    expect(limited).toBe(1);
    // The scrape itself waits for a token (one every 0.5 s on the free tier).
    const metrics = await waitFor(async () => {
      const response = await call("/v1/metrics", { token: tenant.token });
      const text = await response.text();
      return response.status === 200 && text;
    }, "a metrics page");
    const admin = await (await call("/v1/admin/metrics", { token: ADMIN_TOKEN })).text();
    const served = new Set([...sampleNames(metrics), ...sampleNames(admin)]);
    expect(served.has("scheduler_requests_rate_limited_total")).toBe(true);

    const used = new Set(expressions.flatMap((e) => e.match(/\bscheduler_[a-z_]+\b/g) ?? []));
    expect(used.size).toBeGreaterThanOrEqual(10);
    const missing = [...used].filter((name) => !served.has(name));
    expect(missing, `dashboard metrics missing from the output:\n${metrics}`).toEqual([]);
    expect(metrics).toMatch(/scheduler_runs\{tenant="[^"]+",priority="medium",status="dead"\} 1/);
  });
});

describe("Analytics Engine queries", () => {
  it("read only columns the consumer writes, from the dataset in wrangler.toml", () => {
    const point = toDataPoint({
      tenant_id: "t",
      job_id: "j",
      run_id: "r",
      priority: "high",
      outcome: "succeeded",
      attempt: 1,
      fire_lag_ms: 1,
      duration_ms: 1,
      status_code: 200,
    });
    const available = new Set([
      ...(point.blobs ?? []).map((_, i) => `blob${i + 1}`),
      ...(point.doubles ?? []).map((_, i) => `double${i + 1}`),
      ...(point.indexes ?? []).map((_, i) => `index${i + 1}`),
    ]);
    const queries = analyticsSql
      .split("\n")
      .filter((line) => !line.trim().startsWith("--"))
      .join("\n");
    const used = new Set(queries.match(/\b(?:blob|double|index)\d+\b/g) ?? []);
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((column) => !available.has(column))).toEqual([]);
    const datasets = new Set(
      [...queries.matchAll(/\bFROM\s+([a-z_]+)/gi)].map((m) => m[1] as string),
    );
    // wrangler.toml: [[analytics_engine_datasets]] dataset = "scheduler_attempts"
    expect([...datasets]).toEqual(["scheduler_attempts"]);
    expect(analyticsSql.match(/-- name: /g)?.length).toBeGreaterThanOrEqual(5);
  });
});
