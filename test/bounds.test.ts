import { describe, expect, it } from "vitest";
import { LIMITS } from "../src/domain/limits";
import {
  call,
  callJson,
  createJob,
  createTenant,
  expectProblem,
  jobBody,
  setTenant,
  sinkUrl,
  uniqueId,
} from "./support/api";
import { runsOf } from "./support/runs";
import { fireAlarm, insideScheduler, sqlIn } from "./support/tenant-object";

describe("runs in progress per job", () => {
  it(`are capped at ${LIMITS.maxActiveRunsPerJob}: further occurrences are skipped, triggers refused, cancel touches them all`, async () => {
    const tenant = await createTenant();
    await setTenant(tenant, { max_in_flight: 1 });
    const job = await createJob(tenant, {
      schedule: { at: new Date(Date.now() + 3_600_000).toISOString() },
      overlap: "allow",
      target: { type: "http", url: sinkUrl(`/${uniqueId("hang")}`, { hang: 1 }) },
      timeout_seconds: 300,
    });
    await insideScheduler(tenant.id, (s) =>
      s.transaction(() => {
        const row = s.jobs.require(job.id);
        for (let i = 0; i < LIMITS.maxActiveRunsPerJob; i++)
          s.lifecycle.occurrences.trigger(row, Date.now());
      }),
    );
    const refused = await expectProblem(
      await call(`/v1/jobs/${job.id}/trigger`, { token: tenant.token, method: "POST" }),
      409,
    );
    expect(refused.detail).toMatch(/100 runs in progress/);

    // The scheduled occurrence comes due: it is recorded, as skipped, with the reason.
    await sqlIn(tenant.id, "update jobs set next_run_at = ? where id = ?", Date.now(), job.id);
    await fireAlarm(tenant.id);
    const skipped = (await runsOf(tenant, job.id)).filter((r) => r.status === "skipped");
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.last_error).toMatch(/100 runs in progress/);

    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
    const statuses = (await runsOf(tenant, job.id)).map((r) => r.status);
    expect(statuses.filter((s) => s === "cancelled").length).toBeGreaterThanOrEqual(99);
    expect(statuses.filter((s) => s === "pending" || s === "queued")).toEqual([]);
  });
});
