/**
 * The console's pure logic, in Node: times in zones and DST days, the job form's requests and where
 * the API's messages go (and which show, what gets focus), flow limits, metrics parsing and chart series, task graph layers.
 */
import { describe, expect, it } from "vitest";
import type { Job } from "../../src/client/index.ts";
import {
  buildLimits,
  emptyLimitsForm,
  limitsFormOf,
  limitsText,
  placeLimitErrors,
  waitingText,
} from "../../src/console/client/flow-model.ts";
import { focusAfterRefusal, shownErrors } from "../../src/console/client/form-messages.ts";
import {
  buildInput,
  buildPatch,
  emptyForm,
  formFromJob,
  placeError,
  placeErrors,
} from "../../src/console/client/form-model.ts";
import {
  finishedByOutcome,
  fireLagSeries,
  histogramQuantile,
  parsePrometheus,
  ticksFor,
  total,
} from "../../src/console/client/metrics.ts";
import { layers } from "../../src/console/client/tasks.ts";
import {
  dstChangeOnDay,
  formatInZone,
  wallTimeToInstant,
  zoneAbbreviation,
} from "../../src/console/client/time.ts";

describe("times", () => {
  it("formats with the zone's offset, the same in every locale", () => {
    expect(formatInZone("2026-07-01T00:00:00Z", "America/New_York")).toBe(
      "2026-06-30 20:00:00 UTC-4",
    );
    expect(formatInZone("2026-07-01T00:00:00Z", "Asia/Kolkata")).toBe(
      "2026-07-01 05:30:00 UTC+5:30",
    );
    expect(formatInZone("2026-07-01T00:00:00Z", "UTC")).toBe("2026-07-01 00:00:00 UTC");
    expect(zoneAbbreviation(Date.parse("2026-01-15T12:00:00Z"), "Europe/Berlin")).toBe("UTC+1");
  });

  it("marks the days on which the clocks change, and no other", () => {
    const berlin = (iso: string) => dstChangeOnDay(Date.parse(iso), "Europe/Berlin");
    expect(berlin("2026-03-29T01:30:00Z")).toMatchObject({ from: "+01:00", to: "+02:00" });
    expect(berlin("2026-03-28T23:30:00Z")).toMatchObject({ from: "+01:00", to: "+02:00" }); // 00:30 local
    expect(berlin("2026-10-25T22:00:00Z")).toMatchObject({ from: "+02:00", to: "+01:00" }); // 23:00
    expect(berlin("2026-10-26T12:00:00Z")).toBeNull();
    expect(berlin("2026-10-25T01:30:00Z")).toMatchObject({ from: "+02:00", to: "+01:00" });
    expect(berlin("2026-03-28T12:00:00Z")).toBeNull();
    expect(berlin("2026-03-30T12:00:00Z")).toBeNull();
    // A 30-minute change (Lord Howe, April) and a zone without DST.
    expect(dstChangeOnDay(Date.parse("2026-04-04T16:00:00Z"), "Australia/Lord_Howe")).toMatchObject(
      {
        from: "+11:00",
        to: "+10:30",
      },
    );
    expect(dstChangeOnDay(Date.parse("2026-03-29T01:30:00Z"), "Asia/Tokyo")).toBeNull();
  });

  it("reads a wall time in a zone: a skipped time moves past the gap, a repeated one is the first", () => {
    const at = (text: string, zone: string) =>
      new Date(wallTimeToInstant(text, zone) as number).toISOString();
    expect(at("2026-07-01T12:00", "Europe/Berlin")).toBe("2026-07-01T10:00:00.000Z");
    expect(at("2026-03-29T02:30", "Europe/Berlin")).toBe("2026-03-29T01:30:00.000Z"); // 03:30 CEST
    expect(at("2026-10-25T02:30", "Europe/Berlin")).toBe("2026-10-25T00:30:00.000Z"); // first 02:30
    expect(wallTimeToInstant("tomorrow", "UTC")).toBeNull();
  });
});

