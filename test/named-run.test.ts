import { describe, expect, it } from "vitest";
import { call, callJson, createJob, createTenant, sinkUrl, uniqueId } from "./support/api";
import { type Run, soon, waitForRuns } from "./support/runs";
import { sqlIn } from "./support/tenant-object";

/** Every page of a job's runs, `limit` at a time, following the cursors. */
async function allPages(token: string, path: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const separator = path.includes("?") ? "&" : "?";
    const url = `${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`;
    const body: { data: Run[]; next_cursor: string | null } = await callJson(url, { token }, 200);
    ids.push(...body.data.map((r) => String(r.id)));
    cursor = body.next_cursor;
    if (!cursor) return ids;
  }
  throw new Error("too many pages");
}

async function namedFlags(tenantId: string, jobId: string): Promise<Record<string, number>> {
  const rows = await sqlIn(tenantId, "select id, named_by_job from runs where job_id = ?", jobId);
  return Object.fromEntries(rows.map((r) => [String(r.id), Number(r.named_by_job)]));
}

describe("a one-time job's run, named by its job instead of an index entry", () => {
  it("is listed with the job's other runs exactly once on every page size and filter", async () => {
    const tenant = await createTenant({ tier: "premium" });
    const url = sinkUrl(`/${uniqueId("named")}`);
    const job = await createJob(tenant, {
      schedule: { at: soon(2) },
      target: { type: "http", url },
    });
    // Two manual runs before the scheduled one: their ids sort below it.
    for (let i = 0; i < 2; i++)
      await callJson(`/v1/jobs/${job.id}/trigger`, { token: tenant.token, method: "POST" }, 202);
    const runs = await waitForRuns(
      tenant,
      job.id,
      (r) => r.length === 3 && r.every((run) => run.status === "succeeded"),
      "the scheduled run and both manual runs to succeed",
    );
    const scheduled = runs.find((r) => r.trigger === "schedule");
    expect(scheduled).toBeDefined();
    // Stored without a `runs_by_job` entry, named by the job instead.
    expect((await namedFlags(tenant.id, job.id))[scheduled?.id]).toBe(1);
    const expected = runs
      .map((r) => String(r.id))
      .sort()
      .reverse();
    for (const limit of [1, 2, 3, 10]) {
      expect(
        await allPages(tenant.token, `/v1/jobs/${job.id}/runs`, limit),
        `limit ${limit}`,
      ).toEqual(expected);
      expect(
        await allPages(tenant.token, `/v1/runs?job_id=${job.id}`, limit),
        `/v1/runs, limit ${limit}`,
      ).toEqual(expected);
      // A status filter without an index scans; the named run is merged there too.
      expect(
        await allPages(tenant.token, `/v1/jobs/${job.id}/runs?status=succeeded`, limit),
        `status filter, limit ${limit}`,
      ).toEqual(expected);
    }
    const none = await callJson<{ data: Run[] }>(
      `/v1/jobs/${job.id}/runs?status=dead`,
      { token: tenant.token },
      200,
    );
    expect(none.data).toEqual([]);
  });

  it("gets its index entry when the job names a later run: a trigger, or the job rescheduled", async () => {
    const tenant = await createTenant({ tier: "premium" });
    const url = sinkUrl(`/${uniqueId("renamed")}`);
    const job = await createJob(tenant, {
      schedule: { at: soon(1) },
      target: { type: "http", url },
    });
    const [first] = await waitForRuns(
      tenant,
      job.id,
      (r) => r[0]?.status === "succeeded",
      "the scheduled run",
    );
    expect((await namedFlags(tenant.id, job.id))[first?.id]).toBe(1);
    // Rescheduled after it completed: a second scheduled run, which the job names now.
    const patched = await call(`/v1/jobs/${job.id}`, {
      token: tenant.token,
      method: "PATCH",
      body: { schedule: { at: soon(1) } },
    });
    expect(patched.status).toBe(200);
    const two = await waitForRuns(
      tenant,
      job.id,
      (r) => r.length === 2 && r.every((run) => run.status === "succeeded"),
      "the rescheduled run",
    );
    const second = two.find((r) => r.id !== first?.id);
    expect(await namedFlags(tenant.id, job.id)).toEqual({ [first?.id]: 0, [second?.id]: 1 });
    // A trigger makes the manual run the job's last: the scheduled one enters the index.
    await callJson(`/v1/jobs/${job.id}/trigger`, { token: tenant.token, method: "POST" }, 202);
    const three = await waitForRuns(tenant, job.id, (r) => r.length === 3, "the manual run");
    const flags = await namedFlags(tenant.id, job.id);
    expect(Object.values(flags)).toEqual([0, 0, 0]);
    const expected = three
      .map((r) => String(r.id))
      .sort()
      .reverse();
    for (const limit of [1, 2])
      expect(await allPages(tenant.token, `/v1/jobs/${job.id}/runs`, limit)).toEqual(expected);
  });

  it("is found once by a status filter with its own index (a dead one-time run)", async () => {
    const tenant = await createTenant({ tier: "premium" });
    const url = sinkUrl(`/${uniqueId("dies")}`, { status: 500 });
    const job = await createJob(tenant, {
      schedule: { at: soon(1) },
      target: { type: "http", url },
      retry: { max_attempts: 1 },
    });
    const [dead] = await waitForRuns(
      tenant,
      job.id,
      (r) => r[0]?.status === "dead",
      "the run to die",
    );
    expect((await namedFlags(tenant.id, job.id))[dead?.id]).toBe(1);
    for (const path of [
      `/v1/jobs/${job.id}/runs?status=dead`,
      `/v1/runs?job_id=${job.id}&status=dead`,
    ])
      expect(await allPages(tenant.token, path, 1), path).toEqual([dead?.id]);
  });
});
