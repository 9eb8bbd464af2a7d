import { describe, expect, it } from "vitest";
import { callJson, createJob, createTenant, sinkUrl, uniqueId } from "./support/api";
import { insideScheduler, rowsReadBy, sqlIn } from "./support/tenant-object";

/**
 * Adds `count` finished runs to the job's history (as a per-second cron builds up), finished in
 * the last hours so that retention keeps them.
 */
async function addHistory(tenantId: string, jobId: string, count: number, from: number) {
  const base = Date.now() - 3_600_000;
  await sqlIn(
    tenantId,
    `with recursive seq(n) as (select ? union all select n + 1 from seq where n < ?)
     insert into runs (id, job_id, key, trigger, status, priority, priority_rank, scheduled_for,
                       attempt, max_attempts, due_at, worker_id, finished_at, created_at)
     select printf('run_hist%09d', n), ?, ? || '@hist' || n, 'schedule',
            case when n % 500 = 0 then 'dead' else 'succeeded' end, 'medium', 1, n, 1, 3, n,
            'consumer-old', ? + n, ? + n
     from seq`,
    from,
    from + count - 1,
    jobId,
    jobId,
    base,
    base,
  );
}

describe("run lookups read only what they return", () => {
  it("the overlap check reads the same rows with 100 or 5,000 finished runs in the job's history", async () => {
    const tenant = await createTenant();
    // A run that stays in progress: its target never answers within the test.
    const job = await createJob(tenant, {
      schedule: { cron: "0 0 1 1 *" },
      target: { type: "http", url: sinkUrl(`/${uniqueId("hang")}`, { hang: 1 }) },
      timeout_seconds: 300,
    });
    await callJson(`/v1/jobs/${job.id}/trigger`, { token: tenant.token, method: "POST" }, 202);
    const measure = () =>
      insideScheduler(tenant.id, (s) => {
        let active = 0;
        const read = rowsReadBy(s, () => {
          active = s.runs.activeOfJob(job.id).length;
        });
        return { active, read };
      });
    await addHistory(tenant.id, job.id, 100, 1);
    const small = await measure();
    await addHistory(tenant.id, job.id, 4_900, 101);
    const large = await measure();
    expect(small.active).toBe(1);
    expect(large.active).toBe(1);
    expect(large.read).toBe(small.read);
    expect(large.read).toBeLessThanOrEqual(2);
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
  });

  it("every run filter off the happy path (worker, job and status, job, status) has an index path", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { cron: "0 0 1 1 *" } });
    await callJson(`/v1/jobs/${job.id}/trigger`, { token: tenant.token, method: "POST" }, 202);
    await addHistory(tenant.id, job.id, 5_000, 1);
    await sqlIn(tenant.id, "update runs set worker_id = 'w-rare' where id = 'run_hist000000007'");
    const reads = await insideScheduler(tenant.id, (s) => {
      const cost = (query: Record<string, unknown>) => {
        let found = 0;
        const read = rowsReadBy(s, () => {
          found = s.runs.list({ limit: 10, ...query } as never).rows.length;
        });
        return { found, read };
      };
      return {
        worker: cost({ worker_id: "w-rare" }),
        jobDead: cost({ job_id: job.id, status: "dead" }),
        jobActive: cost({ job_id: job.id, status: "pending" }),
        job: cost({ job_id: job.id }),
        status: cost({ status: "dead" }),
      };
    });
    expect(reads.worker.found).toBe(1);
    expect(reads.worker.read).toBeLessThanOrEqual(2);
    // 5,000 runs, one in 500 dead: a page of 10 dead runs reads those 10 (and one to see if more).
    expect(reads.jobDead.found).toBe(10);
    expect(reads.jobDead.read).toBeLessThanOrEqual(11);
    expect(reads.jobActive.read).toBeLessThanOrEqual(2);
    expect(reads.job.read).toBeLessThanOrEqual(11);
    expect(reads.status.read).toBeLessThanOrEqual(11);
  });

  it("a happy-path status filter scans at most 5,000 ids a page and continues with a cursor", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { cron: "0 0 1 1 *" } });
    await addHistory(tenant.id, job.id, 6_000, 1);
    // Two running runs: the newest and one 5,500 runs further back.
    await sqlIn(
      tenant.id,
      "update runs set status = 'running', finished_at = null where id in (?, ?)",
      "run_hist000006000",
      "run_hist000000500",
    );
    const pages = await insideScheduler(tenant.id, (s) => {
      const first = s.runs.list({ limit: 10, status: "running" } as never);
      const second = s.runs.list({
        limit: 10,
        status: "running",
        cursor: first.nextCursor,
      } as never);
      return [first, second].map((p) => ({ ids: p.rows.map((r) => r.id), next: p.nextCursor }));
    });
    expect(pages[0]).toEqual({ ids: ["run_hist000006000"], next: "run_hist000001001" });
    expect(pages[1]).toEqual({ ids: ["run_hist000000500"], next: null });
  });
});
