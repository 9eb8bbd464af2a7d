/**
 * Flow-control metrics: per flow key and per destination, the top 10 by name and the rest summed,
 * so a tenant with many keys still gives a bounded number of series.
 */
import { describe, expect, it } from "vitest";
import {
  flowGauges,
  NO_KEY,
  OTHER_DESTINATIONS,
  OTHER_KEYS,
} from "../src/durable/metrics/flow-gauges";
import { call, callJson, createTenant, setTenant, type TestTenant, waitFor } from "./support/api";
import { createWorkerJobs } from "./support/workers";

/** The samples of one metric family as `label value → value`, from /v1/metrics. */
async function series(tenant: TestTenant, name: string, label: string) {
  const text = await (await call("/v1/metrics", { token: tenant.token })).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const value = new RegExp(`${label}="([^"]*)"`).exec(line)?.[1];
    if (value !== undefined) out.set(value, Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return out;
}

describe("flow-control gauges", () => {
  it("name the 10 keys with most waiting runs and sum the rest, with (no key) apart", () => {
    const keys = new Map<string, { waiting: number; inFlight: number }>();
    for (let i = 0; i < 15; i++) keys.set(`k${i}`, { waiting: i, inFlight: 1 });
    keys.set("", { waiting: 7, inFlight: 2 });
    const gauges = flowGauges({
      keys,
      keyState: (key) =>
        key === "k14"
          ? { limits: { max_running: 3, rate: { limit: 5, period_seconds: 1 } }, tokens: 4 }
          : { limits: undefined, tokens: null },
      destinations: [],
    });
    const waiting = gauges.filter((g) => g.name === "scheduler_flow_key_runs_waiting");
    expect(waiting.map((g) => g.labels.key)).toEqual([
      "k14",
      "k13",
      "k12",
      "k11",
      "k10",
      "k9",
      "k8",
      "k7",
      "k6",
      "k5",
      NO_KEY,
      OTHER_KEYS,
    ]);
    expect(waiting.at(-1)?.value).toBe(0 + 1 + 2 + 3 + 4);
    expect(waiting.at(-2)?.value).toBe(7);
    const inFlight = gauges.filter((g) => g.name === "scheduler_flow_key_runs_in_flight");
    expect(inFlight.reduce((sum, g) => sum + g.value, 0)).toBe(15 + 2);
    expect(
      gauges.filter((g) => g.name.endsWith("max_running") || g.name.endsWith("tokens")),
    ).toEqual([
      { name: "scheduler_flow_key_max_running", labels: { key: "k14" }, value: 3 },
      { name: "scheduler_flow_key_rate_tokens", labels: { key: "k14" }, value: 4 },
    ]);
  });

  it("name the 10 destinations with most in flight and sum the rest", () => {
    const destinations = Array.from({ length: 12 }, (_, i) => ({
      host: `h${String(i).padStart(2, "0")}.example.com`,
      inFlight: i,
      state: { limits: { max_running: 20 }, tokens: null },
    }));
    const gauges = flowGauges({
      keys: new Map(),
      keyState: () => ({ limits: undefined, tokens: null }),
      destinations,
    });
    const inFlight = gauges.filter((g) => g.name === "scheduler_destination_runs_in_flight");
    expect(inFlight).toHaveLength(11);
    expect(inFlight[0]).toMatchObject({ labels: { destination: "h11.example.com" }, value: 11 });
    expect(inFlight.at(-1)).toEqual({
      name: "scheduler_destination_runs_in_flight",
      labels: { destination: OTHER_DESTINATIONS },
      value: 0 + 1,
    });
    expect(gauges.filter((g) => g.name === "scheduler_destination_max_running")).toHaveLength(10);
  });

  it("are served on /v1/metrics: the top keys by waiting runs, (other keys) summed, limits and rate tokens", async () => {
    const tenant = await createTenant({ tier: "premium" });
    await setTenant(tenant, { max_in_flight: 100 });
    // Worker runs nobody claims: they wait, key k<i> with i + 1 of them.
    for (let i = 0; i < 12; i++)
      await createWorkerJobs(tenant, "metrics", i + 1, { flow_key: `k${i}` });
    await createWorkerJobs(tenant, "metrics", 2);
    await callJson(
      "/v1/flow-keys/k11",
      {
        token: tenant.token,
        method: "PUT",
        body: { max_running: 4, rate: { limit: 6, period_seconds: 60 } },
      },
      200,
    );
    await callJson(
      "/v1/destinations/api.example.com",
      { token: tenant.token, method: "PUT", body: { max_running: 9 } },
      200,
    );

    const waiting = await waitFor(async () => {
      const s = await series(tenant, "scheduler_flow_key_runs_waiting", "key");
      const total = [...s.values()].reduce((sum, v) => sum + v, 0);
      return total === 78 + 2 && s;
    }, "every waiting run counted under its key");
    expect([...waiting.keys()].sort()).toEqual(
      [NO_KEY, OTHER_KEYS, ...Array.from({ length: 10 }, (_, i) => `k${i + 2}`)].sort(),
    );
    expect(waiting.get(OTHER_KEYS)).toBe(1 + 2);
    expect(waiting.get(NO_KEY)).toBe(2);
    expect(waiting.get("k11")).toBe(12);
    expect(await series(tenant, "scheduler_flow_key_max_running", "key")).toEqual(
      new Map([["k11", 4]]),
    );
    expect(await series(tenant, "scheduler_flow_key_rate_tokens", "key")).toEqual(
      new Map([["k11", 6]]),
    );
    expect(await series(tenant, "scheduler_destination_runs_in_flight", "destination")).toEqual(
      new Map([
        ["api.example.com", 0],
        [OTHER_DESTINATIONS, 0],
      ]),
    );
    expect(await series(tenant, "scheduler_destination_max_running", "destination")).toEqual(
      new Map([["api.example.com", 9]]),
    );
  });
});
