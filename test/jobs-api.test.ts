/** The jobs API through HTTP: create, batch, idempotency, list, read, change, cancel, actions, previews, isolation. */
import { describe, expect, it } from "vitest";
import { DEFAULTS, LIMITS } from "../src/domain/limits";
import {
  call,
  callJson,
  createJob,
  createTenant,
  expectProblem,
  jobBody,
  listAllJobs,
  type TestTenant,
  waitFor,
} from "./support/api";

type Job = Record<string, any>;
type Run = Record<string, any>;
interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
interface Preview {
  fire_times: string[];
  timezone: string;
}

const HOUR = 3600_000;
const later = { schedule: { delay_seconds: 3600 } };
const isoOf = (ms: number) => new Date(ms).toISOString();

/** The next 1 January at the given UTC time of day, strictly after now. */
function nextNewYear(hours: number, minutes = 0, seconds = 0, yearsAhead = 0): string {
  const year = new Date().getUTCFullYear();
  let at = Date.UTC(year, 0, 1, hours, minutes, seconds);
  if (at <= Date.now()) at = Date.UTC(year + 1, 0, 1, hours, minutes, seconds);
  const date = new Date(at);
  date.setUTCFullYear(date.getUTCFullYear() + yearsAhead);
  return date.toISOString();
}

/** An instant a while ahead, whole seconds, written with a +05:30 offset; and its UTC form. */
function aheadWithOffset(ms: number): { local: string; utc: string } {
  const at = Math.floor((Date.now() + ms) / 1000) * 1000;
  const local = new Date(at + 5.5 * HOUR).toISOString().replace(".000Z", "+05:30");
  return { local, utc: isoOf(at) };
}

const getJob = (tenant: TestTenant, id: string) =>
  callJson<Job>(`/v1/jobs/${id}`, { token: tenant.token }, 200);

