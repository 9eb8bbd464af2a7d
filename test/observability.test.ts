import { afterEach, describe, expect, it, vi } from "vitest";
import { type AttemptPoint, attemptAnalyticsObservers } from "../src/observability/analytics";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createJob,
  createTenant,
  sinkUrl,
  type TestTenant,
  uniqueId,
  waitFor,
} from "./support/api";
import { runDetail, waitForRuns } from "./support/runs";

// ---- a strict parser of the Prometheus text exposition format (0.0.4) ----

interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`bad value "${text}" in: ${line}`);
  return Number(text);
}

/** Parses `{a="1",b="x\"y"}` (the braces' content), checking names and escapes. */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`label without "=" in: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith("__"))
      throw new Error(`bad label name "${name}" in: ${line}`);
    if (name in labels) throw new Error(`duplicate label "${name}" in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = "";
    let j = eq + 2;
    for (;;) {
      const ch = text[j];
      if (ch === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (ch === '"') break;
      if (ch === "\\") {
        const next = text[j + 1];
        if (next === "\\" || next === '"') value += next;
        else if (next === "n") value += "\n";
        else throw new Error(`bad escape in: ${line}`);
        j += 2;
        continue;
      }
      if (ch === "\n") throw new Error(`raw newline in label value: ${line}`);
      value += ch;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ",") throw new Error(`expected "," between labels in: ${line}`);
      i++;
    }
  }
  return labels;
}

/** The family a sample belongs to, given the declared types. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const match = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (match?.[1] && ["histogram", "summary"].includes(types.get(match[1]) ?? "")) {
    if (match[2] === "bucket" && types.get(match[1]) !== "histogram") return undefined;
    return match[1];
  }
  return undefined;
}

function seriesKey(labels: Record<string, string>, without: string[] = []): string {
  return Object.keys(labels)
    .filter((k) => !without.includes(k))
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(",");
}

/** Parses and validates an exposition; throws on anything a strict scraper would reject. */
function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: PromSample[] = [];
  const seen = new Set<string>();
  const closedFamilies = new Set<string>();
  let currentFamily: string | null = null;
  const enter = (family: string, line: string) => {
    if (family === currentFamily) return;
    if (closedFamilies.has(family)) throw new Error(`family ${family} is not contiguous: ${line}`);
    if (currentFamily) closedFamilies.add(currentFamily);
    currentFamily = family;
  };
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!meta) throw new Error(`a comment other than HELP/TYPE: ${line}`);
      const [, kind, name = "", rest = ""] = meta;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      enter(name, line);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`unknown type in: ${line}`);
        if (types.has(name)) throw new Error(`second TYPE for ${name}`);
        if (samples.some((s) => familyOf(s.name, new Map([[name, rest]])) === name))
          throw new Error(`TYPE of ${name} after its samples`);
        types.set(name, rest);
      } else {
        if (help.has(name)) throw new Error(`second HELP for ${name}`);
        help.set(name, rest);
      }
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const [, name = "", labelText = "", valueText = ""] = match;
    const labels = parseLabels(labelText, line);
    const family = familyOf(name, types);
    if (!family) throw new Error(`sample without a TYPE for its family: ${line}`);
    enter(family, line);
    const id = `${name}{${seriesKey(labels)}}`;
    if (seen.has(id)) throw new Error(`duplicate series: ${line}`);
    seen.add(id);
    samples.push({ name, labels, value: parseValue(valueText, line) });
  }
  checkHistograms(types, samples);
  return { types, help, samples };
}

