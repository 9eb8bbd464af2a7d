/**
 * The CLI's flow control: `flow-keys`, `destinations`, `--flow-key` on jobs, waiting reasons in
 * `runs get/list`, and a tenant's default flow limits, run as child processes against `npm run dev`.
 */
import { describe, expect, it } from "vitest";
import { limitsFromFlags, limitsText, parseRate } from "../cli/flow-limits.ts";
import { UsageError } from "../cli/output.ts";
import { cli, cliJson, tenantToken } from "./support/cli-runner.ts";
import { sinkUrl, uniqueId, waitFor } from "./support/fixtures.ts";

describe("limit flags", () => {
  it("become the API's limits: --max-running, --rate LIMIT/PERIOD, --burst", () => {
    expect(limitsFromFlags({ "max-running": "2" })).toEqual({ max_running: 2 });
    expect(limitsFromFlags({ rate: "10/1s", burst: "20" })).toEqual({
      rate: { limit: 10, period_seconds: 1, burst: 20 },
    });
    expect(limitsFromFlags({ "default-rate": "600/1m" }, "default-")).toEqual({
      rate: { limit: 600, period_seconds: 60 },
    });
    expect(parseRate("5/30", "rate")).toEqual({ limit: 5, period_seconds: 30 });
    expect(parseRate("100/s", "rate")).toEqual({ limit: 100, period_seconds: 1 });
    expect(parseRate("1/2h", "rate")).toEqual({ limit: 1, period_seconds: 7200 });
    expect(limitsFromFlags({})).toBeUndefined();
    expect(limitsText({ max_running: 2, rate: { limit: 600, period_seconds: 60 } })).toBe(
      "max 2 running, 600/1m burst 600",
    );
    expect(limitsText(null)).toBe("none");
  });

  it("refuses malformed ones before any request", () => {
    for (const values of [
      { rate: "fast" },
      { rate: "10" },
      { burst: "5" },
      { "max-running": "two" },
      { "max-running": "-1" },
      { rate: "10/1s", burst: "1.5" },
    ])
      expect(() => limitsFromFlags(values)).toThrow(UsageError);
  });
});