describe("creating a job", () => {
  it("fills in the documented defaults and answers 201 with Location and ETag", async () => {
    const tenant = await createTenant();
    const body = jobBody(later);
    const response = await call("/v1/jobs", { token: tenant.token, body });
    expect(response.status).toBe(201);
    const job = (await response.json()) as Job;
    expect(response.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
    expect(response.headers.get("etag")).toBe('"1"');
    expect(job).toMatchObject({
      id: expect.stringMatching(/^job_[0-9a-z]{26}$/),
      name: "test job",
      schedule: { delay_seconds: 3600 },
      target: {
        type: "http",
        url: (body.target as { url: string }).url,
        method: "POST",
        headers: {},
      },
      priority: DEFAULTS.priority,
      retry: {
        max_attempts: DEFAULTS.maxAttempts,
        initial_backoff_seconds: DEFAULTS.initialBackoffSeconds,
        max_backoff_seconds: DEFAULTS.maxBackoffSeconds,
      },
      retry_on: "any",
      timeout_seconds: DEFAULTS.timeoutSeconds,
      overlap: DEFAULTS.overlap,
      catchup_window_seconds: DEFAULTS.catchupWindowSeconds,
      metadata: {},
      status: "active",
      last_run: null,
      version: 1,
    });
    expect(job.updated_at).toBe(job.created_at);
    expect(await getJob(tenant, job.id)).toEqual(job);
  });

  it("keeps every field it was given", async () => {
    const tenant = await createTenant();
    const fields = {
      name: "nightly-report",
      schedule: { cron: "0 3 * * *", timezone: "Europe/Berlin" },
      target: {
        type: "http",
        url: "https://example.com/hooks/report",
        method: "PUT",
        headers: { "x-team": "data" },
        body: { report: "daily", nested: [1, 2, { deep: true }] },
      },
      priority: "high",
      retry: { max_attempts: 5, initial_backoff_seconds: 0.5, max_backoff_seconds: 600 },
      retry_on: "transient",
      timeout_seconds: 12,
      overlap: "buffer_one",
      catchup_window_seconds: 60,
      metadata: { owner: "data-team" },
    };
    const job = await callJson<Job>("/v1/jobs", { token: tenant.token, body: fields }, 201);
    expect(job).toMatchObject(fields);
  });

  it("runs at an `at` instant, answering it in UTC", async () => {
    const tenant = await createTenant();
    const { local, utc } = aheadWithOffset(2 * 24 * HOUR);
    const job = await createJob(tenant, { schedule: { at: local } });
    expect(job.next_run_at).toBe(utc);
    expect(job.status).toBe("active");
  });

  it("runs a slightly past `at` (within 300 s) now", async () => {
    const tenant = await createTenant();
    const before = Date.now();
    const job = await createJob(tenant, { schedule: { at: isoOf(before - 120_000) } });
    const after = Date.now();
    expect(Date.parse(job.next_run_at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(job.next_run_at)).toBeLessThanOrEqual(after);
  });

  it("runs a delay that many seconds after the request", async () => {
    const tenant = await createTenant();
    const before = Date.now();
    const job = await createJob(tenant, { schedule: { delay_seconds: 600 } });
    const after = Date.now();
    const next = Date.parse(job.next_run_at);
    expect(next).toBeGreaterThanOrEqual(before + 600_000);
    expect(next).toBeLessThanOrEqual(after + 600_000);
  });

  it("evaluates a 5-field cron in its time zone", async () => {
    const tenant = await createTenant();
    // Noon in New York on 1 January is 17:00 UTC (EST).
    const job = await createJob(tenant, {
      schedule: { cron: "0 12 1 1 *", timezone: "America/New_York" },
    });
    expect(job.next_run_at).toBe(nextNewYear(17));
    expect(job.schedule).toEqual({ cron: "0 12 1 1 *", timezone: "America/New_York" });
  });

  it("evaluates a 6-field cron with seconds in its time zone", async () => {
    const tenant = await createTenant();
    // 10:15:30 in Tokyo (UTC+9) on 1 January is 01:15:30 UTC.
    const job = await createJob(tenant, {
      schedule: { cron: "30 15 10 1 1 *", timezone: "Asia/Tokyo" },
    });
    expect(job.next_run_at).toBe(nextNewYear(1, 15, 30));
  });

  it("evaluates a cron without a time zone in UTC", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { cron: "45 6 1 1 *" } });
    expect(job.next_run_at).toBe(nextNewYear(6, 45));
  });

  it("runs a job without a schedule now, once", async () => {
    const tenant = await createTenant();
    const before = Date.now();
    const job = await createJob(tenant);
    const after = Date.now();
    expect(job.schedule).toBeNull();
    expect(Date.parse(job.next_run_at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(job.next_run_at)).toBeLessThanOrEqual(after);
    const done = await waitFor(async () => {
      const current = await getJob(tenant, job.id);
      return current.status === "completed" && current;
    }, "the one-time job to complete");
    expect(done.next_run_at).toBeNull();
    expect(done.last_run).toMatchObject({ id: expect.any(String) });
  });
});

