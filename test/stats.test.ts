import { describe, expect, it } from "vitest";
import type { MinutePoint } from "../src/durable/metrics/minute-stats";
import {
  call,
  callJson,
  createJob,
  createTenant,
  expectProblem,
  sinkUrl,
  uniqueId,
} from "./support/api";
import { has, waitForRuns } from "./support/runs";
import { insideScheduler, sqlIn } from "./support/tenant-object";

type Stats = { window: string; minutes: MinutePoint[] };

describe("per-minute stats for charts", () => {
  it("counts runs finished per minute by status and the fire lag of first attempts", async () => {
    const tenant = await createTenant();
    const ok = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("ok")}`) },
    });
    const bad = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("bad")}`, { status: 500 }) },
      retry: { max_attempts: 1 },
    });
    await waitForRuns(tenant, ok.id, has("succeeded"), "the good run");
    await waitForRuns(tenant, bad.id, has("dead"), "the dead run");

    const hour = await callJson<Stats>("/v1/stats", { token: tenant.token }, 200);
    expect(hour.window).toBe("hour");
    expect(hour.minutes).toHaveLength(60);
    const times = hour.minutes.map((m) => Date.parse(m.minute));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times.at(-1)).toBeGreaterThan(Date.now() - 120_000);
    const sum = (status: string) => hour.minutes.reduce((n, m) => n + (m.runs[status] ?? 0), 0);
    expect(sum("succeeded")).toBe(1);
    expect(sum("dead")).toBe(1);
    const lags = hour.minutes.filter((m) => m.fire_lag_ms.count > 0);
    expect(lags.reduce((n, m) => n + m.fire_lag_ms.count, 0)).toBe(2);
    for (const m of lags) {
      expect(m.fire_lag_ms.p50).toBeGreaterThanOrEqual(0);
      expect(m.fire_lag_ms.p99).toBeGreaterThanOrEqual(m.fire_lag_ms.p50 ?? 0);
    }
    const day = await callJson<Stats>("/v1/stats?window=day", { token: tenant.token }, 200);
    expect(day.minutes).toHaveLength(24 * 60);
    await expectProblem(await call("/v1/stats?window=week", { token: tenant.token }), 400, [
      "query.window",
    ]);
  });

  it("persists the rollups at most every 10 s, keeps them out of /v1/metrics and prunes them after a day", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant);
    await waitForRuns(tenant, job.id, has("succeeded"), "the run");
    await insideScheduler(tenant.id, (s) => {
      const internals = s as unknown as {
        minuteStats: {
          persistIfDue(db: unknown, now: number): void;
          finished(s: string, by: number, now: number): void;
        };
        db: unknown;
      };
      // An old minute, as if recorded two days ago, then a write well past the 10 s cadence.
      internals.minuteStats.finished("succeeded", 5, Date.now() - 2 * 24 * 3600_000);
      internals.minuteStats.persistIfDue(internals.db, Date.now() + 11_000);
    });
    const rows = await sqlIn(
      tenant.id,
      "select labels, value from counters where name = 'minute_stats'",
    );
    // Stored: this minute's run and lag; the two-day-old minute was pruned in the same write.
    expect(rows.some((r) => String(r.labels).endsWith("|run|succeeded"))).toBe(true);
    expect(
      rows.every(
        (r) => String(r.labels) >= new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 16),
      ),
    ).toBe(true);
    const metrics = await (await call("/v1/metrics", { token: tenant.token })).text();
    expect(metrics).not.toContain("minute_stats");
    const hour = await callJson<Stats>("/v1/stats", { token: tenant.token }, 200);
    expect(hour.minutes.reduce((n, m) => n + (m.runs.succeeded ?? 0), 0)).toBe(1);
  });
});
