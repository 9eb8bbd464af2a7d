import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { idFloor } from "../src/domain/ids";
import { EXPRESS_SHARE } from "../src/durable/dispatch/run-queues";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createJob,
  createTenant,
  deliveriesAt,
  jobBody,
  setTenant,
  sinkUrl,
  type TestTenant,
  uniqueId,
  waitFor,
} from "./support/api";
import { has, runDetail, waitForRuns } from "./support/runs";
import { fireAlarm, schedulerStub, sqlIn } from "./support/tenant-object";

async function jobCount(tenant: TestTenant): Promise<number> {
  const page = await callJson<{ data: unknown[] }>(
    "/v1/jobs?limit=200",
    { token: tenant.token },
    200,
  );
  return page.data.length;
}

describe("tier enforcement", () => {
  it("refuses a priority the tier does not allow with 403 naming the field, storing nothing", async () => {
    const tenant = await createTenant({ tier: "free" });
    const response = await call("/v1/jobs", {
      token: tenant.token,
      body: jobBody({ priority: "high" }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as any;
    expect(body.errors).toEqual([{ path: "priority", message: expect.stringContaining("free") }]);
    const batch = await call("/v1/jobs/batch", {
      token: tenant.token,
      body: { jobs: [jobBody(), jobBody({ priority: "high" })] },
    });
    expect(batch.status).toBe(403);
    expect(((await batch.json()) as any).errors[0].path).toBe("jobs[1].priority");
    expect(await jobCount(tenant)).toBe(0);
  });

  it("refuses a cron more frequent than the tier's minimum interval with 400", async () => {
    const tenant = await createTenant({ tier: "free" });
    const response = await call("/v1/jobs", {
      token: tenant.token,
      body: jobBody({ schedule: { cron: "*/10 * * * * *" } }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0]).toMatchObject({
      path: "schedule.cron",
      message: expect.stringContaining("60 s"),
    });
    await createJob(tenant, { schedule: { cron: "*/5 * * * *" } });
    expect(await jobCount(tenant)).toBe(1);
  });

  it("enforces the job quota, applies a tier change on the next request, and never deletes on downgrade", async () => {
    const tenant = await createTenant({ tier: "free" });
    const hundred = Array.from({ length: 100 }, (_, i) =>
      jobBody({ name: `j${i}`, schedule: { delay_seconds: 3600 } }),
    );
    await callJson("/v1/jobs/batch", { token: tenant.token, body: { jobs: hundred } }, 201);
    const over = await call("/v1/jobs", {
      token: tenant.token,
      body: jobBody({ schedule: { delay_seconds: 3600 } }),
    });
    expect(over.status).toBe(409);
    expect(((await over.json()) as any).detail).toMatch(/100 active jobs/);
    expect(await jobCount(tenant)).toBe(100);

    await setTenant(tenant, { tier: "standard" });
    await createJob(tenant, { schedule: { delay_seconds: 3600 } });
    await setTenant(tenant, { tier: "free" });
    expect(await jobCount(tenant)).toBe(101);
    const tenantView = await callJson<any>(
      `/v1/admin/tenants/${tenant.id}`,
      { token: ADMIN_TOKEN },
      200,
    );
    expect(tenantView.tier).toBe("free");
  });

  it("answers 429 with Retry-After over the tier's request rate", async () => {
    const tenant = await createTenant({ tier: "free" });
    let limited: Response | undefined;
    for (let i = 0; i < 130 && !limited; i++) {
      const response = await call("/v1/jobs", { token: tenant.token });
      if (response.status === 429) limited = response;
      else await response.arrayBuffer();
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited?.headers.get("content-type")).toContain("application/problem+json");
    // A tier upgrade applies on the next request: the bucket refills at the new rate.
    await setTenant(tenant, { tier: "premium" });
    await waitFor(
      async () => (await call("/v1/jobs", { token: tenant.token })).status === 200,
      "the premium rate",
    );
  });
});

describe("retention, scopes, secrets, suspension, fairness", () => {
  it("prunes finished runs past the tier's retention, keeping the totals", async () => {
    const tenant = await createTenant({ tier: "free" });
    const job = await createJob(tenant);
    const [run] = await waitForRuns(tenant, job.id, has("succeeded"), "the run");
    const metricsBefore = await (await call("/v1/metrics", { token: tenant.token })).text();
    expect(metricsBefore).toMatch(
      /scheduler_runs_finished_total\{[^}]*status="succeeded"[^}]*\} 1/,
    );
    // Four days pass: the run was created and finished then (its id carries its creation time).
    const past = Date.now() - 4 * 24 * 3600 * 1000;
    const oldId = `${idFloor("run", past)}${String(run?.id).slice(idFloor("run", past).length)}`;
    await sqlIn(
      tenant.id,
      "update runs set id = ?, finished_at = ? where id = ?",
      oldId,
      past,
      run?.id,
    );
    await sqlIn(tenant.id, "update attempts set run_id = ? where run_id = ?", oldId, run?.id);
    await fireAlarm(tenant.id);
    expect((await call(`/v1/runs/${oldId}`, { token: tenant.token })).status).toBe(404);
    expect(await sqlIn(tenant.id, "select * from attempts where run_id = ?", oldId)).toEqual([]);
    const metricsAfter = await (await call("/v1/metrics", { token: tenant.token })).text();
    expect(metricsAfter).toMatch(/scheduler_runs_finished_total\{[^}]*status="succeeded"[^}]*\} 1/);
    expect(metricsAfter).not.toMatch(/scheduler_runs\{[^}]*status="succeeded"[^}]*\} 1/);
  });

  it("a read token reads but cannot change anything; a revoked token fails at once", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { delay_seconds: 3600 } });
    const read = await callJson<any>(
      `/v1/admin/tenants/${tenant.id}/tokens`,
      { token: ADMIN_TOKEN, body: { scope: "read" } },
      201,
    );
    await callJson(`/v1/jobs/${job.id}`, { token: read.token }, 200);
    for (const [path, method] of [
      ["/v1/jobs", "POST"],
      [`/v1/jobs/${job.id}`, "PATCH"],
      [`/v1/jobs/${job.id}`, "DELETE"],
      [`/v1/jobs/${job.id}/pause`, "POST"],
      [`/v1/jobs/${job.id}/trigger`, "POST"],
    ] as const) {
      const takesBody = path === "/v1/jobs" || method === "PATCH";
      const response = await call(path, {
        token: read.token,
        method,
        body: takesBody ? jobBody() : undefined,
      });
      expect(response.status, `${method} ${path}`).toBe(403);
      await response.arrayBuffer();
    }
    await call(`/v1/admin/tenants/${tenant.id}/tokens/${read.id}`, {
      token: ADMIN_TOKEN,
      method: "DELETE",
    });
    expect((await call(`/v1/jobs/${job.id}`, { token: read.token })).status).toBe(401);
    expect((await call("/v1/admin/tenants", { token: tenant.token })).status).toBe(401);
  });

  it("signs with both the old and the new secret while a rotation overlaps", async () => {
    const tenant = await createTenant();
    const rotated = await callJson<any>(
      `/v1/admin/tenants/${tenant.id}/signing-secret`,
      { token: ADMIN_TOKEN, body: { overlap_seconds: 3600 } },
      201,
    );
    expect(rotated.signing_secret).toMatch(/^whsec_/);
    const job = await createJob(tenant, {
      target: { type: "http", url: sinkUrl(`/${uniqueId("rotate")}`), body: { n: 1 } },
    });
    await waitForRuns(tenant, job.id, has("succeeded"), "the run");
    const [delivery] = await deliveriesAt(job.target.url);
    const h = delivery?.headers ?? {};
    const signatures = (h["webhook-signature"] ?? "").split(" ");
    expect(signatures).toHaveLength(2);
    const content = `${h["webhook-id"]}.${h["webhook-timestamp"]}.${delivery?.body}`;
    for (const secret of [rotated.signing_secret, tenant.signing_secret]) {
      const key = await crypto.subtle.importKey(
        "raw",
        Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0)),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      const mac = btoa(
        String.fromCharCode(
          ...new Uint8Array(
            await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(content)),
          ),
        ),
      );
      expect(signatures).toContain(`v1,${mac}`);
    }
  });

  it("suspension stops dispatch at once and resuming continues with the catch-up window", async () => {
    const tenant = await createTenant();
    const url = sinkUrl(`/${uniqueId("suspend")}`);
    const job = await createJob(tenant, {
      schedule: { cron: "* * * * * *" },
      target: { type: "http", url },
    });
    await waitForRuns(tenant, job.id, has("succeeded"), "a first run");
    await setTenant(tenant, { suspended: true });
    expect((await call(`/v1/jobs/${job.id}`, { token: tenant.token })).status).toBe(403);
    const alarm = await runInDurableObject(schedulerStub(tenant.id), (_i, state) =>
      state.storage.getAlarm(),
    );
    expect(alarm).toBeNull();
    const seen = (await deliveriesAt(url)).length;
    // Simulate the missed time: its next run lies 10 s in the past.
    await sqlIn(
      tenant.id,
      "update jobs set next_run_at = ? where id = ?",
      Date.now() - 10_000,
      job.id,
    );
    expect(await fireAlarm(tenant.id)).toBe(false);
    expect((await deliveriesAt(url)).length).toBeLessThanOrEqual(seen + 1);

    await setTenant(tenant, { suspended: false });
    await waitFor(
      async () => (await deliveriesAt(url)).length > seen + 1 && true,
      "deliveries after resuming",
    );
    const runs = await callJson<{ data: any[] }>(
      `/v1/jobs/${job.id}/runs?limit=200`,
      { token: tenant.token },
      200,
    );
    const keys = runs.data.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token, method: "DELETE" }, 200);
  });

  it("dispatches a small tenant's runs while a big tenant's backlog waits for its cap", async () => {
    const big = await createTenant();
    const small = await createTenant();
    await setTenant(big, { max_in_flight: 2 });
    const bigPath = `/${uniqueId("big")}`;
    const bigJobs = Array.from({ length: 30 }, (_, i) =>
      jobBody({
        name: `b${i}`,
        target: { type: "http", url: sinkUrl(bigPath, { delay_ms: 250 }) },
      }),
    );
    await callJson("/v1/jobs/batch", { token: big.token, body: { jobs: bigJobs } }, 201);
    const smallPath = `/${uniqueId("small")}`;
    const smallJobs = Array.from({ length: 3 }, (_, i) =>
      jobBody({ name: `s${i}`, target: { type: "http", url: sinkUrl(smallPath) } }),
    );
    await callJson("/v1/jobs/batch", { token: small.token, body: { jobs: smallJobs } }, 201);
    await waitFor(
      async () => (await deliveriesAt(sinkUrl(smallPath))).length === 3,
      "the small tenant's runs",
    );
    const bigDone = (await deliveriesAt(sinkUrl(bigPath))).length;
    expect(bigDone).toBeLessThan(30);
    const pending = await callJson<{ data: unknown[] }>(
      "/v1/runs?status=pending&limit=200",
      { token: big.token },
      200,
    );
    expect(pending.data.length).toBeGreaterThan(0);
    const run = (await callJson<{ data: any[] }>("/v1/runs?limit=1", { token: small.token }, 200))
      .data[0];
    expect((await runDetail(small, run.id)).fire_lag_ms).toBeLessThan(5_000);
  });

  it("puts at most EXPRESS_SHARE of a tenant's queued runs in the express queue, so a quiet tenant's run waits behind at most that many", async () => {
    const busy = await createTenant({ tier: "premium" });
    const quiet = await createTenant();
    const at = new Date(Date.now() + 1_500).toISOString();
    const target = { type: "http", url: sinkUrl(`/${uniqueId("lanes")}`) };
    const busyJobs = Array.from({ length: 40 }, (_, i) =>
      jobBody({ name: `busy${i}`, schedule: { at }, target }),
    );
    await callJson("/v1/jobs/batch", { token: busy.token, body: { jobs: busyJobs } }, 201);
    const quietJob = await createJob(quiet, { schedule: { at }, target });
    const lanesOf = async (tenant: TestTenant) => {
      const page = await callJson<{ data: { id: string; status: string }[] }>(
        "/v1/runs?limit=100",
        { token: tenant.token },
        200,
      );
      if (page.data.some((r) => r.status !== "succeeded")) return null;
      const details = await Promise.all(page.data.map((r) => runDetail(tenant, r.id)));
      // `runs-<lane>-<shard>-<invocation>`: the lane, whichever shard the tenant hashes to.
      return details.map((d) => String(d.attempts[0]?.worker_id).replace(/-\d+-[^-]+$/, ""));
    };
    let busyLanes: string[] = [];
    await waitFor(async () => {
      busyLanes = (await lanesOf(busy)) ?? [];
      return busyLanes.length === 40;
    }, "the busy runs");
    // All 40 were sent in one round while none was queued: the first EXPRESS_SHARE took express.
    expect(busyLanes.filter((lane) => lane === "runs-express")).toHaveLength(EXPRESS_SHARE);
    expect(busyLanes.filter((lane) => lane === "runs-medium")).toHaveLength(40 - EXPRESS_SHARE);
    await waitForRuns(quiet, quietJob.id, (runs) => runs[0]?.status === "succeeded", "quiet run");
    expect(await lanesOf(quiet)).toEqual(["runs-express"]);
  });
});