describe("batch creation", () => {
  it("creates 1,000 jobs in one request, all listed afterwards", async () => {
    const tenant = await createTenant();
    const jobs = Array.from({ length: LIMITS.maxBatchJobs }, (_, i) =>
      jobBody({ name: `batch-${i}`, schedule: { delay_seconds: 3600 + i } }),
    );
    const created = await callJson<{ data: Job[] }>(
      "/v1/jobs/batch",
      { token: tenant.token, body: { jobs } },
      201,
    );
    expect(created.data).toHaveLength(1000);
    expect(created.data.map((j) => j.name)).toEqual(jobs.map((j) => j.name));
    const listed = await listAllJobs(tenant);
    expect(listed.map((j) => j.id)).toEqual(created.data.map((j) => j.id));
  });

  it("rejects a batch with one invalid job, naming jobs[N].<field>, and stores none", async () => {
    const tenant = await createTenant();
    const jobs = Array.from({ length: 10 }, () => jobBody(later));
    jobs[7] = jobBody({ priority: "urgent" });
    const response = await call("/v1/jobs/batch", { token: tenant.token, body: { jobs } });
    await expectProblem(response, 400, ["jobs[7].priority"]);
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("rejects a batch whose job has an `at` far in the past, naming jobs[N].schedule.at, and stores none", async () => {
    const tenant = await createTenant();
    const jobs = Array.from({ length: 5 }, () => jobBody(later));
    jobs[2] = jobBody({ schedule: { at: isoOf(Date.now() - HOUR) } });
    const response = await call("/v1/jobs/batch", { token: tenant.token, body: { jobs } });
    await expectProblem(response, 400, ["jobs[2].schedule.at"]);
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("rejects an empty batch and one over 1,000 jobs at jobs", async () => {
    const tenant = await createTenant();
    await expectProblem(
      await call("/v1/jobs/batch", { token: tenant.token, body: { jobs: [] } }),
      400,
      ["jobs"],
    );
    const tooMany = Array.from({ length: LIMITS.maxBatchJobs + 1 }, () => jobBody(later));
    await expectProblem(
      await call("/v1/jobs/batch", { token: tenant.token, body: { jobs: tooMany } }),
      400,
      ["jobs"],
    );
    expect(await listAllJobs(tenant)).toEqual([]);
  });
});

describe("Idempotency-Key", () => {
  it("returns the first job with 200 and idempotent-replayed for the same key and body", async () => {
    const tenant = await createTenant();
    const body = jobBody(later);
    const headers = { "idempotency-key": "order-42" };
    const first = await call("/v1/jobs", { token: tenant.token, body, headers });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const created = (await first.json()) as Job;

    const again = await call("/v1/jobs", { token: tenant.token, body, headers });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(created);
    expect((await listAllJobs(tenant)).map((j) => j.id)).toEqual([created.id]);
  });

  it("answers 409 for the same key with a different body and stores nothing new", async () => {
    const tenant = await createTenant();
    const headers = { "idempotency-key": "order-43" };
    const created = await callJson<Job>(
      "/v1/jobs",
      { token: tenant.token, body: jobBody({ ...later, name: "first" }), headers },
      201,
    );
    const response = await call("/v1/jobs", {
      token: tenant.token,
      body: jobBody({ ...later, name: "second" }),
      headers,
    });
    await expectProblem(response, 409, ["Idempotency-Key"]);
    expect((await listAllJobs(tenant)).map((j) => j.id)).toEqual([created.id]);
  });

  it("creates one job when the same key and body arrive concurrently", async () => {
    const tenant = await createTenant();
    const body = jobBody(later);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        call("/v1/jobs", { token: tenant.token, body, headers: { "idempotency-key": "race" } }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const ids = new Set(
      await Promise.all(responses.map(async (r) => ((await r.json()) as Job).id)),
    );
    expect(ids.size).toBe(1);
    expect((await listAllJobs(tenant)).map((j) => j.id)).toEqual([...ids]);
  });

  it("creates separate jobs for different keys, and keys are per tenant", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const body = jobBody(later);
    const first = await callJson<Job>(
      "/v1/jobs",
      { token: a.token, body, headers: { "idempotency-key": "k1" } },
      201,
    );
    const second = await callJson<Job>(
      "/v1/jobs",
      { token: a.token, body, headers: { "idempotency-key": "k2" } },
      201,
    );
    const other = await callJson<Job>(
      "/v1/jobs",
      { token: b.token, body, headers: { "idempotency-key": "k1" } },
      201,
    );
    expect(new Set([first.id, second.id, other.id]).size).toBe(3);
    expect(await listAllJobs(a)).toHaveLength(2);
    expect((await listAllJobs(b)).map((j) => j.id)).toEqual([other.id]);
  });
});

describe("listing jobs", () => {
  it("filters by status and priority", async () => {
    const tenant = await createTenant();
    const high1 = await createJob(tenant, { ...later, priority: "high" });
    const low = await createJob(tenant, { ...later, priority: "low" });
    const high2 = await createJob(tenant, { ...later, priority: "high" });
    const medium = await createJob(tenant, later);
    await callJson(`/v1/jobs/${high2.id}/pause`, { token: tenant.token, method: "POST" }, 200);
    await callJson(`/v1/jobs/${medium.id}`, { token: tenant.token, method: "DELETE" }, 200);

    const ids = async (query: string) =>
      (await callJson<Page<Job>>(`/v1/jobs?${query}`, { token: tenant.token }, 200)).data.map(
        (j) => j.id,
      );
    expect(await ids("priority=high")).toEqual([high1.id, high2.id]);
    expect(await ids("priority=low")).toEqual([low.id]);
    expect(await ids("status=paused")).toEqual([high2.id]);
    expect(await ids("status=cancelled")).toEqual([medium.id]);
    expect(await ids("status=active")).toEqual([high1.id, low.id]);
    expect(await ids("status=active&priority=high")).toEqual([high1.id]);
    expect(await ids("status=completed")).toEqual([]);
  });

  it("pages with limit and cursor in creation order, ending with next_cursor null", async () => {
    const tenant = await createTenant();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createJob(tenant, later)).id);

    const first = await callJson<Page<Job>>("/v1/jobs?limit=2", { token: tenant.token }, 200);
    expect(first.data.map((j) => j.id)).toEqual(created.slice(0, 2));
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await callJson<Page<Job>>(
      `/v1/jobs?limit=2&cursor=${first.next_cursor}`,
      { token: tenant.token },
      200,
    );
    expect(second.data.map((j) => j.id)).toEqual(created.slice(2, 4));
    const third = await callJson<Page<Job>>(
      `/v1/jobs?limit=2&cursor=${second.next_cursor}`,
      { token: tenant.token },
      200,
    );
    expect(third.data.map((j) => j.id)).toEqual(created.slice(4));
    expect(third.next_cursor).toBeNull();
  });

  it("walks every job exactly once while jobs are added between page fetches", async () => {
    const tenant = await createTenant();
    const created: string[] = [];
    for (let i = 0; i < 6; i++) created.push((await createJob(tenant, later)).id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `limit=3&cursor=${cursor}` : "limit=3";
      const page: Page<Job> = await callJson(`/v1/jobs?${query}`, { token: tenant.token }, 200);
      seen.push(...page.data.map((j) => j.id));
      cursor = page.next_cursor;
      pages++;
      // New jobs arrive while the client is between pages (after each of the first three).
      if (cursor !== null && pages <= 3) {
        for (let i = 0; i < 3; i++) created.push((await createJob(tenant, later)).id);
      }
    } while (cursor !== null);

    expect(pages).toBeGreaterThanOrEqual(4);
    expect(created).toHaveLength(15);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(created);
  });
});

describe("reading and changing a job", () => {
  it("answers GET with the job and its version as ETag", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    const response = await call(`/v1/jobs/${job.id}`, { token: tenant.token });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('"1"');
    expect(await response.json()).toEqual(job);
  });

  it("answers 404 for an unknown job id", async () => {
    const tenant = await createTenant();
    await expectProblem(await call("/v1/jobs/job_nope", { token: tenant.token }), 404);
  });

  it("applies a PATCH whose If-Match is current and increments the version", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    const response = await call(`/v1/jobs/${job.id}`, {
      token: tenant.token,
      method: "PATCH",
      body: { name: "renamed", metadata: { team: "ops" } },
      headers: { "if-match": '"1"' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('"2"');
    const changed = (await response.json()) as Job;
    expect(changed).toMatchObject({ name: "renamed", metadata: { team: "ops" }, version: 2 });
    expect(changed.next_run_at).toBe(job.next_run_at);
    expect(Date.parse(changed.updated_at)).toBeGreaterThanOrEqual(Date.parse(job.updated_at));
    expect(await getJob(tenant, job.id)).toEqual(changed);
  });

  it("answers 412 when If-Match is stale and changes nothing", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    await callJson(
      `/v1/jobs/${job.id}`,
      { token: tenant.token, method: "PATCH", body: { name: "v2" } },
      200,
    );
    const current = await getJob(tenant, job.id);
    const response = await call(`/v1/jobs/${job.id}`, {
      token: tenant.token,
      method: "PATCH",
      body: { name: "lost update", priority: "low" },
      headers: { "if-match": '"1"' },
    });
    const problem = await expectProblem(response, 412);
    expect(problem.detail).toContain("version 2");
    expect(await getJob(tenant, job.id)).toEqual(current);
  });

  it("lets exactly one of several concurrent PATCHes with the same If-Match win", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    const responses = await Promise.all(
      ["a", "b", "c", "d", "e"].map((name) =>
        call(`/v1/jobs/${job.id}`, {
          token: tenant.token,
          method: "PATCH",
          body: { name },
          headers: { "if-match": '"1"' },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(4);
    const winner = (await responses[statuses.indexOf(200)]?.json()) as Job;
    expect(await getJob(tenant, job.id)).toEqual(winner);
    expect(winner.version).toBe(2);
  });

  it("accepts weak, listed and wildcard If-Match values", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    const patch = (ifMatch: string, name: string) =>
      callJson<Job>(
        `/v1/jobs/${job.id}`,
        { token: tenant.token, method: "PATCH", body: { name }, headers: { "if-match": ifMatch } },
        200,
      );
    expect((await patch('W/"1"', "weak")).version).toBe(2);
    expect((await patch('"7", "2"', "listed")).version).toBe(3);
    expect((await patch("*", "any")).version).toBe(4);
  });

  it("recomputes next_run_at when the schedule changes", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    const patch = (body: unknown) =>
      callJson<Job>(`/v1/jobs/${job.id}`, { token: tenant.token, method: "PATCH", body }, 200);

    const { local, utc } = aheadWithOffset(3 * 24 * HOUR);
    expect((await patch({ schedule: { at: local } })).next_run_at).toBe(utc);

    const cron = await patch({ schedule: { cron: "0 12 1 1 *", timezone: "America/New_York" } });
    expect(cron.next_run_at).toBe(nextNewYear(17));
    expect(cron.schedule).toEqual({ cron: "0 12 1 1 *", timezone: "America/New_York" });

    const before = Date.now();
    const delayed = await patch({ schedule: { delay_seconds: 7200 } });
    expect(Date.parse(delayed.next_run_at)).toBeGreaterThanOrEqual(before + 7200_000);
    expect(Date.parse(delayed.next_run_at)).toBeLessThanOrEqual(Date.now() + 7200_000);
    expect(delayed.version).toBe(4);
  });

  it("reactivates a completed one-time job when given a new schedule", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant);
    await waitFor(
      async () => (await getJob(tenant, job.id)).status === "completed",
      "the one-time job to complete",
    );
    const { local, utc } = aheadWithOffset(HOUR);
    const changed = await callJson<Job>(
      `/v1/jobs/${job.id}`,
      { token: tenant.token, method: "PATCH", body: { schedule: { at: local } } },
      200,
    );
    expect(changed).toMatchObject({ status: "active", next_run_at: utc });
  });

  it("runs now when the schedule is set to null", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    const before = Date.now();
    const changed = await callJson<Job>(
      `/v1/jobs/${job.id}`,
      { token: tenant.token, method: "PATCH", body: { schedule: null } },
      200,
    );
    expect(changed.schedule).toBeNull();
    expect(Date.parse(changed.next_run_at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(changed.next_run_at)).toBeLessThanOrEqual(Date.now());
  });

  it("leaves next_run_at alone when other fields change", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { cron: "0 12 1 1 *" } });
    const changed = await callJson<Job>(
      `/v1/jobs/${job.id}`,
      {
        token: tenant.token,
        method: "PATCH",
        body: { priority: "low", retry: { max_attempts: 7 }, timeout_seconds: 99 },
      },
      200,
    );
    expect(changed).toMatchObject({
      priority: "low",
      retry: { max_attempts: 7 },
      timeout_seconds: 99,
      next_run_at: job.next_run_at,
    });
  });

  it("keeps the retry fields a PATCH leaves out", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, {
      ...later,
      retry: { max_attempts: 5, initial_backoff_seconds: 0.5, max_backoff_seconds: 60 },
    });
    const changed = await callJson<Job>(
      `/v1/jobs/${job.id}`,
      { token: tenant.token, method: "PATCH", body: { retry: { max_attempts: 7 } } },
      200,
    );
    expect(changed.retry).toEqual({
      max_attempts: 7,
      initial_backoff_seconds: 0.5,
      max_backoff_seconds: 60,
    });
  });

  it("rejects an invalid PATCH with the field's path and changes nothing", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    const patch = (body: unknown) =>
      call(`/v1/jobs/${job.id}`, { token: tenant.token, method: "PATCH", body });
    await expectProblem(await patch({ schedule: { at: isoOf(Date.now() - HOUR) } }), 400, [
      "schedule.at",
    ]);
    await expectProblem(await patch({ schedule: { cron: "61 * * * *" } }), 400, ["schedule.cron"]);
    await expectProblem(await patch({ status: "paused" }), 400, ["status"]);
    await expectProblem(await patch({ priority: "urgent" }), 400, ["priority"]);
    expect(await getJob(tenant, job.id)).toEqual(job);
  });

  it("answers 404 to a PATCH of an unknown job", async () => {
    const tenant = await createTenant();
    await expectProblem(
      await call("/v1/jobs/job_nope", {
        token: tenant.token,
        method: "PATCH",
        body: { name: "x" },
      }),
      404,
    );
  });
});

