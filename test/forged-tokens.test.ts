/**
 * Forged tokens cost a tenant nothing: the Worker checks a token's tag (signed with
 * TOKEN_SIGNING_KEY) before it reads the body or asks any object, so a token made up by someone
 * who knows only the tenant's id never reaches, creates or bills the tenant's object, and cannot
 * lock the tenant's own tokens out (failures count per client address, never per tenant).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hashMatches, sha256Hex } from "../src/domain/secrets";
import worker from "../src/worker";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createTenant,
  expectProblem,
  jobBody,
  type TestTenant,
  testAddress,
  uniqueId,
} from "./support/api";
import { insideScheduler, sqlIn } from "./support/tenant-object";
import { workerToken } from "./support/workers";

interface Inside {
  tenants: { tokenCache: Map<string, unknown> };
  counters: { value(db: unknown, name: string, labels: Record<string, string>): number };
  db: unknown;
}

/** Calls the tenant's object has served (every RPC counts, refused or not). */
function objectCalls(tenantId: string): Promise<number> {
  return insideScheduler(tenantId, (s) => {
    const inside = s as unknown as Inside;
    return inside.counters.value(inside.db, "scheduler_object_requests_total", { kind: "rpc" });
  });
}

/** The object forgets its cached tokens, as it does when it restarts (every deploy, eviction). */
function forgetTokens(tenantId: string): Promise<void> {
  return insideScheduler(tenantId, (s) => {
    (s as unknown as Inside).tenants.tokenCache.clear();
  });
}

/**
 * A well-formed token in the tenant's name: the real token id and a made-up secret, of the signed
 * form (64 characters) or of the form before signing (43), which reached the object before.
 */
function forged(tenant: TestTenant, i: number): string {
  const secret = `${i}`.padStart(i % 4 === 3 ? 64 : 43, "A");
  return `sched.${tenant.id}.${tenant.token_id}.${secret}`;
}

/** A made-up token id too, as an outsider who knows only the tenant's id would send. */
function forgedId(tenantId: string, i: number): string {
  return `sched.${tenantId}.${`g${i}`.padEnd(16, "0")}.${"B".repeat(i % 4 === 3 ? 64 : 43)}`;
}

async function issue(tenant: TestTenant, body: Record<string, unknown>): Promise<string> {
  const issued = await callJson<{ token: string }>(
    `/v1/admin/tenants/${tenant.id}/tokens`,
    { token: ADMIN_TOKEN, body },
    201,
  );
  return issued.token;
}