const job: Job = {
  id: "job_1",
  name: "nightly",
  schedule: { cron: "0 3 * * *", timezone: "Europe/Berlin" },
  target: { type: "http", url: "https://example.com/x", method: "POST", headers: { "x-a": "1" } },
  priority: "medium",
  retry: { max_attempts: 3, initial_backoff_seconds: 2, max_backoff_seconds: 600 },
  retry_on: "any",
  timeout_seconds: 30,
  overlap: "skip",
  catchup_window_seconds: 300,
  metadata: { team: "billing" },
  status: "active",
  next_run_at: "2026-12-02T02:00:00.000Z",
  last_run: null,
  version: 4,
  created_at: "2026-12-01T00:00:00.000Z",
  updated_at: "2026-12-01T00:00:00.000Z",
} as unknown as Job;

describe("the job form", () => {
  it("builds every field of a new job, leaving empty numbers to the API's defaults", () => {
    const form = {
      ...emptyForm("Europe/Berlin"),
      name: " report ",
      cron: "*/5 * * * *",
      url: "https://example.com/hook",
      headers: [
        { name: "x-team", value: "a" },
        { name: "", value: "" },
      ],
      body: '{"a": 1}',
      timeoutSeconds: "",
      metadata: [{ name: "k", value: "v" }],
    };
    const { input, errors } = buildInput(form);
    expect(errors).toEqual([]);
    expect(input).toEqual({
      name: "report",
      schedule: { cron: "*/5 * * * *", timezone: "Europe/Berlin" },
      target: {
        type: "http",
        url: "https://example.com/hook",
        method: "POST",
        headers: { "x-team": "a" },
        body: { a: 1 },
      },
      priority: "medium",
      retry: { max_attempts: 3, initial_backoff_seconds: 2, max_backoff_seconds: 600 },
      retry_on: "any",
      overlap: "skip",
      catchup_window_seconds: 300,
      metadata: { k: "v" },
    });
  });

  it("reports what it cannot send with the API's paths", () => {
    const form = {
      ...emptyForm("UTC"),
      targetType: "worker" as const,
      pool: "shell",
      payload: "{nope",
      scheduleKind: "at" as const,
      at: "",
      maxAttempts: "x",
    };
    const { errors } = buildInput(form);
    expect(errors.map((e) => e.path).sort()).toEqual([
      "retry.max_attempts",
      "schedule.at",
      "target.payload",
    ]);
  });

  it("a one-time job at a wall time in a zone sends its UTC instant", () => {
    const form = {
      ...emptyForm("UTC"),
      scheduleKind: "at" as const,
      at: "2026-07-01T12:00",
      atZone: "Asia/Tokyo",
    };
    expect(buildInput(form).input.schedule).toEqual({ at: "2026-07-01T03:00:00.000Z" });
  });

  it("an edit sends only what changed; an untouched schedule is left alone", () => {
    const form = formFromJob(job, "Europe/Berlin");
    expect(buildPatch(form, job).patch).toEqual({});
    const changed = { ...form, name: "nightly-2", maxBackoff: "60", headers: [] };
    expect(buildPatch(changed, job).patch).toEqual({
      name: "nightly-2",
      retry: { max_backoff_seconds: 60 },
      target: { type: "http", url: "https://example.com/x", method: "POST", headers: {} },
    });
    expect(buildPatch({ ...form, cron: "0 4 * * *" }, job).patch).toEqual({
      schedule: { cron: "0 4 * * *", timezone: "Europe/Berlin" },
    });
  });

  it("a task graph job round-trips through the form as JSON", () => {
    const tasks = [
      { key: "a", target: { type: "http", url: "https://e.com/a", method: "POST", headers: {} } },
      { key: "b", depends_on: ["a"], target: { type: "worker", pool: "etl" } },
    ];
    const graph = { ...job, target: null, tasks } as unknown as Job;
    const form = formFromJob(graph, "UTC");
    expect(form.targetType).toBe("graph");
    const { input, errors } = buildInput(form);
    expect(errors).toEqual([]);
    expect(input).toMatchObject({ tasks });
    expect(input).not.toHaveProperty("target");
    expect(buildPatch(form, graph).patch).toEqual({});
  });

  it("places each API message at its field, the rest at the top", () => {
    expect(placeError({ path: "target.url", message: "Invalid URL" })).toEqual({
      field: "job-url",
      message: "Invalid URL",
    });
    expect(
      placeError({ path: "target.headers.X-Key", message: "not a valid header name" }),
    ).toEqual({
      field: "job-headers",
      message: "X-Key: not a valid header name",
    });
    expect(placeError({ path: "retry_on", message: "x" }).field).toBe("job-retry-on");
    expect(placeError({ path: "retry.max_backoff_seconds", message: "x" }).field).toBe(
      "job-max-backoff",
    );
    expect(placeError({ path: "tasks[1].depends_on[0]", message: "unknown" })).toEqual({
      field: "job-tasks",
      message: "[1].depends_on[0]: unknown",
    });
    const placed = placeErrors([
      { path: "schedule.cron", message: "bad" },
      { path: "(body)", message: "odd" },
    ]);
    expect(placed.byField).toEqual({ "job-cron": ["bad"] });
    expect(placed.unplaced).toEqual(["(body): odd"]);
  });

  it("shows the preview's schedule messages only while the submit has none for the schedule", () => {
    const preview = [{ path: "schedule.cron", message: "from the preview" }];
    const name = { path: "name", message: "too long" };
    expect(shownErrors([name], preview)).toEqual([name, ...preview]);
    const cron = { path: "schedule.cron", message: "from the submit" };
    expect(shownErrors([name, cron], preview)).toEqual([name, cron]);
  });

  it("focuses the first field in form order after a refusal, or the summary when no field owns a message", () => {
    const url = { path: "target.url", message: "Invalid URL" };
    const cron = { path: "schedule.cron", message: "bad" };
    expect(focusAfterRefusal([url, cron], false)).toEqual({ to: "field", id: "job-cron" });
    expect(focusAfterRefusal([url, { path: "(body)", message: "odd" }], false)).toEqual({
      to: "summary",
    });
    expect(focusAfterRefusal([], true)).toEqual({ to: "summary" });
    expect(focusAfterRefusal([], false)).toBeNull();
  });
});