describe("cancelling a job", () => {
  it("cancels with DELETE: status cancelled, next_run_at null, and no further changes", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    const cancelled = await callJson<Job>(
      `/v1/jobs/${job.id}`,
      { token: tenant.token, method: "DELETE" },
      200,
    );
    expect(cancelled).toMatchObject({ status: "cancelled", next_run_at: null, version: 2 });
    expect(await getJob(tenant, job.id)).toEqual(cancelled);

    const asTenant = { token: tenant.token };
    await expectProblem(
      await call(`/v1/jobs/${job.id}`, { ...asTenant, method: "PATCH", body: { name: "x" } }),
      409,
    );
    for (const action of ["pause", "resume", "trigger"]) {
      await expectProblem(
        await call(`/v1/jobs/${job.id}/${action}`, { ...asTenant, method: "POST" }),
        409,
      );
    }
    const preview = await callJson<Preview>(`/v1/jobs/${job.id}/preview`, asTenant, 200);
    expect(preview.fire_times).toEqual([]);

    // Cancelling again answers the same cancelled job.
    expect(
      await callJson<Job>(`/v1/jobs/${job.id}`, { ...asTenant, method: "DELETE" }, 200),
    ).toEqual(cancelled);
    expect(await getJob(tenant, job.id)).toEqual(cancelled);
  });

  it("answers 404 to DELETE of an unknown job", async () => {
    const tenant = await createTenant();
    await expectProblem(
      await call("/v1/jobs/job_nope", { token: tenant.token, method: "DELETE" }),
      404,
    );
  });
});

