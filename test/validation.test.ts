/** Input validation: every 4xx is an RFC 9457 problem naming the failing field, and stores nothing. */
import { describe, expect, it } from "vitest";
import { LIMITS } from "../src/domain/limits";
import { ProblemError } from "../src/domain/problem";
import { assertTargetAllowed, isPrivateHost } from "../src/domain/targets";
import {
  type CallOptions,
  call,
  createTenant,
  expectProblem,
  jobBody,
  listAllJobs,
  type TestTenant,
} from "./support/api";

/** POSTs `body` as a new job and expects a problem at `path`; then checks nothing was stored. */
async function rejectsJob(
  tenant: TestTenant,
  body: unknown,
  status: number,
  paths: string[],
  options: CallOptions = {},
) {
  const response = await call("/v1/jobs", { token: tenant.token, body, ...options });
  const problem = await expectProblem(response, status, paths);
  expect(await listAllJobs(tenant)).toEqual([]);
  return problem;
}

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

describe("problem documents", () => {
  it("answers a missing field with type, title, status, detail and errors[].path", async () => {
    const tenant = await createTenant();
    const problem = await rejectsJob(tenant, { name: "no target" }, 400, ["target"]);
    expect(problem).toMatchObject({
      type: expect.stringContaining("validation"),
      title: "Invalid request",
      status: 400,
    });
    expect(problem.detail).toContain("target");
    expect(problem.errors?.[0]).toEqual({ path: "target", message: expect.any(String) });
  });

  it("answers an unknown route with a 404 problem", async () => {
    const tenant = await createTenant();
    await expectProblem(await call("/v1/nothing-here", { token: tenant.token }), 404);
  });

  it("answers malformed JSON with a 400 problem", async () => {
    const tenant = await createTenant();
    const response = await call("/v1/jobs", {
      token: tenant.token,
      method: "POST",
      rawBody: '{"name": "broken",',
      headers: { "content-type": "application/json" },
    });
    const problem = await expectProblem(response, 400);
    expect(problem.detail).toMatch(/malformed|json/i);
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("answers a body that is not declared as JSON with a 415 problem", async () => {
    const tenant = await createTenant();
    const response = await call("/v1/jobs", {
      token: tenant.token,
      method: "POST",
      rawBody: JSON.stringify(jobBody()),
      headers: { "content-type": "text/plain" },
    });
    await expectProblem(response, 415);
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("answers a JSON array instead of an object with a 400 problem at (body)", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, [jobBody()], 400, ["(body)"]);
  });

  it("names invalid query parameters and headers with their location", async () => {
    const tenant = await createTenant();
    await expectProblem(await call("/v1/jobs?limit=0", { token: tenant.token }), 400, [
      "query.limit",
    ]);
    await expectProblem(await call("/v1/jobs?status=sleeping", { token: tenant.token }), 400, [
      "query.status",
    ]);
    await rejectsJob(tenant, jobBody(), 400, ["header.idempotency-key"], {
      headers: { "idempotency-key": "" },
    });
  });

  it("answers a request body over 256 KiB with 413", async () => {
    const tenant = await createTenant();
    const body = jobBody({
      target: { type: "http", url: "https://example.com/", body: "x".repeat(300 * 1024) },
    });
    const problem = await rejectsJob(tenant, body, 413, []);
    expect(problem.detail).toContain(String(LIMITS.maxBodyBytes));
  });

  it("answers a batch body over 8 MiB with 413", async () => {
    const tenant = await createTenant();
    const response = await call("/v1/jobs/batch", {
      token: tenant.token,
      body: { jobs: [jobBody({ name: "x".repeat(LIMITS.maxBatchBodyBytes) })] },
    });
    await expectProblem(response, 413);
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("answers a PATCH body over 256 KiB with 413 and leaves the job unchanged", async () => {
    const tenant = await createTenant();
    const created = await call("/v1/jobs", {
      token: tenant.token,
      body: jobBody({ schedule: { delay_seconds: 3600 } }),
    });
    const job = (await created.json()) as { id: string };
    const before = await (await call(`/v1/jobs/${job.id}`, { token: tenant.token })).json();
    const response = await call(`/v1/jobs/${job.id}`, {
      token: tenant.token,
      method: "PATCH",
      body: { metadata: { big: "x".repeat(300 * 1024) } },
    });
    await expectProblem(response, 413);
    expect(await (await call(`/v1/jobs/${job.id}`, { token: tenant.token })).json()).toEqual(
      before,
    );
  });
});

describe("unknown fields", () => {
  it("rejects an unknown top-level field by name", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody({ colour: "red" }), 400, ["colour"]);
  });

  it("rejects an unknown field inside target, retry and schedule by its full path", async () => {
    const tenant = await createTenant();
    await rejectsJob(
      tenant,
      jobBody({ target: { type: "http", url: "https://example.com/", foo: 1 } }),
      400,
      ["target.foo"],
    );
    await rejectsJob(tenant, jobBody({ retry: { max_attempts: 3, jitter: true } }), 400, [
      "retry.jitter",
    ]);
    await rejectsJob(tenant, jobBody({ schedule: { delay_seconds: 5, every: 3 } }), 400, [
      "schedule.every",
    ]);
  });

  it("rejects an unknown field of a job inside a batch with its index", async () => {
    const tenant = await createTenant();
    const response = await call("/v1/jobs/batch", {
      token: tenant.token,
      body: { jobs: [jobBody(), jobBody({ target: { type: "http", url: "https://a.b/", x: 1 } })] },
    });
    await expectProblem(response, 400, ["jobs[1].target.x"]);
    expect(await listAllJobs(tenant)).toEqual([]);
  });
});

describe("schedules", () => {
  it("rejects an out-of-range cron field at schedule.cron", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody({ schedule: { cron: "61 * * * *" } }), 400, ["schedule.cron"]);
  });

  it("rejects a 7-field cron at schedule.cron", async () => {
    const tenant = await createTenant();
    const problem = await rejectsJob(
      tenant,
      jobBody({ schedule: { cron: "0 0 0 * * * 2026" } }),
      400,
      ["schedule.cron"],
    );
    expect(problem.detail).toContain("got 7");
  });

  it("rejects an unknown time zone at schedule.timezone", async () => {
    const tenant = await createTenant();
    await rejectsJob(
      tenant,
      jobBody({ schedule: { cron: "0 3 * * *", timezone: "Europe/Atlantis" } }),
      400,
      ["schedule.timezone"],
    );
  });

  it("rejects a time zone without a cron at schedule.timezone", async () => {
    const tenant = await createTenant();
    await rejectsJob(
      tenant,
      jobBody({ schedule: { delay_seconds: 10, timezone: "Europe/Berlin" } }),
      400,
      ["schedule.timezone"],
    );
  });

  it("rejects more than one schedule kind, and none, at schedule", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody({ schedule: { cron: "0 3 * * *", delay_seconds: 60 } }), 400, [
      "schedule",
    ]);
    await rejectsJob(tenant, jobBody({ schedule: { at: inSeconds(60), delay_seconds: 60 } }), 400, [
      "schedule",
    ]);
    await rejectsJob(tenant, jobBody({ schedule: {} }), 400, ["schedule"]);
  });

  it("rejects an `at` more than 300 s in the past at schedule.at", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody({ schedule: { at: inSeconds(-301 - 5) } }), 400, [
      "schedule.at",
    ]);
  });

  it("rejects an `at` that is not an RFC 3339 timestamp", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody({ schedule: { at: "tomorrow at noon" } }), 400, [
      "schedule.at",
    ]);
  });

  it("rejects a delay above the maximum, negative or fractional at schedule.delay_seconds", async () => {
    const tenant = await createTenant();
    for (const delay of [LIMITS.maxScheduleAheadSeconds + 1, -1, 1.5]) {
      await rejectsJob(tenant, jobBody({ schedule: { delay_seconds: delay } }), 400, [
        "schedule.delay_seconds",
      ]);
    }
  });
});

