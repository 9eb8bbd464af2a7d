/**
 * The isolation proof: every route the app defines, called with every kind of wrong credential,
 * and tenant A's token on tenant B's ids. The route list comes from the app itself, so a new route
 * cannot escape this test.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../src/api/app";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createJob,
  createTenant,
  jobBody,
  type TestTenant,
} from "./support/api";
import { waitForRuns } from "./support/runs";

interface Route {
  method: string;
  path: string;
}

// Open to anyone, and about no tenant: GET / points to the others; /dev/echo is local-only.
const OPEN_ROUTES = ["/", "/health", "/health/ready", "/openapi.json", "/docs", "/dev/echo"];

function appRoutes(): Route[] {
  const seen = new Set<string>();
  return createApp()
    .routes.filter((r) => r.method !== "ALL" && !r.path.endsWith("*"))
    .map((r) => ({ method: r.method, path: r.path }))
    .filter((r) => {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

const isAdmin = (r: Route) => r.path.startsWith("/v1/admin");
const isTenant = (r: Route) => r.path.startsWith("/v1/") && !isAdmin(r);
/** Routes that change state (POST /v1/schedules/preview only computes, so a read token may use it). */
const writes = (r: Route) => r.method !== "GET" && r.path !== "/v1/schedules/preview";

interface World {
  a: TestTenant;
  b: TestTenant;
  bJobId: string;
  bRunId: string;
  bReadToken: string;
  bRevokedToken: string;
  bRevokedTokenId: string;
}

function concrete(route: Route, w: World, tenant: TestTenant): string {
  return route.path
    .replace(":token_id", w.bRevokedTokenId)
    .replace(/\/v1\/admin\/tenants\/:id/, `/v1/admin/tenants/${tenant.id}`)
    .replace(/\/v1\/runs\/:id/, `/v1/runs/${w.bRunId}`)
    .replace(/\/v1\/jobs\/:id/, `/v1/jobs/${w.bJobId}`)
    .replace(/\/v1\/workers\/:id/, "/v1/workers/w-never-seen")
    .replace(":key", "iso-key")
    .replace(":host", "iso.example.com");
}

function bodyFor(route: Route): unknown {
  if (route.method === "GET" || route.method === "DELETE") return undefined;
  if (route.path === "/v1/jobs") return jobBody({ schedule: { delay_seconds: 3600 } });
  if (route.path === "/v1/jobs/batch")
    return { jobs: [jobBody({ schedule: { delay_seconds: 3600 } })] };
  if (route.path === "/v1/jobs/:id") return { name: "changed by someone else" };
  if (route.path === "/v1/schedules/preview") return { schedule: { cron: "0 * * * *" }, count: 2 };
  if (route.path.endsWith("/tokens")) return { scope: "read" };
  if (route.path.endsWith("/signing-secret")) return { overlap_seconds: 60 };
  if (route.path === "/v1/admin/tenants") return { name: "intruder" };
  if (route.path === "/v1/admin/tenants/:id") return { suspended: true };
  if (route.path === "/v1/flow-keys/:key" || route.path === "/v1/destinations/:host")
    return { max_running: 1 };
  if (route.path === "/v1/workers/claim") return { worker_id: "w-iso", pools: ["iso"] };
  if (route.path === "/v1/workers/:id/reports")
    return { reports: [{ kind: "complete", run_id: "run_iso", attempt: 1 }] };
  if (route.path === "/v1/runs/:id/fail") return { worker_id: "w-iso", attempt: 1, error: "x" };
  if (/^\/v1\/runs\/:id\/(heartbeat|complete)$/.test(route.path))
    return { worker_id: "w-iso", attempt: 1 };
  return {};
}

async function snapshot(w: World): Promise<string> {
  const jobs = await callJson<any>("/v1/jobs?limit=200", { token: w.b.token }, 200);
  const runs = await callJson<any>("/v1/runs?limit=200", { token: w.b.token }, 200);
  const run = await callJson<any>(`/v1/runs/${w.bRunId}`, { token: w.b.token }, 200);
  const tenant = await callJson<any>(`/v1/admin/tenants/${w.b.id}`, { token: ADMIN_TOKEN }, 200);
  const flowKeys = await callJson<any>("/v1/flow-keys", { token: w.b.token }, 200);
  const destinations = await callJson<any>("/v1/destinations", { token: w.b.token }, 200);
  return JSON.stringify({ jobs, runs, run, tenant, flowKeys, destinations });
}

