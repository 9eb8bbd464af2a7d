/** The admin API: tenants and their tokens, and how tokens and suspension gate the tenant API. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createJob,
  createTenant,
  expectProblem,
  jobBody,
  setTenant,
  uniqueId,
} from "./support/api";

interface Tenant {
  id: string;
  name: string;
  tier: string;
  suspended: boolean;
  created_at: string;
  updated_at: string;
}
interface CreatedTenant extends Tenant {
  token: string;
  token_id: string;
  signing_secret: string;
}
interface IssuedToken {
  id: string;
  scope: string;
  token: string;
  created_at: string;
}
interface TenantPage {
  data: Tenant[];
  next_cursor: string | null;
}

const admin = (body?: unknown, method?: string) => ({ token: ADMIN_TOKEN, body, method });

/** Table names in the tenant's object, read inside it (an empty list means no storage was made). */
function tablesOf(tenantId: string): Promise<unknown[]> {
  const stub = env.TENANT_SCHEDULER.get(env.TENANT_SCHEDULER.idFromName(tenantId));
  return runInDurableObject(stub, (_instance, state) =>
    state.storage.sql.exec("select name from sqlite_master where type='table'").toArray(),
  );
}

/** A well-formed token for a tenant id, with a random token id and secret that were never issued. */
function forgedToken(tenantId: string): string {
  const tokenId = "0123456789abcdef";
  const secret = "A".repeat(43);
  return `sched.${tenantId}.${tokenId}.${secret}`;
}

describe("creating tenants", () => {
  it("creates a tenant with the given id and shows its token and signing secret once", async () => {
    const id = uniqueId("acme");
    const response = await call("/v1/admin/tenants", admin({ id, name: "Acme", tier: "premium" }));
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe(`/v1/admin/tenants/${id}`);
    const created = (await response.json()) as CreatedTenant;
    expect(created).toMatchObject({ id, name: "Acme", tier: "premium", suspended: false });
    expect(created.token).toMatch(new RegExp(`^sched\\.${id}\\.${created.token_id}\\.`));
    expect(created.signing_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Date.parse(created.created_at)).not.toBeNaN();

    const read = await callJson<Record<string, unknown>>(`/v1/admin/tenants/${id}`, admin(), 200);
    expect(read).toMatchObject({
      id,
      name: "Acme",
      tier: "premium",
      suspended: false,
      created_at: created.created_at,
      updated_at: created.updated_at,
    });
    expect(read).not.toHaveProperty("token");
    expect(read).not.toHaveProperty("signing_secret");
    expect(JSON.stringify(read)).not.toContain(created.token);
    expect(JSON.stringify(read)).not.toContain(created.signing_secret);
  });

  it("generates an id when none is given and defaults the tier to standard", async () => {
    const created = await callJson<CreatedTenant>(
      "/v1/admin/tenants",
      admin({ name: "Anonymous" }),
      201,
    );
    expect(created.id).toMatch(/^t-[0-9a-z]{12}$/);
    expect(created.tier).toBe("standard");
    await callJson(`/v1/jobs`, { token: created.token }, 200);
  });

  it("answers 409 for a duplicate id and keeps the first tenant's token working", async () => {
    const tenant = await createTenant({ name: "First" });
    const response = await call(
      "/v1/admin/tenants",
      admin({ id: tenant.id, name: "Second", tier: "free" }),
    );
    const problem = await expectProblem(response, 409);
    expect(problem.detail).toContain(tenant.id);
    const read = await callJson<Tenant>(`/v1/admin/tenants/${tenant.id}`, admin(), 200);
    expect(read).toMatchObject({ name: "First", tier: "standard" });
    await callJson("/v1/jobs", { token: tenant.token }, 200);
  });

  it("creates a tenant once when the same id is requested concurrently", async () => {
    const id = uniqueId("race");
    const responses = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        call("/v1/admin/tenants", admin({ id, name: `racer ${i}` })),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409]);
    const winner = (await responses.find((r) => r.status === 201)?.json()) as CreatedTenant;
    await callJson("/v1/jobs", { token: winner.token }, 200);
    const read = await callJson<Tenant>(`/v1/admin/tenants/${id}`, admin(), 200);
    expect(read.name).toBe(winner.name);
  });

  it("rejects invalid ids, tiers and unknown fields with the field's path", async () => {
    await expectProblem(await call("/v1/admin/tenants", admin({ id: "Bad_ID", name: "x" })), 400, [
      "id",
    ]);
    await expectProblem(await call("/v1/admin/tenants", admin({ name: "x", tier: "gold" })), 400, [
      "tier",
    ]);
    await expectProblem(await call("/v1/admin/tenants", admin({ name: "x", owner: "me" })), 400, [
      "owner",
    ]);
    await expectProblem(await call("/v1/admin/tenants", admin({ name: "" })), 400, ["name"]);
  });
});