describe("pause, resume and trigger", () => {
  it("pauses and resumes, each once, keeping the next run", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    const action = (name: string) =>
      callJson<Job>(`/v1/jobs/${job.id}/${name}`, { token: tenant.token, method: "POST" }, 200);

    const paused = await action("pause");
    expect(paused).toMatchObject({ status: "paused", version: 2, next_run_at: job.next_run_at });
    expect(await action("pause")).toEqual(paused);
    expect(await getJob(tenant, job.id)).toEqual(paused);

    const resumed = await action("resume");
    expect(resumed).toMatchObject({ status: "active", version: 3, next_run_at: job.next_run_at });
    expect(await action("resume")).toEqual(resumed);
  });

  it("triggers a manual run with 202, listed in the job's runs and as its last run", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { ...later, priority: "high", retry: { max_attempts: 4 } });
    const before = Date.now();
    const response = await call(`/v1/jobs/${job.id}/trigger`, {
      token: tenant.token,
      method: "POST",
    });
    expect(response.status).toBe(202);
    const run = (await response.json()) as Run;
    expect(run).toMatchObject({
      id: expect.any(String),
      job_id: job.id,
      trigger: "manual",
      priority: "high",
      max_attempts: 4,
    });
    expect(["pending", "queued", "running", "succeeded"]).toContain(run.status);
    expect(Date.parse(run.scheduled_for)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(run.scheduled_for)).toBeLessThanOrEqual(Date.now());

    const runs = await callJson<Page<Run>>(`/v1/jobs/${job.id}/runs`, { token: tenant.token }, 200);
    expect(runs.data.map((r) => r.id)).toEqual([run.id]);
    const current = await getJob(tenant, job.id);
    expect(current.last_run?.id).toBe(run.id);
    // A manual run does not move the schedule.
    expect(current.next_run_at).toBe(job.next_run_at);
    expect(current.status).toBe("active");
  });

  it("answers 404 to actions on an unknown job", async () => {
    const tenant = await createTenant();
    for (const action of ["pause", "resume", "trigger"]) {
      await expectProblem(
        await call(`/v1/jobs/job_nope/${action}`, { token: tenant.token, method: "POST" }),
        404,
      );
    }
  });
});