describe("job fields", () => {
  it("rejects an unknown priority at priority", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody({ priority: "urgent" }), 400, ["priority"]);
  });

  it("rejects a name longer than 200 characters, and an empty one, at name", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody({ name: "n".repeat(LIMITS.maxNameLength + 1) }), 400, [
      "name",
    ]);
    await rejectsJob(tenant, jobBody({ name: "   " }), 400, ["name"]);
  });

  it("rejects retry settings out of range, naming the field", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody({ retry: { max_attempts: LIMITS.maxAttempts + 1 } }), 400, [
      "retry.max_attempts",
    ]);
    await rejectsJob(
      tenant,
      jobBody({ retry: { initial_backoff_seconds: 10, max_backoff_seconds: 5 } }),
      400,
      ["retry.max_backoff_seconds"],
    );
    await rejectsJob(tenant, jobBody({ timeout_seconds: 0 }), 400, ["timeout_seconds"]);
    await rejectsJob(tenant, jobBody({ catchup_window_seconds: -1 }), 400, [
      "catchup_window_seconds",
    ]);
    await rejectsJob(tenant, jobBody({ overlap: "queue" }), 400, ["overlap"]);
  });
});

describe("metadata", () => {
  it("rejects more than 32 keys, and non-string values, at metadata", async () => {
    const tenant = await createTenant();
    const metadata = Object.fromEntries(
      Array.from({ length: LIMITS.maxMetadataKeys + 1 }, (_, i) => [`k${i}`, "v"]),
    );
    await rejectsJob(tenant, jobBody({ metadata }), 400, ["metadata"]);
    await rejectsJob(tenant, jobBody({ metadata: { n: 1 } }), 400, ["metadata.n"]);
  });
});