async function status(
  route: Route,
  token: string | null,
  w: World,
  tenant: TestTenant,
): Promise<number> {
  const response = await call(concrete(route, w, tenant), {
    method: route.method,
    token,
    body: bodyFor(route),
  });
  await response.arrayBuffer();
  return response.status;
}

describe("tenant isolation across every route", () => {
  it("the route list covers the whole API", () => {
    const routes = appRoutes();
    expect(routes.filter(isTenant).length).toBeGreaterThanOrEqual(18);
    expect(routes.filter(isAdmin).length).toBeGreaterThanOrEqual(7);
    for (const r of routes)
      expect(
        isTenant(r) || isAdmin(r) || OPEN_ROUTES.includes(r.path),
        `${r.method} ${r.path}`,
      ).toBe(true);
  });

  it("rejects wrong credentials everywhere and never shows or changes tenant B's data", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const job = await createJob(b);
    const [run] = await waitForRuns(
      b,
      job.id,
      (r) => r.some((x) => x.status === "succeeded"),
      "B's run",
    );
    const read = await callJson<any>(
      `/v1/admin/tenants/${b.id}/tokens`,
      { token: ADMIN_TOKEN, body: { scope: "read" } },
      201,
    );
    const revoked = await callJson<any>(
      `/v1/admin/tenants/${b.id}/tokens`,
      { token: ADMIN_TOKEN, body: { scope: "write" } },
      201,
    );
    await call(`/v1/admin/tenants/${b.id}/tokens/${revoked.id}`, {
      token: ADMIN_TOKEN,
      method: "DELETE",
    });
    const w: World = {
      a,
      b,
      bJobId: job.id,
      bRunId: run?.id,
      bReadToken: read.token,
      bRevokedToken: revoked.token,
      bRevokedTokenId: revoked.id,
    };
    const before = await snapshot(w);
    const [, tenantId, tokenId] = b.token.split(".");
    const badSecret = `sched.${tenantId}.${tokenId}.${"x".repeat(43)}`;
    const routes = appRoutes();

    for (const route of routes.filter(isTenant)) {
      const label = `${route.method} ${route.path}`;
      expect(await status(route, null, w, b), `${label} without a token`).toBe(401);
      expect(await status(route, badSecret, w, b), `${label} with a bad secret`).toBe(401);
      expect(await status(route, w.bRevokedToken, w, b), `${label} with a revoked token`).toBe(401);
      expect(await status(route, ADMIN_TOKEN, w, b), `${label} with the admin token`).toBe(401);
      if (writes(route))
        expect(await status(route, w.bReadToken, w, b), `${label} with a read token`).toBe(403);
      else
        expect(await status(route, w.bReadToken, w, b), `${label} with a read token`).toBeLessThan(
          300,
        );
      const withIds = route.path.includes(":id");
      const cross = await status(route, a.token, w, b);
      if (withIds) expect(cross, `${label} with tenant A's token on B's ids`).toBe(404);
      else expect(cross, `${label} with tenant A's token`).toBeLessThan(300);
    }
    for (const route of routes.filter(isAdmin)) {
      const label = `${route.method} ${route.path}`;
      expect(await status(route, null, w, b), `${label} without a token`).toBe(401);
      expect(await status(route, b.token, w, b), `${label} with a tenant token`).toBe(401);
      expect(await status(route, w.bReadToken, w, b), `${label} with a read token`).toBe(401);
    }

    // Nothing tenant A did is visible to B, nothing of B changed, and A's lists never show B's data.
    expect(await snapshot(w)).toBe(before);
    const aJobs = await callJson<any>("/v1/jobs?limit=200", { token: a.token }, 200);
    expect(JSON.stringify(aJobs)).not.toContain(job.id);
    const aRuns = await callJson<any>("/v1/runs?limit=200", { token: a.token }, 200);
    expect(JSON.stringify(aRuns)).not.toContain(run?.id);
    const aDead = await callJson<any>("/v1/dead-letters", { token: a.token }, 200);
    expect(JSON.stringify(aDead)).not.toContain(b.id);
  });
});