describe("previews", () => {
  it("lists a cron job's next fire times, the first being next_run_at", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { cron: "0 */6 * * *" } });
    const preview = await callJson<Preview>(
      `/v1/jobs/${job.id}/preview?count=5`,
      { token: tenant.token },
      200,
    );
    expect(preview.timezone).toBe("UTC");
    expect(preview.fire_times).toHaveLength(5);
    expect(preview.fire_times[0]).toBe(job.next_run_at);
    const times = preview.fire_times.map(Date.parse);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] as number) - (times[i - 1] as number)).toBe(6 * HOUR);
    }
    for (const t of times) expect(new Date(t).getUTCHours() % 6).toBe(0);
  });

  it("lists exact fire times of a cron in its time zone, ten by default", async () => {
    const tenant = await createTenant();
    // Midnight of 1 January in Tokyo is 15:00 UTC on 31 December.
    const job = await createJob(tenant, {
      schedule: { cron: "0 0 1 1 *", timezone: "Asia/Tokyo" },
    });
    const preview = await callJson<Preview>(
      `/v1/jobs/${job.id}/preview`,
      { token: tenant.token },
      200,
    );
    expect(preview.timezone).toBe("Asia/Tokyo");
    expect(preview.fire_times).toHaveLength(DEFAULTS.previewCount);
    const first = Date.parse(job.next_run_at);
    expect(new Date(first).toISOString()).toMatch(/-12-31T15:00:00\.000Z$/);
    expect(preview.fire_times.slice(0, 3)).toEqual(
      [0, 1, 2].map((n) => {
        const d = new Date(first);
        d.setUTCFullYear(d.getUTCFullYear() + n);
        return d.toISOString();
      }),
    );
  });

  it("lists a one-time job's single fire time", async () => {
    const tenant = await createTenant();
    const { local, utc } = aheadWithOffset(HOUR);
    const job = await createJob(tenant, { schedule: { at: local } });
    const preview = await callJson<Preview>(
      `/v1/jobs/${job.id}/preview?count=5`,
      { token: tenant.token },
      200,
    );
    expect(preview.fire_times).toEqual([utc]);
  });

  it("rejects a preview count out of range at query.count", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, later);
    for (const count of [0, LIMITS.maxPreviewCount + 1]) {
      await expectProblem(
        await call(`/v1/jobs/${job.id}/preview?count=${count}`, { token: tenant.token }),
        400,
        ["query.count"],
      );
    }
  });

  it("previews an unsaved cron schedule with POST /v1/schedules/preview", async () => {
    const tenant = await createTenant();
    const before = Date.now();
    const preview = await callJson<Preview>(
      "/v1/schedules/preview",
      { token: tenant.token, body: { schedule: { cron: "*/15 * * * *" }, count: 4 } },
      200,
    );
    expect(preview.timezone).toBe("UTC");
    expect(preview.fire_times).toHaveLength(4);
    const times = preview.fire_times.map(Date.parse);
    expect(times[0]).toBeGreaterThan(before);
    expect(times[0]).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] as number) - (times[i - 1] as number)).toBe(15 * 60_000);
    }
    for (const t of times) expect(new Date(t).getUTCMinutes() % 15).toBe(0);
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("previews exact times in a time zone, and one-time schedules as one time", async () => {
    const tenant = await createTenant();
    const yearly = await callJson<Preview>(
      "/v1/schedules/preview",
      {
        token: tenant.token,
        body: { schedule: { cron: "30 15 10 1 1 *", timezone: "Asia/Tokyo" }, count: 2 },
      },
      200,
    );
    expect(yearly).toEqual({
      fire_times: [nextNewYear(1, 15, 30), nextNewYear(1, 15, 30, 1)],
      timezone: "Asia/Tokyo",
    });
    const { local, utc } = aheadWithOffset(HOUR);
    const once = await callJson<Preview>(
      "/v1/schedules/preview",
      { token: tenant.token, body: { schedule: { at: local }, count: 5 } },
      200,
    );
    expect(once.fire_times).toEqual([utc]);
  });

  it("lets a read token preview, and rejects invalid schedules with the field's path", async () => {
    const tenant = await createTenant();
    const reader = await callJson<{ token: string }>(
      `/v1/admin/tenants/${tenant.id}/tokens`,
      { token: "test-admin-token", body: { scope: "read" } },
      201,
    );
    await callJson(
      "/v1/schedules/preview",
      { token: reader.token, body: { schedule: { delay_seconds: 60 } } },
      200,
    );
    await expectProblem(
      await call("/v1/schedules/preview", {
        token: tenant.token,
        body: { schedule: { cron: "61 * * * *" } },
      }),
      400,
      ["schedule.cron"],
    );
    await expectProblem(
      await call("/v1/schedules/preview", {
        token: tenant.token,
        body: { schedule: { cron: "* * * * *" }, count: 1000 },
      }),
      400,
      ["count"],
    );
  });
});

