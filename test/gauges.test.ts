import { describe, expect, it } from "vitest";
import {
  call,
  callJson,
  createTenant,
  jobBody,
  setTenant,
  sinkUrl,
  uniqueId,
  waitFor,
} from "./support/api";
import { sqlIn } from "./support/tenant-object";

/** The `scheduler_runs` gauge per status, summed over priorities, read from /v1/metrics. */
async function gauge(token: string): Promise<Record<string, number>> {
  const text = await (await call("/v1/metrics", { token })).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^scheduler_runs\{[^}]*status="(\w+)"[^}]*\} (-?\d+)$/gm)) {
    out[match[1] as string] = (out[match[1] as string] ?? 0) + Number(match[2]);
  }
  return out;
}

describe("gauges kept in transactions", () => {
  it("match the stored runs at every step of a burst and never pass the in-flight cap", async () => {
    const tenant = await createTenant();
    await setTenant(tenant, { max_in_flight: 5 });
    const path = `/${uniqueId("gauge")}`;
    const jobs = Array.from({ length: 40 }, (_, i) =>
      jobBody({ name: `g${i}`, target: { type: "http", url: sinkUrl(path, { delay_ms: 50 }) } }),
    );
    await callJson("/v1/jobs/batch", { token: tenant.token, body: { jobs } }, 201);
    await waitFor(
      async () => {
        const g = await gauge(tenant.token);
        expect((g.queued ?? 0) + (g.running ?? 0)).toBeLessThanOrEqual(5);
        for (const value of Object.values(g)) expect(value).toBeGreaterThanOrEqual(0);
        return g.succeeded === 40;
      },
      "all runs to succeed",
      30_000,
    );
    const stored = await sqlIn(tenant.id, "select status, count(*) as n from runs group by status");
    const g = await gauge(tenant.token);
    for (const row of stored) expect(g[row.status as string]).toBe(Number(row.n));
    expect(Object.entries(g).filter(([, v]) => v !== 0)).toEqual([["succeeded", 40]]);
  });
});