describe("flow limits", () => {
  it("sends the parts given, leaving ranges and a rate's burst to the API", () => {
    const form = { ...emptyLimitsForm("customer-1"), maxRunning: "2" };
    expect(buildLimits(form)).toEqual({ limits: { max_running: 2 }, errors: [] });
    expect(buildLimits({ ...form, maxRunning: "", rateLimit: "10", periodSeconds: "60" })).toEqual({
      limits: { rate: { limit: 10, period_seconds: 60 } },
      errors: [],
    });
    // Nothing given: the API says "give max_running, rate or both".
    expect(buildLimits(emptyLimitsForm()).limits).toEqual({});
    expect(buildLimits({ ...form, burst: "lots" }).errors).toEqual([
      { path: "rate.burst", message: "must be a number" },
    ]);
    const limits = { max_running: 3, rate: { limit: 5, period_seconds: 3600, burst: 8 } };
    expect(buildLimits(limitsFormOf("k", limits)).limits).toEqual(limits);
    expect(limitsText(limits)).toBe("at most 3 running · 5 per 1 h, burst 8");
    expect(limitsText(null)).toBe("none");
  });

  it("places each API message at its field (a tenant's default under its prefix), the rest above", () => {
    const placed = placeLimitErrors(
      [
        { path: "default_flow_limits.rate.period_seconds", message: "too long" },
        { path: "default_flow_limits.max_running", message: "too small" },
        { path: "default_flow_limits", message: "give max_running, rate or both" },
      ],
      "tenant-limits",
      "default_flow_limits",
    );
    expect(placed).toEqual({
      byField: {
        "tenant-limits-period": ["too long"],
        "tenant-limits-max-running": ["too small"],
      },
      unplaced: ["give max_running, rate or both"],
    });
    expect(placeLimitErrors([{ path: "host", message: "bad" }], "host-limits").byField).toEqual({
      "host-limits-name": ["bad"],
    });
    expect(waitingText("flow_key", "acme")).toBe("its flow key acme is at its limits");
    expect(waitingText("tenant_cap", null)).toBe("the tenant's runs in flight are at its cap");
  });
});