describe("targets", () => {
  const target = (fields: Record<string, unknown>) => ({
    target: { type: "http", url: "https://example.com/hook", ...fields },
  });

  it("rejects more than 20 headers at target.headers", async () => {
    const tenant = await createTenant();
    const headers = Object.fromEntries(
      Array.from({ length: LIMITS.maxHeaders + 1 }, (_, i) => [`x-h${i}`, "v"]),
    );
    await rejectsJob(tenant, jobBody(target({ headers })), 400, ["target.headers"]);
  });

  it("accepts exactly 20 headers", async () => {
    const tenant = await createTenant();
    const headers = Object.fromEntries(
      Array.from({ length: LIMITS.maxHeaders }, (_, i) => [`x-h${i}`, "v"]),
    );
    const response = await call("/v1/jobs", {
      token: tenant.token,
      body: jobBody({ ...target({ headers }), schedule: { delay_seconds: 3600 } }),
    });
    expect(response.status).toBe(201);
  });

  it("rejects header names the scheduler sets itself at target.headers", async () => {
    const tenant = await createTenant();
    for (const name of ["webhook-signature", "Webhook-Id", "x-scheduler-run-id", "host"]) {
      await rejectsJob(tenant, jobBody(target({ headers: { [name]: "forged" } })), 400, [
        "target.headers",
      ]);
    }
  });

  it("rejects an invalid header name", async () => {
    const tenant = await createTenant();
    const response = await call("/v1/jobs", {
      token: tenant.token,
      body: jobBody(target({ headers: { "bad header": "v" } })),
    });
    const problem = await expectProblem(response, 400);
    expect(problem.errors?.[0]?.path).toMatch(/^target\.headers/);
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("rejects a target body over 64 KiB at target.body", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody(target({ body: { blob: "x".repeat(65 * 1024) } })), 400, [
      "target.body",
    ]);
  });

  it("rejects a URL that is not http(s) at target.url", async () => {
    const tenant = await createTenant();
    for (const url of ["ftp://example.com/x", "not a url", "javascript:alert(1)"]) {
      await rejectsJob(tenant, jobBody(target({ url })), 400, ["target.url"]);
    }
  });

  it("rejects an unsupported method at target.method", async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody(target({ method: "TRACE" })), 400, ["target.method"]);
  });
});

describe("assertTargetAllowed (production: ALLOW_INSECURE_TARGETS unset)", () => {
  const pathOf = (fn: () => void): string | undefined => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ProblemError) return error.problem.errors?.[0]?.path;
      throw error;
    }
    return undefined;
  };

  it("rejects http: at the given path", () => {
    expect(pathOf(() => assertTargetAllowed("http://example.com/", false, "target.url"))).toBe(
      "target.url",
    );
    expect(
      pathOf(() => assertTargetAllowed("http://example.com/", false, "jobs[3].target.url")),
    ).toBe("jobs[3].target.url");
  });

  it("rejects private and loopback hosts, including IPv4-mapped IPv6 forms", () => {
    for (const url of [
      "https://localhost/",
      "https://localhost./",
      "https://api.localhost/",
      "https://db.internal/",
      "https://127.0.0.1/",
      "https://2130706433/",
      "https://10.2.3.4/",
      "https://172.16.0.1/",
      "https://192.168.1.1/",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/",
      "https://0.0.0.0/",
      "https://[::1]/",
      "https://[fd12:3456::1]/",
      "https://[fe80::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://[::ffff:10.0.0.1]/",
    ]) {
      expect(
        pathOf(() => assertTargetAllowed(url, false, "target.url")),
        url,
      ).toBe("target.url");
    }
  });

  it("allows https: public hosts", () => {
    for (const url of [
      "https://example.com/hook",
      "https://8.8.8.8/",
      "https://172.32.0.1/",
      "https://[2606:4700:4700::1111]/",
      "https://[::ffff:8.8.8.8]/",
    ]) {
      expect(() => assertTargetAllowed(url, false, "target.url"), url).not.toThrow();
    }
  });

  it("allows anything when insecure targets are enabled", () => {
    expect(() => assertTargetAllowed("http://127.0.0.1:8787/", true, "target.url")).not.toThrow();
  });
});

describe("isPrivateHost", () => {
  it("knows the private IPv4 ranges and their edges", () => {
    expect(isPrivateHost("10.0.0.0")).toBe(true);
    expect(isPrivateHost("172.31.255.255")).toBe(true);
    expect(isPrivateHost("172.15.255.255")).toBe(false);
    expect(isPrivateHost("100.127.255.255")).toBe(true);
    expect(isPrivateHost("100.128.0.0")).toBe(false);
    expect(isPrivateHost("192.169.0.1")).toBe(false);
  });

  it("reads bracketed, mixed-case and IPv4-mapped IPv6 hosts", () => {
    expect(isPrivateHost("[::1]")).toBe(true);
    expect(isPrivateHost("FC00::1")).toBe(true);
    expect(isPrivateHost("::ffff:192.168.0.1")).toBe(true);
    expect(isPrivateHost("::ffff:c0a8:1")).toBe(true);
    expect(isPrivateHost("::ffff:808:808")).toBe(false);
    expect(isPrivateHost("2001:db8::1")).toBe(false);
  });

  it("treats names other than localhost and .internal as public (no DNS in Workers)", () => {
    expect(isPrivateHost("LOCALHOST")).toBe(true);
    expect(isPrivateHost("example.com")).toBe(false);
    expect(isPrivateHost("localhost.example.com")).toBe(false);
  });
});