describe("edge-scheduler flow control", () => {
  it("sets, shows, lists and deletes a flow key's limits; a run over them waits, and runs get/list say why", async () => {
    const token = await tenantToken();
    const key = uniqueId("customer");
    const set = await cli(["flow-keys", "set", key, "--rate", "1/1h", "--burst", "1"], { token });
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^limits\s+1\/1h burst 1$/m);
    expect(set.stdout).toMatch(/^limits from\s+its own$/m);

    const job = await cliJson(
      ["jobs", "create", "--target", sinkUrl(), "--cron", "0 3 * * *", "--flow-key", key],
      token,
    );
    expect(job.flow_key).toBe(key);
    expect((await cli(["jobs", "get", job.id], { token })).stdout).toMatch(
      new RegExp(`^flow key\\s+${key}$`, "m"),
    );
    const first = await cliJson(["jobs", "trigger", job.id], token);
    const second = await cliJson(["jobs", "trigger", job.id], token);
    expect([first.flow_key, second.flow_key]).toEqual([key, key]);
    // One start an hour: the first run takes the token, the second waits for the key.
    const waiting = await waitFor(async () => {
      const runs = await Promise.all(
        [first, second].map((r) => cliJson(["runs", "get", r.id], token)),
      );
      return runs.some((r) => r.status === "succeeded") && runs.find((r) => r.waiting_reason);
    }, "one run to succeed and the other to wait for its key");
    expect(waiting).toMatchObject({ status: "pending", waiting_reason: "flow_key" });
    const shown = await cli(["runs", "get", waiting.id], { token });
    expect(shown.stdout).toMatch(
      new RegExp(`^waiting on\\s+its flow key's limits \\(flow-keys get ${key}\\)$`, "m"),
    );
    const listed = await cli(["runs", "list"], { token });
    expect(listed.stdout).toMatch(/WAITING ON\s+FLOW KEY/);
    expect(listed.stdout).toMatch(new RegExp(`${waiting.id}.*flow_key\\s+${key}`));

    const got = await cli(["flow-keys", "get", key], { token });
    expect(got.stdout).toMatch(/^waiting\s+1$/m);
    expect(got.stdout).toMatch(/^rate tokens\s+0 of 1$/m);
    const keys = await cli(["flow-keys", "list"], { token });
    expect(keys.stdout).toMatch(/^KEY\s+LIMITS\s+FROM\s+RUNNING\s+WAITING\s+RATE TOKENS/);
    expect(keys.stdout).toMatch(
      new RegExp(`^${key}\\s+1/1h burst 1\\s+own\\s+0\\s+1\\s+0 of 1`, "m"),
    );

    const removed = await cli(["flow-keys", "delete", key], { token });
    expect(removed).toMatchObject({ code: 0, stdout: `removed the limits of flow key ${key}\n` });
    await waitFor(
      async () => (await cliJson(["runs", "get", waiting.id], token)).status === "succeeded",
      "the waiting run to start once the key has no limits",
    );
    expect((await cli(["flow-keys", "delete", key], { token })).code).toBe(2);
  });

  it("moves a job to another flow key or none; a trigger may name its own", async () => {
    const token = await tenantToken();
    const job = await cliJson(
      ["jobs", "create", "--target", sinkUrl(), "--cron", "0 3 * * *", "--flow-key", "a"],
      token,
    );
    expect((await cliJson(["jobs", "update", job.id, "--flow-key", "b"], token)).flow_key).toBe(
      "b",
    );
    expect((await cliJson(["jobs", "trigger", job.id, "--flow-key", "c"], token)).flow_key).toBe(
      "c",
    );
    expect((await cliJson(["jobs", "trigger", job.id, "--no-flow-key"], token)).flow_key).toBe(
      null,
    );
    expect((await cliJson(["jobs", "update", job.id, "--no-flow-key"], token)).flow_key).toBe(null);
    const both = await cli(["jobs", "trigger", job.id, "--flow-key", "c", "--no-flow-key"], {
      token,
    });
    expect(both.code).toBe(1);
    const blank = await cli(["jobs", "update", job.id, "--flow-key", "has space"], { token });
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain("flow_key");
  });

  it("caps a destination host; refuses a bad host or limit naming the field", async () => {
    const token = await tenantToken();
    const host = new URL(sinkUrl()).host;
    const set = await cliJson(
      ["destinations", "set", host, "--max-running", "20", "--rate", "100/1s"],
      token,
    );
    expect(set).toMatchObject({
      host,
      own_limits: true,
      limits: { max_running: 20, rate: { limit: 100, period_seconds: 1 } },
    });
    const listed = await cli(["destinations", "list"], { token });
    expect(listed.stdout).toMatch(/^HOST\s+LIMITS\s+FROM\s+RUNNING\s+RATE TOKENS/);
    expect(listed.stdout).toContain(host);
    expect(listed.stdout).not.toContain("WAITING");
    expect((await cli(["destinations", "get", host], { token })).stdout).toMatch(
      /^running\s+0 of 20$/m,
    );
    const bad = await cli(["destinations", "set", host, "--rate", "100/2h"], { token });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("rate.period_seconds");
    const upper = await cli(["destinations", "set", "API.Example.com", "--max-running", "1"], {
      token,
    });
    expect(upper.code).toBe(2);
    expect((await cli(["destinations", "set", host], { token })).code).toBe(1);
    expect((await cli(["destinations", "delete", host], { token })).code).toBe(0);
  });

  it("sets and removes a tenant's default flow limits (admin), which keys without their own follow", async () => {
    const tenant = await cliJson(["tenants", "create", "--name", "Flow", "--id", uniqueId("cli")]);
    const updated = await cli([
      "tenants",
      "update",
      tenant.id,
      "--default-max-running",
      "5",
      "--default-rate",
      "60/1m",
    ]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/^default flow limits\s+max 5 running, 60\/1m burst 60$/m);
    const key = await cliJson(["flow-keys", "get", "anyone"], tenant.token);
    expect(key).toMatchObject({ own_limits: false, limits: { max_running: 5 } });
    expect((await cli(["flow-keys", "get", "anyone"], { token: tenant.token })).stdout).toMatch(
      /^limits from\s+the tenant's default_flow_limits$/m,
    );
    const cleared = await cliJson(["tenants", "update", tenant.id, "--no-default-flow-limits"]);
    expect(cleared.default_flow_limits).toBeNull();
    const both = await cli([
      "tenants",
      "update",
      tenant.id,
      "--default-max-running",
      "5",
      "--no-default-flow-limits",
    ]);
    expect(both.code).toBe(1);
  });
});