const METRICS = `# HELP scheduler_runs Runs by status
scheduler_runs{tenant="t",status="dead",priority="medium"} 2
scheduler_runs{tenant="t",status="dead",priority="low"} 1
scheduler_runs_in_flight{tenant="t"} 3
scheduler_fire_lag_seconds_bucket{tenant="t",priority="medium",le="0.05"} 50
scheduler_fire_lag_seconds_bucket{tenant="t",priority="medium",le="0.1"} 90
scheduler_fire_lag_seconds_bucket{tenant="t",priority="medium",le="+Inf"} 100
`;

describe("metrics and chart series", () => {
  it("parses Prometheus text and estimates histogram quantiles as histogram_quantile does", () => {
    const samples = parsePrometheus(METRICS);
    expect(total(samples, "scheduler_runs", { status: "dead" })).toBe(3);
    expect(total(samples, "scheduler_runs_in_flight")).toBe(3);
    expect(histogramQuantile(samples, "scheduler_fire_lag_seconds", 0.5)).toBeCloseTo(0.05);
    expect(histogramQuantile(samples, "scheduler_fire_lag_seconds", 0.7)).toBeCloseTo(0.075);
    expect(histogramQuantile(samples, "scheduler_fire_lag_seconds", 0.99)).toBeCloseTo(0.1);
    expect(histogramQuantile([], "scheduler_fire_lag_seconds", 0.5)).toBeNull();
  });

  it("sums the per-minute rollup into buckets by outcome, and keeps fire lag per minute", () => {
    const minute = (
      at: string,
      runs: Record<string, number>,
      lag: [number, number, number] | null,
    ) => ({
      minute: at,
      runs,
      rate_limited: 0,
      fire_lag_ms: lag
        ? { count: lag[0], p50: lag[1], p99: lag[2] }
        : { count: 0, p50: null, p99: null },
    });
    const minutes = [
      minute("2026-12-01T10:13:00.000Z", { succeeded: 3, dead: 1 }, [4, 20, 90]),
      minute("2026-12-01T10:14:00.000Z", {}, null),
      minute(
        "2026-12-01T10:15:00.000Z",
        { succeeded: 2, upstream_failed: 1, skipped: 5 },
        [2, 30, 40],
      ),
    ];
    const quarter = finishedByOutcome(minutes, 900_000);
    expect(quarter.map((p) => [new Date(p.t).toISOString(), p.values])).toEqual([
      ["2026-12-01T10:00:00.000Z", { succeeded: 3, failed: 1, other: 0 }],
      ["2026-12-01T10:15:00.000Z", { succeeded: 2, failed: 1, other: 5 }],
    ]);
    expect(finishedByOutcome(minutes, 60_000)).toHaveLength(3);
    expect(fireLagSeries(minutes).map((p) => p.values)).toEqual([
      { p50: 20, p99: 90 },
      { p50: null, p99: null },
      { p50: 30, p99: 40 },
    ]);
  });

  it("axis ticks are round steps (whole numbers for counts)", () => {
    expect(ticksFor(4, true)).toEqual([0, 1, 2, 3, 4]);
    expect(ticksFor(7, true)).toEqual([0, 2, 4, 6, 8]);
    expect(ticksFor(0, true)).toEqual([0, 1]);
    expect(ticksFor(130, false)).toEqual([0, 50, 100, 150]);
  });
});

describe("task graphs", () => {
  it("puts a task one layer after its deepest dependency", () => {
    const level = layers(
      [{ key: "a" }, { key: "b" }, { key: "c" }, { key: "d" }],
      [
        { from: "a", to: "b" },
        { from: "b", to: "d" },
        { from: "c", to: "d" },
      ],
    );
    expect(Object.fromEntries(level)).toEqual({ a: 0, b: 1, c: 0, d: 2 });
  });
});
