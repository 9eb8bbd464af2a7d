/** Input validation: every 4xx is an RFC 9457 problem naming the failing field, and stores nothing. */
import { describe, expect, it } from "vitest";
import { defaultJobName } from "../src/contract/job";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../src/contract/json";
import { LIMITS } from "../src/domain/limits";
import { ProblemError } from "../src/domain/problem";
import { assertTargetAllowed, isPrivateHost } from "../src/domain/targets";
import {
  ADMIN_TOKEN,
  type CallOptions,
  call,
  callJson,
  createTenant,
  expectProblem,
  jobBody,
  listAllJobs,
  type TestTenant,
  uniqueId,
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
    // Documentation prefix: never a real host.
    expect(isPrivateHost("2001:db8::1")).toBe(true);
  });

  it("treats names other than localhost and .internal as public (no DNS in Workers)", () => {
    expect(isPrivateHost("LOCALHOST")).toBe(true);
    expect(isPrivateHost("example.com")).toBe(false);
    expect(isPrivateHost("localhost.example.com")).toBe(false);
  });
});

describe("target header values", () => {
  const withHeader = (value: string, fields: Record<string, unknown> = {}) =>
    jobBody({
      target: { type: "http", url: "https://example.com/hook", headers: { "X-Foo": value } },
      ...fields,
    });

  it("rejects CR, LF and NUL at target.headers.<name>", async () => {
    const tenant = await createTenant();
    for (const value of ["a\r\nInjected: 1", "a\nb", "a\rb", "a\0b"]) {
      const problem = await rejectsJob(tenant, withHeader(value), 400, ["target.headers.X-Foo"]);
      expect(problem.detail).toMatch(/CR, LF or NUL/);
    }
  });

  it("rejects values Headers would refuse or alter: other controls, non-ASCII, outer whitespace", async () => {
    const tenant = await createTenant();
    for (const value of ["a\x01b", "a\x7fb", "caf\u00e9", "snow \u2603", " padded", "padded\t"]) {
      await rejectsJob(tenant, withHeader(value), 400, ["target.headers.X-Foo"]);
    }
  });

  it("names the header and job index inside a batch", async () => {
    const tenant = await createTenant();
    const response = await call("/v1/jobs/batch", {
      token: tenant.token,
      body: { jobs: [jobBody(), withHeader("a\nb")] },
    });
    await expectProblem(response, 400, ["jobs[1].target.headers.X-Foo"]);
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("rejects a bad header value in a PATCH and leaves the job unchanged", async () => {
    const tenant = await createTenant();
    const job = await callJson<{ id: string }>(
      "/v1/jobs",
      { token: tenant.token, body: jobBody({ schedule: { delay_seconds: 3600 } }) },
      201,
    );
    const before = await callJson(`/v1/jobs/${job.id}`, { token: tenant.token }, 200);
    const response = await call(`/v1/jobs/${job.id}`, {
      token: tenant.token,
      method: "PATCH",
      body: { target: { type: "http", url: "https://example.com/", headers: { "X-Foo": "\n" } } },
    });
    await expectProblem(response, 400, ["target.headers.X-Foo"]);
    expect(await callJson(`/v1/jobs/${job.id}`, { token: tenant.token }, 200)).toEqual(before);
  });

  it("accepts only values that new Headers() keeps unchanged", async () => {
    const tenant = await createTenant();
    for (const value of ["", "Bearer abc.def", "a\tb", '!~ quoted "x" ;q=0.5']) {
      expect(new Headers({ "x-foo": value }).get("x-foo")).toBe(value);
      const job = await callJson<{ target: { headers: Record<string, string> } }>(
        "/v1/jobs",
        { token: tenant.token, body: withHeader(value, { schedule: { delay_seconds: 3600 } }) },
        201,
      );
      expect(job.target.headers["X-Foo"]).toBe(value);
    }
  });
});

describe("deeply nested JSON", () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };
  const target = (body: unknown) => ({
    target: { type: "http", url: "https://example.com/hook", body },
  });

  it("answers a target.body nested 10,000 deep with 400 at target.body, not 500", async () => {
    const tenant = await createTenant();
    const problem = await rejectsJob(tenant, jobBody(target(nested(10_000))), 400, ["target.body"]);
    expect(problem.detail).toContain(String(MAX_JSON_DEPTH));
  });

  it(`accepts a target.body ${MAX_JSON_DEPTH} deep and rejects one level more`, async () => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody(target(nested(MAX_JSON_DEPTH + 1))), 400, ["target.body"]);
    const deepObject = JSON.parse(
      `${'{"a":'.repeat(MAX_JSON_DEPTH)}1${"}".repeat(MAX_JSON_DEPTH)}`,
    );
    for (const body of [nested(MAX_JSON_DEPTH), deepObject]) {
      const response = await call("/v1/jobs", {
        token: tenant.token,
        body: jobBody({ ...target(body), schedule: { delay_seconds: 3600 } }),
      });
      expect(response.status).toBe(201);
    }
  });

  it("answers a raw body of 10,000 nested arrays with 400, not 500", async () => {
    const tenant = await createTenant();
    const depth = 10_000;
    for (const rawBody of [
      `${"[".repeat(depth)}${"]".repeat(depth)}`,
      `{"name":"deep","target":{"type":"http","url":"https://example.com/","body":${"[".repeat(depth)}${"]".repeat(depth)}}}`,
    ]) {
      const response = await call("/v1/jobs", {
        token: tenant.token,
        method: "POST",
        rawBody,
        headers: { "content-type": "application/json" },
      });
      await expectProblem(response, 400);
    }
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("answers a deep body in a batch (1,000,000 levels) and in a PATCH with 400", async () => {
    const tenant = await createTenant();
    const depth = 1_000_000;
    const response = await call("/v1/jobs/batch", {
      token: tenant.token,
      method: "POST",
      rawBody: `{"jobs":[{"name":"deep","target":{"type":"http","url":"https://example.com/","body":${"[".repeat(depth)}${"]".repeat(depth)}}}]}`,
      headers: { "content-type": "application/json" },
    });
    await expectProblem(response, 400, ["jobs[0].target.body"]);
    expect(await listAllJobs(tenant)).toEqual([]);

    const job = await callJson<{ id: string }>(
      "/v1/jobs",
      { token: tenant.token, body: jobBody({ schedule: { delay_seconds: 3600 } }) },
      201,
    );
    const patch = await call(`/v1/jobs/${job.id}`, {
      token: tenant.token,
      method: "PATCH",
      body: target(nested(10_000)),
    });
    await expectProblem(patch, 400, ["target.body"]);
  });

  it("checks depth without recursion, so the check itself cannot overflow", () => {
    expect(jsonDepthExceeds(nested(2_000_000), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds({ a: [{ b: 1 }], c: "x" }, 3)).toBe(false);
    expect(jsonDepthExceeds({ a: [{ b: [] }] }, 3)).toBe(true);
    expect(jsonDepthExceeds("scalar", 0)).toBe(false);
  });
});

describe("display text (names, labels)", () => {
  const BAD_NAMES = [
    ["NUL", "\0"],
    ["only NULs", "\0\0\0"],
    ["C0 controls", "\x01\x02"],
    ["DEL", "\x7f"],
    ["C1 (NEL)", "\x85"],
    ["C1 (CSI)", "\u009b31m"],
    ["NUL inside", "ok\u0000name"],
    ["LF inside", "line\nbreak"],
    ["line separator", "a\u2028b"],
    ["lone high surrogate", "\ud800"],
    ["lone low surrogate", "name \udc00"],
    ["only a zero-width space", "\u200b"],
  ] as const;

  it.each(BAD_NAMES)("rejects a job name with %s at name", async (_, name) => {
    const tenant = await createTenant();
    await rejectsJob(tenant, jobBody({ name }), 400, ["name"]);
  });

  it("rejects a bad name in a batch, a PATCH, and in metadata keys and values", async () => {
    const tenant = await createTenant();
    const response = await call("/v1/jobs/batch", {
      token: tenant.token,
      body: { jobs: [jobBody(), jobBody({ name: "\0" })] },
    });
    await expectProblem(response, 400, ["jobs[1].name"]);
    const bell = await rejectsJob(tenant, jobBody({ metadata: { "a\u0007b": "v" } }), 400, [
      "metadata.a\u0007b",
    ]);
    expect(bell.errors?.[0]?.message).toMatch(/^key must not contain control characters/);
    await rejectsJob(tenant, jobBody({ metadata: { k: "v\ud800" } }), 400, ["metadata.k"]);
    await rejectsJob(tenant, jobBody({ metadata: { k: "v\x1b[2J" } }), 400, ["metadata.k"]);
    const job = await callJson<{ id: string }>(
      "/v1/jobs",
      { token: tenant.token, body: jobBody({ schedule: { delay_seconds: 3600 } }) },
      201,
    );
    const patch = await call(`/v1/jobs/${job.id}`, {
      token: tenant.token,
      method: "PATCH",
      body: { name: "\x00" },
    });
    await expectProblem(patch, 400, ["name"]);
  });

  it("accepts names in any script, emoji, and line breaks in metadata values", async () => {
    const tenant = await createTenant();
    for (const name of ["Rapport über Größe", "日次レポート", "deploy 🚀👩‍💻", "  trimmed  "]) {
      const job = await callJson<{ name: string }>(
        "/v1/jobs",
        {
          token: tenant.token,
          body: jobBody({ name, schedule: { delay_seconds: 3600 }, metadata: { note: "a\nb" } }),
        },
        201,
      );
      expect(job.name).toBe(name.trim());
    }
  });

  it.each(BAD_NAMES)("rejects a tenant name with %s and stores no tenant", async (_, name) => {
    const id = uniqueId();
    const admin = (body: unknown) => ({ token: ADMIN_TOKEN, body });
    await expectProblem(await call("/v1/admin/tenants", admin({ id, name })), 400, ["name"]);
    await expectProblem(await call(`/v1/admin/tenants/${id}`, { token: ADMIN_TOKEN }), 404);
  });

  it("rejects a control character in a tenant rename", async () => {
    const tenant = await createTenant();
    const response = await call(`/v1/admin/tenants/${tenant.id}`, {
      token: ADMIN_TOKEN,
      method: "PATCH",
      body: { name: "evil\r\nname" },
    });
    await expectProblem(response, 400, ["name"]);
    const read = await callJson<{ name: string }>(
      `/v1/admin/tenants/${tenant.id}`,
      { token: ADMIN_TOKEN },
      200,
    );
    expect(read.name).toBe("Test tenant");
  });
});

describe("default job name", () => {
  const target = { type: "http", url: "https://example.com/hooks/report?token=secret#x" };

  it("creates a one-off job without a name, named after its target", async () => {
    const tenant = await createTenant();
    const job = await callJson<{ name: string }>(
      "/v1/jobs",
      { token: tenant.token, body: { schedule: { delay_seconds: 5 }, target } },
      201,
    );
    expect(job.name).toBe("POST example.com/hooks/report");
  });

  it("names jobs of a batch the same way", async () => {
    const tenant = await createTenant();
    const { data } = await callJson<{ data: { name: string }[] }>(
      "/v1/jobs/batch",
      {
        token: tenant.token,
        body: {
          jobs: [
            { schedule: { delay_seconds: 3600 }, target: { ...target, method: "PUT" } },
            { name: "given", schedule: { delay_seconds: 3600 }, target },
          ],
        },
      },
      201,
    );
    expect(data.map((j) => j.name)).toEqual(["PUT example.com/hooks/report", "given"]);
  });

  it("is deterministic, leaves out query and fragment, keeps the port and fits the limit", () => {
    const input = (url: string, method = "POST") => ({ target: { url, method } });
    expect(defaultJobName(input("https://example.com"))).toBe("POST example.com/");
    expect(defaultJobName(input("https://a.example:8443/x?q=1", "GET"))).toBe(
      "GET a.example:8443/x",
    );
    const long = defaultJobName(input(`https://example.com/${"p".repeat(500)}`));
    expect(long).toHaveLength(LIMITS.maxNameLength);
    expect(long.endsWith("…")).toBe(true);
    expect(defaultJobName(input(`https://example.com/${"p".repeat(500)}`))).toBe(long);
  });

  it("is documented as optional in the OpenAPI document", async () => {
    const doc = await callJson<Record<string, any>>("/openapi.json", {}, 200);
    const schema = doc.components.schemas.JobInput;
    expect(schema.properties.name).toBeTruthy();
    // A job has `target` or `tasks` (task graphs): neither is required on its own.
    expect(schema.properties.target).toBeTruthy();
    expect(schema.properties.tasks).toBeTruthy();
    expect(schema.required ?? []).not.toContain("name");
  });
});