describe("tenant isolation", () => {
  it("answers 404 to every job route for another tenant's job and leaves it unchanged", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const theirs = await createJob(b, {
      schedule: { cron: "0 12 1 1 *", timezone: "Europe/Berlin" },
      metadata: { owner: "b" },
    });
    const snapshot = await getJob(b, theirs.id);
    const asA = { token: a.token };
    const path = `/v1/jobs/${theirs.id}`;

    await expectProblem(await call(path, asA), 404);
    await expectProblem(await call(path, { ...asA, method: "PATCH", body: { name: "mine" } }), 404);
    await expectProblem(
      await call(path, {
        ...asA,
        method: "PATCH",
        body: { name: "mine" },
        headers: { "if-match": '"1"' },
      }),
      404,
    );
    await expectProblem(await call(path, { ...asA, method: "DELETE" }), 404);
    for (const action of ["pause", "resume", "trigger"]) {
      await expectProblem(await call(`${path}/${action}`, { ...asA, method: "POST" }), 404);
    }
    await expectProblem(await call(`${path}/preview?count=5`, asA), 404);
    await expectProblem(await call(`${path}/runs`, asA), 404);

    expect(await getJob(b, theirs.id)).toEqual(snapshot);
    const runs = await callJson<Page<Run>>(`${path}/runs`, { token: b.token }, 200);
    expect(runs.data).toEqual([]);
    expect(await listAllJobs(a)).toEqual([]);
    expect((await listAllJobs(b)).map((j) => j.id)).toEqual([theirs.id]);
  });

  it("answers 404 to another tenant's run and does not list it", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const job = await createJob(b, later);
    const run = await callJson<Run>(
      `/v1/jobs/${job.id}/trigger`,
      { token: b.token, method: "POST" },
      202,
    );
    await expectProblem(await call(`/v1/runs/${run.id}`, { token: a.token }), 404);
    await expectProblem(
      await call(`/v1/runs/${run.id}/cancel`, { token: a.token, method: "POST" }),
      404,
    );
    const listed = await callJson<Page<Run>>(`/v1/runs?job_id=${job.id}`, { token: a.token }, 200);
    expect(listed.data).toEqual([]);
    const detail = await callJson<Run>(`/v1/runs/${run.id}`, { token: b.token }, 200);
    expect(detail.status).not.toBe("cancelled");
  });
});