/** Calls the Worker with an environment of the test's own (signing keys, migration switch). */
async function callWith(
  vars: Partial<Env> & Record<string, unknown>,
  path: string,
  token: string,
  body?: unknown,
): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`https://scheduler.test${path}`, {
    headers: {
      authorization: `Bearer ${token}`,
      "cf-connecting-ip": testAddress(),
      "content-type": "application/json",
    },
    ...(body === undefined ? {} : { method: "POST", body: JSON.stringify(body) }),
  });
  const response = await worker.fetch(request, { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("forged tokens", () => {
  it("leave every real token of the tenant working after a restart and 100 forged tokens in its name", async () => {
    const tenant = await createTenant();
    const read = await issue(tenant, { scope: "read" });
    const work = await workerToken(tenant);
    await forgetTokens(tenant.id);
    const address = testAddress();
    let limited = 0;
    for (let i = 0; i < 100; i++) {
      const token = i % 8 < 4 ? forged(tenant, i) : forgedId(tenant.id, i);
      const response = await call("/v1/jobs", {
        token,
        headers: { "cf-connecting-ip": i % 4 === 0 ? testAddress() : address },
      });
      expect([401, 429]).toContain(response.status);
      if (response.status === 429) limited++;
      await response.arrayBuffer();
    }
    // The tenant is not limited, not even from the address that kept failing, which is.
    const same = { "cf-connecting-ip": address };
    await callJson("/v1/jobs", { token: tenant.token, headers: same }, 200);
    await callJson("/v1/jobs", { token: read, headers: same }, 200);
    await callJson(
      "/v1/workers/claim",
      { token: work, body: { worker_id: "w1", pools: ["p"] } },
      200,
    );
    expect(limited).toBeGreaterThan(0);
  });

  it("never reach the tenant's object, whatever their body: a 7.6 MB batch is refused with 401 unread", async () => {
    const tenant = await createTenant();
    await callJson("/v1/jobs", { token: tenant.token }, 200);
    const before = await objectCalls(tenant.id);
    const jobs = Array.from({ length: 1000 }, () =>
      // A valid job: metadata of 8 values of 950 characters (within 8 KiB, 1,024 a value).
      jobBody({ metadata: Object.fromEntries([..."abcdefgh"].map((k) => [k, "x".repeat(950)])) }),
    );
    const body = JSON.stringify({ jobs });
    expect(body.length).toBeGreaterThan(7_600_000);
    for (const token of [forged(tenant, 2), forged(tenant, 3), forgedId(tenant.id, 3)]) {
      const refused = await expectProblem(
        await call("/v1/jobs/batch", {
          token,
          rawBody: body,
          headers: { "content-type": "application/json" },
        }),
        401,
      );
      expect(refused.detail).toMatch(/^The token is unknown or revoked/);
    }
    expect(await objectCalls(tenant.id)).toBe(before);
  });

  it("naming a tenant that does not exist create no object storage and no directory entry", async () => {
    const madeUp = uniqueId("nobody");
    await expectProblem(
      await call("/v1/jobs", { token: forgedId(madeUp, 1), body: jobBody() }),
      401,
    );
    const tables = await sqlIn(madeUp, "select name from sqlite_master where type = 'table'");
    expect(tables.filter((t) => !String(t.name).startsWith("_cf"))).toEqual([]);
    await expectProblem(await call(`/v1/admin/tenants/${madeUp}`, { token: ADMIN_TOKEN }), 404);
  });

  it("are refused when the tag was made for another tenant or with another key", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    // Another tenant's real secret and tag under this tenant's id: the tag covers the tenant id.
    const swapped = other.token.replace(`sched.${other.id}.`, `sched.${tenant.id}.`);
    const refused = await expectProblem(await call("/v1/jobs", { token: swapped }), 401);
    expect(refused.detail).toBe("The token is unknown or revoked.");
    // The same token under a signing key that did not make it.
    const elsewhere = await callWith(
      { TOKEN_SIGNING_KEY: "another-key" },
      "/v1/jobs",
      tenant.token,
    );
    expect(elsewhere.status).toBe(401);
    await elsewhere.arrayBuffer();
  });
});

describe("token signing key rotation", () => {
  it("accepts tokens of the previous key while TOKEN_SIGNING_KEY_PREVIOUS holds it, and not after", async () => {
    const tenant = await createTenant();
    const rotated = {
      TOKEN_SIGNING_KEY: "the-next-key",
      TOKEN_SIGNING_KEY_PREVIOUS: env.TOKEN_SIGNING_KEY,
    };
    const during = await callWith(rotated, "/v1/jobs", tenant.token);
    expect(during.status).toBe(200);
    await during.arrayBuffer();
    const after = await callWith({ TOKEN_SIGNING_KEY: "the-next-key" }, "/v1/jobs", tenant.token);
    expect(after.status).toBe(401);
    await after.arrayBuffer();
  });

  it("answers 503 naming the setting when no signing key is configured", async () => {
    const tenant = await createTenant();
    const response = await callWith({ TOKEN_SIGNING_KEY: "" }, "/v1/jobs", tenant.token);
    const problem = await expectProblem(response, 503);
    expect(problem.detail).toMatch(/TOKEN_SIGNING_KEY/);
    // Nor is a tenant created half: it can be created once the key is there.
    const id = uniqueId();
    const refused = await callWith({ TOKEN_SIGNING_KEY: "" }, "/v1/admin/tenants", ADMIN_TOKEN, {
      id,
      name: "No key",
    });
    expect((await expectProblem(refused, 503)).detail).toMatch(/TOKEN_SIGNING_KEY/);
    await callJson("/v1/admin/tenants", { token: ADMIN_TOKEN, body: { id, name: "Key" } }, 201);
  });
});

describe("revoked tokens", () => {
  it("are refused at once, and then by the Worker itself without asking the object again", async () => {
    const tenant = await createTenant();
    const spare = await issue(tenant, { scope: "write" });
    const spareId = spare.split(".")[2] as string;
    await callJson(
      `/v1/admin/tenants/${tenant.id}/tokens/${spareId}`,
      { token: ADMIN_TOKEN, method: "DELETE" },
      204,
    );
    await expectProblem(await call("/v1/jobs", { token: spare }), 401);
    const before = await objectCalls(tenant.id);
    for (let i = 0; i < 5; i++)
      await expectProblem(await call("/v1/jobs", { token: spare, body: jobBody() }), 401);
    expect(await objectCalls(tenant.id)).toBe(before);
    await callJson("/v1/jobs", { token: tenant.token }, 200);
  });
});

describe("tokens issued before signed tokens", () => {
  /** Stores a token of the old form (43-character secret, no tag) in the tenant's object. */
  async function legacyToken(tenant: TestTenant): Promise<string> {
    const id = `old${uniqueId("").replace(/[^0-9a-z]/g, "")}`.slice(0, 16).padEnd(16, "0");
    const secret = "L".repeat(43);
    await sqlIn(
      tenant.id,
      "insert into tokens (id, hash, scope, pools, created_at, revoked_at) values (?, ?, 'write', null, ?, null)",
      id,
      await sha256Hex(secret),
      Date.now(),
    );
    expect(await hashMatches(await sha256Hex(secret), secret)).toBe(true);
    return `sched.${tenant.id}.${id}.${secret}`;
  }

  it("are refused, saying why, unless ACCEPT_UNTAGGED_TOKENS is on", async () => {
    const tenant = await createTenant();
    const old = await legacyToken(tenant);
    const refused = await expectProblem(await call("/v1/jobs", { token: old }), 401);
    expect(refused.detail).toMatch(/issued before tokens were signed/);
    const accepted = await callWith({ ACCEPT_UNTAGGED_TOKENS: "true" }, "/v1/jobs", old);
    expect(accepted.status).toBe(200);
    await accepted.arrayBuffer();
  });

  it("with the switch on, are checked by their object before any body is read; a made-up one creates nothing", async () => {
    const tenant = await createTenant();
    const madeUp = `sched.${tenant.id}.${"z".repeat(16)}.${"M".repeat(43)}`;
    const response = await callWith({ ACCEPT_UNTAGGED_TOKENS: "true" }, "/v1/jobs", madeUp);
    expect((await expectProblem(response, 401)).detail).toBe("The token is unknown or revoked.");
    const nobody = uniqueId("nobody");
    const none = await callWith(
      { ACCEPT_UNTAGGED_TOKENS: "true" },
      "/v1/jobs",
      `sched.${nobody}.${"z".repeat(16)}.${"M".repeat(43)}`,
    );
    await expectProblem(none, 401);
    const tables = await sqlIn(nobody, "select name from sqlite_master where type = 'table'");
    expect(tables.filter((t) => !String(t.name).startsWith("_cf"))).toEqual([]);
  });
});