/** Buckets cumulative and in increasing `le` order, `+Inf` present and equal to `_count`. */
function checkHistograms(types: Map<string, string>, samples: PromSample[]): void {
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
    const of = (labels: Record<string, string>) => {
      const key = seriesKey(labels, ["le"]);
      const entry = series.get(key) ?? { buckets: [] };
      series.set(key, entry);
      return entry;
    };
    for (const s of samples) {
      if (s.name === `${family}_bucket`) {
        const le = s.labels.le;
        if (le === undefined) throw new Error(`${family}_bucket without le`);
        of(s.labels).buckets.push([parseValue(le, le), s.value]);
      } else if (s.name === `${family}_count`) of(s.labels).count = s.value;
      else if (s.name === `${family}_sum`) of(s.labels).sum = s.value;
      else if (s.name === family) throw new Error(`bare sample of histogram ${family}`);
    }
    for (const [key, h] of series) {
      const where = `${family}{${key}}`;
      if (h.count === undefined || h.sum === undefined)
        throw new Error(`${where} lacks _count or _sum`);
      for (let i = 1; i < h.buckets.length; i++) {
        const [prevLe, prev] = h.buckets[i - 1]!;
        const [le, value] = h.buckets[i]!;
        if (!(le > prevLe)) throw new Error(`${where} buckets not in increasing le order`);
        if (value < prev) throw new Error(`${where} buckets not cumulative at le=${le}`);
      }
      const last = h.buckets[h.buckets.length - 1];
      if (last?.[0] !== Number.POSITIVE_INFINITY) throw new Error(`${where} lacks le="+Inf"`);
      if (last[1] !== h.count) throw new Error(`${where} +Inf ${last[1]} != _count ${h.count}`);
    }
  }
}

/** The sum of the series of `name` whose labels include `labels` (0 when none). */
function metricValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number {
  const matching = exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return matching.reduce((sum, s) => sum + s.value, 0);
}