describe("listing and reading tenants", () => {
  it("pages through tenants in id order with a cursor, each exactly once", async () => {
    const prefix = uniqueId("list");
    const ids = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`, `${prefix}-d`, `${prefix}-e`];
    for (const id of ids.slice().reverse()) {
      await callJson("/v1/admin/tenants", admin({ id, name: id }), 201);
    }
    // The cursor is exclusive, so starting from the bare prefix lists our tenants first.
    const seen: string[] = [];
    let cursor: string | null = prefix;
    while (cursor !== null && seen.length < ids.length) {
      const page: TenantPage = await callJson(
        `/v1/admin/tenants?limit=2&cursor=${cursor}`,
        admin(),
        200,
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((t) => t.id).filter((id) => id.startsWith(prefix)));
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(ids);
  });

  it("ends the walk with next_cursor null and lists every tenant once", async () => {
    const mine = await createTenant();
    const seen = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const page: TenantPage = await callJson(
        `/v1/admin/tenants?limit=200${cursor ? `&cursor=${cursor}` : ""}`,
        admin(),
        200,
      );
      for (const t of page.data) seen.set(t.id, (seen.get(t.id) ?? 0) + 1);
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(seen.get(mine.id)).toBe(1);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it("answers 404 for a tenant that does not exist, and creates no storage for it", async () => {
    const id = uniqueId("ghost");
    await expectProblem(await call(`/v1/admin/tenants/${id}`, admin()), 404);
    await expectProblem(await call(`/v1/admin/tenants/${id}`, admin({ name: "x" }, "PATCH")), 404);
    await expectProblem(await call(`/v1/admin/tenants/${id}/tokens`, admin({})), 404);
    expect(await tablesOf(id)).toEqual([]);
  });
});

describe("changing tenants", () => {
  it("changes name and tier, and the list shows the change", async () => {
    const tenant = await createTenant({ name: "Before", tier: "free" });
    const before = await callJson<Tenant>(`/v1/admin/tenants/${tenant.id}`, admin(), 200);
    const changed = await callJson<Tenant>(
      `/v1/admin/tenants/${tenant.id}`,
      admin({ name: "After", tier: "premium" }, "PATCH"),
      200,
    );
    expect(changed).toMatchObject({ id: tenant.id, name: "After", tier: "premium" });
    expect(changed.created_at).toBe(before.created_at);
    expect(Date.parse(changed.updated_at)).toBeGreaterThanOrEqual(Date.parse(before.updated_at));
    expect(await callJson(`/v1/admin/tenants/${tenant.id}`, admin(), 200)).toEqual(changed);
    const page = await callJson<TenantPage>(
      `/v1/admin/tenants?limit=1&cursor=${tenant.id.slice(0, -1)}`,
      admin(),
      200,
    );
    expect(page.data[0]).toEqual(changed);
  });

  it("rejects an unknown tier or field in a PATCH and changes nothing", async () => {
    const tenant = await createTenant();
    const before = await callJson(`/v1/admin/tenants/${tenant.id}`, admin(), 200);
    await expectProblem(
      await call(`/v1/admin/tenants/${tenant.id}`, admin({ tier: "platinum" }, "PATCH")),
      400,
      ["tier"],
    );
    await expectProblem(
      await call(`/v1/admin/tenants/${tenant.id}`, admin({ token: "x" }, "PATCH")),
      400,
      ["token"],
    );
    expect(await callJson(`/v1/admin/tenants/${tenant.id}`, admin(), 200)).toEqual(before);
  });

  it("answers 403 on tenant routes while suspended, and serves again once unsuspended", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant, { schedule: { delay_seconds: 3600 } });
    const suspended = await callJson<Tenant>(
      `/v1/admin/tenants/${tenant.id}`,
      admin({ suspended: true }, "PATCH"),
      200,
    );
    expect(suspended.suspended).toBe(true);

    const asTenant = { token: tenant.token };
    await expectProblem(await call("/v1/jobs", asTenant), 403);
    await expectProblem(await call(`/v1/jobs/${job.id}`, asTenant), 403);
    await expectProblem(await call("/v1/jobs", { ...asTenant, body: jobBody() }), 403);
    await expectProblem(
      await call("/v1/schedules/preview", {
        ...asTenant,
        body: { schedule: { cron: "* * * * *" } },
      }),
      403,
    );

    await callJson(`/v1/admin/tenants/${tenant.id}`, admin({ suspended: false }, "PATCH"), 200);
    const page = await callJson<{ data: { id: string }[] }>("/v1/jobs", asTenant, 200);
    expect(page.data.map((j) => j.id)).toEqual([job.id]);
  });
});

describe("tokens", () => {
  it("issues a read token that can read but not write", async () => {
    const tenant = await createTenant();
    const response = await call(`/v1/admin/tenants/${tenant.id}/tokens`, admin({ scope: "read" }));
    expect(response.status).toBe(201);
    const issued = (await response.json()) as IssuedToken;
    expect(issued).toMatchObject({ scope: "read", id: expect.stringMatching(/^[0-9a-z]{16}$/) });
    expect(issued.token).toMatch(new RegExp(`^sched\\.${tenant.id}\\.${issued.id}\\.`));

    const job = await createJob(tenant, { schedule: { delay_seconds: 3600 } });
    const read = await callJson<{ id: string }>(`/v1/jobs/${job.id}`, { token: issued.token }, 200);
    expect(read.id).toBe(job.id);
    await expectProblem(await call("/v1/jobs", { token: issued.token, body: jobBody() }), 403);
    await expectProblem(
      await call(`/v1/jobs/${job.id}`, { token: issued.token, method: "DELETE" }),
      403,
    );
    expect(
      (await callJson<{ status: string }>(`/v1/jobs/${job.id}`, { token: tenant.token }, 200))
        .status,
    ).toBe("active");
  });

  it("issues a write token by default that can create jobs", async () => {
    const tenant = await createTenant();
    const issued = await callJson<IssuedToken>(
      `/v1/admin/tenants/${tenant.id}/tokens`,
      admin({}),
      201,
    );
    expect(issued.scope).toBe("write");
    const job = await callJson<{ id: string }>(
      "/v1/jobs",
      { token: issued.token, body: jobBody({ schedule: { delay_seconds: 3600 } }) },
      201,
    );
    await callJson(`/v1/jobs/${job.id}`, { token: tenant.token }, 200);
  });

  it("revokes a token with 204, after which it answers 401 at once while others keep working", async () => {
    const tenant = await createTenant();
    const issued = await callJson<IssuedToken>(
      `/v1/admin/tenants/${tenant.id}/tokens`,
      admin({ scope: "write" }),
      201,
    );
    await callJson("/v1/jobs", { token: issued.token }, 200);

    const revoked = await call(
      `/v1/admin/tenants/${tenant.id}/tokens/${issued.id}`,
      admin(undefined, "DELETE"),
    );
    expect(revoked.status).toBe(204);
    expect(await revoked.text()).toBe("");

    const denied = await call("/v1/jobs", { token: issued.token });
    await expectProblem(denied, 401);
    expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await callJson("/v1/jobs", { token: tenant.token }, 200);

    // Revoking again is harmless; an unknown token id is 404.
    const again = await call(
      `/v1/admin/tenants/${tenant.id}/tokens/${issued.id}`,
      admin(undefined, "DELETE"),
    );
    expect(again.status).toBe(204);
    await expectProblem(
      await call(
        `/v1/admin/tenants/${tenant.id}/tokens/zzzzzzzzzzzzzzzz`,
        admin(undefined, "DELETE"),
      ),
      404,
    );
  });

  it("revokes the token issued at creation (rotation)", async () => {
    const tenant = await createTenant();
    const next = await callJson<IssuedToken>(
      `/v1/admin/tenants/${tenant.id}/tokens`,
      admin({ scope: "write" }),
      201,
    );
    const response = await call(
      `/v1/admin/tenants/${tenant.id}/tokens/${tenant.token_id}`,
      admin(undefined, "DELETE"),
    );
    expect(response.status).toBe(204);
    await expectProblem(await call("/v1/jobs", { token: tenant.token }), 401);
    await callJson("/v1/jobs", { token: next.token }, 200);
  });

  it("answers 401 for a wrong secret, a malformed token and a missing token", async () => {
    const tenant = await createTenant();
    const wrongSecret = tenant.token.replace(/\.[^.]+$/, `.${"B".repeat(43)}`);
    await expectProblem(await call("/v1/jobs", { token: wrongSecret }), 401);
    await expectProblem(await call("/v1/jobs", { token: "not-a-token" }), 401);
    await expectProblem(await call("/v1/jobs", { token: null }), 401);
    await expectProblem(
      await call("/v1/jobs", { headers: { authorization: `Basic ${tenant.token}` } }),
      401,
    );
  });

  it("answers 401 to a tenant's token id and secret presented under another tenant's id", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const swapped = a.token.replace(`sched.${a.id}.`, `sched.${b.id}.`);
    await expectProblem(await call("/v1/jobs", { token: swapped }), 401);
  });
});

describe("tokens naming a tenant that does not exist", () => {
  it("answers 401 and creates no storage for that tenant", async () => {
    const id = uniqueId("nobody");
    const token = forgedToken(id);
    await expectProblem(await call("/v1/jobs", { token }), 401);
    await expectProblem(await call("/v1/jobs", { token, body: jobBody() }), 401);
    await expectProblem(await call("/v1/jobs/job_123", { token }), 401);
    await expectProblem(
      await call("/v1/schedules/preview", { token, body: { schedule: { cron: "* * * * *" } } }),
      401,
    );
    expect(await tablesOf(id)).toEqual([]);
  });
});

describe("admin authentication", () => {
  it("rejects a missing, wrong or tenant token on every admin route with 401", async () => {
    const tenant = await createTenant();
    const routes: [method: string, path: string, body?: unknown][] = [
      ["POST", "/v1/admin/tenants", { name: "x" }],
      ["GET", "/v1/admin/tenants"],
      ["GET", `/v1/admin/tenants/${tenant.id}`],
      ["PATCH", `/v1/admin/tenants/${tenant.id}`, { suspended: true }],
      ["POST", `/v1/admin/tenants/${tenant.id}/tokens`, { scope: "write" }],
      ["DELETE", `/v1/admin/tenants/${tenant.id}/tokens/${tenant.token_id}`],
    ];
    for (const token of [null, "wrong-admin-token", `${ADMIN_TOKEN}x`, tenant.token]) {
      for (const [method, path, body] of routes) {
        const response = await call(path, { method, token, body });
        await expectProblem(response, 401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    }
    // Nothing above took effect: the tenant is not suspended and its token still works.
    const read = await callJson<Tenant>(`/v1/admin/tenants/${tenant.id}`, admin(), 200);
    expect(read.suspended).toBe(false);
    await callJson("/v1/jobs", { token: tenant.token }, 200);
  });

  it("does not accept the admin token on tenant routes", async () => {
    await expectProblem(await call("/v1/jobs", { token: ADMIN_TOKEN }), 401);
  });
});

describe("tenant usage", () => {
  it("shows an operator a tenant's jobs, runs in flight, waiting and dead, and 429s in the last hour", async () => {
    const tenant = await createTenant();
    const usage = () =>
      callJson<Record<string, any>>(
        `/v1/admin/tenants/${tenant.id}/usage`,
        { token: ADMIN_TOKEN },
        200,
      );
    expect(await usage()).toEqual({
      tenant_id: tenant.id,
      jobs: { active: 0, paused: 0, completed: 0, cancelled: 0 },
      runs_in_flight: 0,
      max_in_flight: expect.any(Number),
      runs_waiting: 0,
      dead_letters: 0,
      rate_limited_last_hour: 0,
    });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await createJob(tenant, { schedule: { at: later } });
    const paused = await createJob(tenant, { schedule: { at: later } });
    await callJson(`/v1/jobs/${paused.id}/pause`, { token: tenant.token, method: "POST" }, 200);
    // Requests over the tenant's rate (the free tier's 120 a minute) end in 429s, which the usage
    // counts. (Forged tokens never reach the tenant: they count per client address instead.)
    await setTenant(tenant, { tier: "free" });
    let limited = 0;
    for (let i = 0; i < 130; i++) {
      const response = await call("/v1/jobs", { token: tenant.token });
      if (response.status === 429) limited++;
      await response.arrayBuffer();
    }
    expect(limited).toBeGreaterThan(0);
    const after = await usage();
    expect(after.jobs).toMatchObject({ active: 1, paused: 1 });
    expect(after.rate_limited_last_hour).toBe(limited);
    // Tenant tokens cannot read it, and an unknown tenant is a 404.
    await expectProblem(
      await call(`/v1/admin/tenants/${tenant.id}/usage`, { token: tenant.token }),
      401,
    );
    await expectProblem(
      await call(`/v1/admin/tenants/${uniqueId()}/usage`, { token: ADMIN_TOKEN }),
      404,
    );
  });
});
