import { describe, expect, it } from "vitest";
import { LIMITS } from "../src/domain/limits";
import { AUTH_FAILURES_PER_MINUTE } from "../src/durable/tenant/tenant-store";
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

/** A well-formed token id that was never issued (same length and alphabet as a real one). */
function guessedId(real: string, i: number): string {
  return `g${i}`.padEnd(real.length, "x");
}

describe("failed authentication", () => {
  it("is rate limited per tenant while the tenant's own token keeps working", async () => {
    const tenant = await createTenant();
    // A well-formed token with the wrong secret: it reaches the object, which checks the hash.
    const tail = tenant.token.slice(-4);
    const wrong = `${tenant.token.slice(0, -4)}${tail === "AAAA" ? "BBBB" : "AAAA"}`;
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++)
      await expectProblem(await call("/v1/jobs", { token: wrong }), 401);
    const limited = await call("/v1/jobs", { token: wrong });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    await expectProblem(limited, 429);
    // Guessed token ids are refused without a lookup, and the real token still passes.
    const guessed = tenant.token.replace(tenant.token_id, guessedId(tenant.token_id, 0));
    await expectProblem(await call("/v1/jobs", { token: guessed }), 429);
    await callJson("/v1/jobs", { token: tenant.token }, 200);
  });

  it("writes nothing and caches no unknown token ids", async () => {
    const tenant = await createTenant();
    await callJson("/v1/jobs", { token: tenant.token }, 200);
    const before = await sqlIn(tenant.id, "select * from counters order by name, labels");
    for (let i = 0; i < 20; i++) {
      const guessed = tenant.token.replace(tenant.token_id, guessedId(tenant.token_id, i));
      const refused = await expectProblem(
        await call("/v1/jobs", { token: guessed, body: jobBody() }),
        401,
      );
      expect(refused.detail).toMatch(/unknown or revoked/); // answered by the object itself
    }
    expect(await sqlIn(tenant.id, "select * from counters order by name, labels")).toEqual(before);
    const cached = await insideScheduler(
      tenant.id,
      (s) => (s as unknown as { tenants: { tokenCache: Map<string, unknown> } }).tenants.tokenCache,
    );
    expect([...cached.keys()]).toEqual([tenant.token_id]);
  });
});

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