async function scrape(tenant: TestTenant): Promise<Exposition> {
  const response = await call("/v1/metrics", { token: tenant.token });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

const FAST_RETRY = { max_attempts: 2, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.2 };

// ---- log capture ----

type LogLine = Record<string, unknown> & { event: string; level: string; time: string };

function captureLogs() {
  const raw: string[] = [];
  const keep = (...args: unknown[]) => {
    raw.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  };
  const spies = [
    vi.spyOn(console, "log").mockImplementation(keep),
    vi.spyOn(console, "error").mockImplementation(keep),
    vi.spyOn(console, "warn").mockImplementation(keep),
    vi.spyOn(console, "info").mockImplementation(keep),
  ];
  return {
    raw,
    lines(): LogLine[] {
      return raw.flatMap((text) => {
        try {
          const parsed = JSON.parse(text) as LogLine;
          return typeof parsed === "object" && parsed && "event" in parsed ? [parsed] : [];
        } catch {
          return [];
        }
      });
    },
    restore() {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("metrics", () => {
  it("moves run and attempt counters as runs succeed and die, and the pending gauge returns to 0", async () => {
    const tenant = await createTenant();
    const before = await scrape(tenant);
    expect(metricValue(before, "scheduler_runs_finished_total")).toBe(0);
    expect(metricValue(before, "scheduler_attempts_total")).toBe(0);

    const ok = await createJob(tenant);
    const failing = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("down")}`, { status: 500 }) },
      retry: FAST_RETRY,
    });
    await waitForRuns(tenant, ok.id, (r) => r[0]?.status === "succeeded", "the run to succeed");
    await waitForRuns(tenant, failing.id, (r) => r[0]?.status === "dead", "the run to die");

    const after = await scrape(tenant);
    const medium = { priority: "medium", tenant: tenant.id };
    expect(
      metricValue(after, "scheduler_runs_finished_total", { ...medium, status: "succeeded" }),
    ).toBe(1);
    expect(metricValue(after, "scheduler_runs_finished_total", { ...medium, status: "dead" })).toBe(
      1,
    );
    expect(
      metricValue(after, "scheduler_attempts_total", { ...medium, outcome: "succeeded" }),
    ).toBe(1);
    expect(metricValue(after, "scheduler_attempts_total", { ...medium, outcome: "failed" })).toBe(
      2,
    );
    expect(metricValue(after, "scheduler_runs_dispatched_total", medium)).toBe(3);
    // Gauges: nothing waits or runs any more; the dead run is counted as a dead letter.
    for (const status of ["pending", "queued", "running", "retrying"])
      expect(metricValue(after, "scheduler_runs", { status }), status).toBe(0);
    expect(metricValue(after, "scheduler_runs", { ...medium, status: "dead" })).toBe(1);
    expect(metricValue(after, "scheduler_runs", { ...medium, status: "succeeded" })).toBe(1);
    expect(metricValue(after, "scheduler_runs_in_flight")).toBe(0);
    // Fire lag counts first attempts; duration counts every attempt.
    expect(metricValue(after, "scheduler_fire_lag_seconds_count", medium)).toBe(2);
    expect(metricValue(after, "scheduler_attempt_duration_seconds_count", medium)).toBe(3);
    expect(
      metricValue(after, "scheduler_attempt_duration_seconds_bucket", { ...medium, le: "+Inf" }),
    ).toBe(3);
    expect(after.types.get("scheduler_fire_lag_seconds")).toBe("histogram");
    expect(after.types.get("scheduler_attempts_total")).toBe("counter");
    expect(after.types.get("scheduler_runs")).toBe("gauge");
    expect(metricValue(after, "scheduler_sqlite_rows_written_total")).toBeGreaterThan(0);
    // Every series is the tenant's own.
    for (const s of after.samples) expect(s.labels.tenant).toBe(tenant.id);
  });

  it("serves an exposition a strict parser accepts, with every histogram bucket present", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { priority: "high" });
    await waitForRuns(tenant, job.id, (r) => r[0]?.status === "succeeded", "the run");
    const text = await (await call("/v1/metrics", { token: tenant.token })).text();
    const exposition = parseExposition(text);
    for (const family of exposition.types.keys()) expect(exposition.help.has(family)).toBe(true);
    const les = exposition.samples
      .filter((s) => s.name === "scheduler_fire_lag_seconds_bucket" && s.labels.priority === "high")
      .map((s) => s.labels.le);
    expect(les).toEqual([
      "0.05",
      "0.1",
      "0.25",
      "0.5",
      "1",
      "2",
      "5",
      "10",
      "30",
      "60",
      "300",
      "+Inf",
    ]);
  });

  it("rejects malformed expositions (the parser is strict)", () => {
    const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
    expect(parseExposition(ok).samples).toHaveLength(1);
    expect(() => parseExposition("a_total 1\n")).toThrow(/TYPE/);
    expect(() => parseExposition('# TYPE a counter\na{1x="1"} 1\n')).toThrow(/label name/);
    expect(() => parseExposition("# TYPE a counter\na{x=1} 1\n")).toThrow(/unquoted/);
    expect(() => parseExposition("# TYPE a counter\na one\n")).toThrow(/bad value/);
    const histogram = (inf: number) =>
      `# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} ${inf}\nh_sum 1\nh_count 3\n`;
    expect(() => parseExposition(histogram(3))).not.toThrow();
    expect(() => parseExposition(histogram(1))).toThrow(/cumulative/);
    expect(() => parseExposition(histogram(4))).toThrow(/_count/);
  });

  it("answers /v1/admin/metrics with tenant counts by tier and suspension, for the admin only", async () => {
    const scrapeAdmin = async () => {
      const response = await call("/v1/admin/metrics", { token: ADMIN_TOKEN });
      expect(response.status).toBe(200);
      return parseExposition(await response.text());
    };
    const before = await scrapeAdmin();
    const free = await createTenant({ tier: "free" });
    await createTenant({ tier: "premium" });
    await callJson(
      `/v1/admin/tenants/${free.id}`,
      { token: ADMIN_TOKEN, method: "PATCH", body: { suspended: true } },
      200,
    );
    const after = await scrapeAdmin();
    expect(after.types.get("scheduler_tenants")).toBe("gauge");
    const delta = (labels: Record<string, string>) =>
      metricValue(after, "scheduler_tenants", labels) -
      metricValue(before, "scheduler_tenants", labels);
    // Other test files create tenants concurrently, so only lower bounds hold for totals.
    expect(delta({ tier: "free", suspended: "true" })).toBeGreaterThanOrEqual(1);
    expect(delta({ tier: "premium" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, "scheduler_tenants")).toBeGreaterThanOrEqual(2);
    expect((await call("/v1/admin/metrics", { token: free.token })).status).toBe(401);
    expect((await call("/v1/admin/metrics")).status).toBe(401);
  });
});

describe("structured logs", () => {
  it("logs each step of a run as one JSON line with tenant, job, run and attempt ids", async () => {
    const logs = captureLogs();
    try {
      const tenant = await createTenant();
      const url = sinkUrl(`/${uniqueId("flaky")}`, { fail_times: 1 });
      const job = await createJob(tenant, { target: { type: "http", url }, retry: FAST_RETRY });
      const [run] = await waitForRuns(
        tenant,
        job.id,
        (r) => r[0]?.status === "succeeded",
        "the retried run to succeed",
      );
      const ofRun = (event: string) =>
        logs.lines().filter((l) => l.event === event && l.run_id === run?.id);
      // The last lines may still be on their way out of the object when the API shows the status.
      await waitFor(async () => ofRun("run.succeeded").length === 1, "the run.succeeded line");

      const lines = logs.lines().filter((l) => l.tenant_id === tenant.id);
      for (const line of lines) {
        expect(Number.isNaN(Date.parse(line.time))).toBe(false);
        expect(["debug", "info", "error"]).toContain(line.level);
      }
      const created = lines.filter((l) => l.event === "job.created");
      expect(created).toHaveLength(1);
      expect(created[0]).toMatchObject({ tenant_id: tenant.id, job_id: job.id });

      const ids = { tenant_id: tenant.id, job_id: job.id, run_id: run?.id };
      expect(ofRun("run.created")).toHaveLength(1);
      expect(ofRun("run.dispatched").map((l) => l.attempt)).toEqual([1, 2]);
      expect(ofRun("attempt.started").map((l) => l.attempt)).toEqual([1, 2]);
      const finished = ofRun("attempt.finished");
      // A success is debug: at info the busiest line of the log would be one per succeeded attempt.
      expect(finished.map((l) => [l.attempt, l.outcome, l.status_code, l.level])).toEqual([
        [1, "failed", 500, "info"],
        [2, "succeeded", 200, "debug"],
      ]);
      for (const line of finished) expect(line.duration_ms).toEqual(expect.any(Number));
      const [retrying] = ofRun("run.retrying");
      expect(retrying).toMatchObject({ ...ids, attempt: 1, next_attempt: 2 });
      expect(Date.parse(String(retrying?.next_attempt_at))).toBeGreaterThan(
        Date.parse(retrying!.time) - 1,
      );
      for (const event of [
        "run.dispatched",
        "attempt.started",
        "attempt.finished",
        "run.succeeded",
      ])
        for (const line of ofRun(event)) expect(line).toMatchObject(ids);
    } finally {
      logs.restore();
    }
  });

  it("logs a batch of created jobs as one line with the count and the id range", async () => {
    const logs = captureLogs();
    try {
      const tenant = await createTenant();
      const target = { type: "http", url: sinkUrl(`/${uniqueId("batch")}`) };
      const at = new Date(Date.now() + 3_600_000).toISOString();
      const response = await call("/v1/jobs/batch", {
        method: "POST",
        token: tenant.token,
        body: { jobs: Array.from({ length: 30 }, () => ({ schedule: { at }, target })) },
      });
      expect(response.status).toBe(201);
      const ids = ((await response.json()) as { data: { id: string }[] }).data.map((j) => j.id);
      const batch = logs
        .lines()
        .filter((l) => l.event === "jobs.created" && l.tenant_id === tenant.id);
      expect(batch).toHaveLength(1);
      expect(batch[0]).toMatchObject({ count: 30, first_job_id: ids[0], last_job_id: ids[29] });
      // Ids are consecutive, so the range names every job without a 30-id (or 1,000-id) field.
      expect([...ids].sort()).toEqual(ids);
      expect(batch[0]).not.toHaveProperty("job_ids");
    } finally {
      logs.restore();
    }
  });

  it("logs dead, cancelled and skipped runs", async () => {
    const logs = captureLogs();
    try {
      const tenant = await createTenant();
      const dying = await createJob(tenant, {
        target: { type: "http", url: sinkUrl(`/${uniqueId("down")}`, { status: 500 }) },
        retry: FAST_RETRY,
      });
      const [dead] = await waitForRuns(tenant, dying.id, (r) => r[0]?.status === "dead", "dead");
      await waitFor(
        async () => logs.lines().some((l) => l.event === "run.dead" && l.run_id === dead?.id),
        "the run.dead line",
      );
      const deadLine = logs.lines().find((l) => l.event === "run.dead" && l.run_id === dead?.id);
      expect(deadLine).toMatchObject({
        tenant_id: tenant.id,
        job_id: dying.id,
        attempt: 2,
        reason: "HTTP 500",
      });

      // A slow cron job with overlap "skip": the next second's occurrence is skipped.
      const slow = await createJob(tenant, {
        schedule: { cron: "* * * * * *" },
        target: { type: "http", url: sinkUrl(`/${uniqueId("slow")}`, { delay_ms: 2500 }) },
      });
      const runs = await waitForRuns(
        tenant,
        slow.id,
        (r) => r.some((x) => x.status === "skipped") && r.some((x) => x.status === "running"),
        "a skipped occurrence while one runs",
      );
      const running = runs.find((r) => r.status === "running");
      await callJson(
        `/v1/runs/${running?.id}/cancel`,
        { token: tenant.token, method: "POST" },
        200,
      );
      await callJson(`/v1/jobs/${slow.id}`, { token: tenant.token, method: "DELETE" }, 200);
      const skipped = runs.find((r) => r.status === "skipped");
      expect(
        logs.lines().find((l) => l.event === "run.skipped" && l.run_id === skipped?.id),
      ).toMatchObject({ tenant_id: tenant.id, job_id: slow.id, reason: "overlap policy skip" });
      expect(
        logs.lines().find((l) => l.event === "run.cancelled" && l.run_id === running?.id),
      ).toMatchObject({
        tenant_id: tenant.id,
        job_id: slow.id,
        attempt: 1,
        reason: "cancelled by request",
      });
    } finally {
      logs.restore();
    }
  });

  it("never logs a token, a token's secret, a signing secret or the admin token", async () => {
    const logs = captureLogs();
    const secrets: string[] = [ADMIN_TOKEN];
    try {
      const tenant = await createTenant();
      const issued = await callJson<{ token: string }>(
        `/v1/admin/tenants/${tenant.id}/tokens`,
        { token: ADMIN_TOKEN, body: { scope: "write" } },
        201,
      );
      secrets.push(tenant.token, tenant.signing_secret, issued.token);
      for (const token of [tenant.token, issued.token]) secrets.push(token.split(".").at(-1)!);
      secrets.push(tenant.signing_secret.slice("whsec_".length));

      const ok = await createJob(tenant, {
        target: {
          type: "http",
          url: sinkUrl(`/${uniqueId("ok")}`),
          headers: { "x-team": "data" },
          body: { hello: "a webhook body that must not be logged" },
        },
      });
      const failing = await callJson<Record<string, any>>(
        "/v1/jobs",
        {
          token: issued.token,
          body: {
            name: "failing",
            target: { type: "http", url: sinkUrl(`/${uniqueId("down")}`, { status: 503 }) },
            retry: FAST_RETRY,
          },
        },
        201,
      );
      // Failed requests too: a wrong secret, a revoked token, a bad body.
      await call("/v1/jobs", { token: `${tenant.token}x` });
      await call("/v1/jobs", { token: issued.token, body: { name: 1 } });
      await waitForRuns(tenant, ok.id, (r) => r[0]?.status === "succeeded", "the delivery");
      await waitForRuns(tenant, failing.id, (r) => r[0]?.status === "dead", "the failure");
      await waitFor(
        async () => logs.lines().some((l) => l.event === "run.dead" && l.job_id === failing.id),
        "the run.dead line",
      );

      expect(logs.lines().some((l) => l.tenant_id === tenant.id)).toBe(true);
      for (const line of logs.raw) {
        for (const secret of secrets) expect(line).not.toContain(secret);
        expect(line).not.toContain("a webhook body that must not be logged");
        expect(line.toLowerCase()).not.toContain("webhook-signature");
        expect(line).not.toMatch(/Bearer\s/i);
      }
    } finally {
      logs.restore();
    }
  });
});

describe("analytics", () => {
  it("receives exactly one data point per finished attempt with the documented layout", async () => {
    const points: AttemptPoint[] = [];
    const observe = (p: AttemptPoint) => points.push(p);
    attemptAnalyticsObservers.add(observe);
    try {
      const tenant = await createTenant();
      const url = sinkUrl(`/${uniqueId("flaky")}`, { fail_times: 1 });
      const job = await createJob(tenant, {
        priority: "high",
        target: { type: "http", url },
        retry: FAST_RETRY,
      });
      const [run] = await waitForRuns(
        tenant,
        job.id,
        (r) => r[0]?.status === "succeeded",
        "the retried run",
      );
      const detail = await runDetail(tenant, run?.id);
      const mine = points.filter((p) => p.tenant_id === tenant.id);
      expect(mine).toHaveLength(2);
      expect(mine.map((p) => [p.attempt, p.outcome, p.status_code])).toEqual([
        [1, "failed", 500],
        [2, "succeeded", 200],
      ]);
      for (const [i, p] of mine.entries()) {
        expect(p).toMatchObject({ job_id: job.id, run_id: run?.id, priority: "high" });
        const attempt = detail.attempts[i];
        expect(p.duration_ms).toBe(attempt.duration_ms);
        expect(p.fire_lag_ms).toBe(
          Math.max(0, Date.parse(attempt.started_at) - Date.parse(detail.scheduled_for)),
        );
      }
      const { toDataPoint } = await import("../src/observability/analytics");
      const point = toDataPoint(mine[0]!);
      expect(point).toEqual({
        indexes: [tenant.id],
        blobs: [tenant.id, job.id, "high", "failed", run?.id, "", ""],
        doubles: [mine[0]!.fire_lag_ms, mine[0]!.duration_ms, 1, 500],
      });
      // A network error has no status code: double4 is 0.
      expect(toDataPoint({ ...mine[0]!, status_code: null }).doubles?.[3]).toBe(0);
    } finally {
      attemptAnalyticsObservers.delete(observe);
    }
  });
});

describe("health", () => {
  it("answers liveness and readiness with 200", async () => {
    expect(await callJson("/health", {}, 200)).toEqual({ status: "ok" });
    expect(await callJson("/health/ready", {}, 200)).toEqual({ status: "ready" });
  });

  it("documents both probes in the OpenAPI document, without a token", async () => {
    const doc = await callJson<Record<string, any>>("/openapi.json", {}, 200);
    expect(doc.paths["/health/ready"].get.security).toEqual([]);
    expect(doc.paths["/health"].get).toBeTruthy();
    expect(doc.paths["/v1/admin/metrics"].get).toBeTruthy();
  });
});
