/**
 * 401s that say what happened: "required" only when no token was sent; a token that was sent but
 * is not accepted is "unknown or revoked", so a person who pasted the wrong one is not told to send one.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/worker";
import { ADMIN_TOKEN, call, callJson, createTenant, expectProblem } from "./support/api";

async function detail(response: Response): Promise<string> {
  return (await expectProblem(response, 401)).detail;
}

describe("tenant routes", () => {
  it("ask for a token only when none was sent", async () => {
    expect(await detail(await call("/v1/jobs"))).toMatch(/^A bearer token is required/);
  });

  it("answer 'unknown or revoked' to a wrong secret, a revoked token and an unknown tenant", async () => {
    const tenant = await createTenant();
    const wrongSecret = tenant.token.replace(/\.[^.]+$/, `.${"B".repeat(64)}`);
    expect(await detail(await call("/v1/jobs", { token: wrongSecret }))).toBe(
      "The token is unknown or revoked.",
    );
    const unknownTenant = tenant.token.replace(`sched.${tenant.id}.`, "sched.nobody-here.");
    expect(await detail(await call("/v1/jobs", { token: unknownTenant }))).toBe(
      "The token is unknown or revoked.",
    );
    await callJson(
      `/v1/admin/tenants/${tenant.id}/tokens/${tenant.token_id}`,
      { token: ADMIN_TOKEN, method: "DELETE" },
      204,
    );
    expect(await detail(await call("/v1/jobs", { token: tenant.token }))).toBe(
      "The token is unknown or revoked.",
    );
  });

  it("answer 'unknown or revoked' to something that is not a tenant token, the admin token included", async () => {
    for (const token of ["not-a-token", ADMIN_TOKEN]) {
      const text = await detail(await call("/v1/jobs", { token }));
      expect(text).toMatch(/^The token is unknown or revoked: tenant routes take a tenant token/);
      expect(text).not.toContain("required");
    }
  });

  it("say how the header must read when it is not a bearer token", async () => {
    const tenant = await createTenant();
    const response = await call("/v1/jobs", {
      headers: { authorization: `Basic ${tenant.token}` },
    });
    expect(await detail(response)).toBe("The Authorization header must read `Bearer <token>`.");
  });
});

describe("admin routes", () => {
  it("ask for the admin token only when none was sent", async () => {
    expect(await detail(await call("/v1/admin/tenants"))).toMatch(
      /^The admin token is required: send `Authorization: Bearer <ADMIN_TOKEN>`/,
    );
  });

  it("answer 'unknown or revoked' to a wrong admin token and to a tenant's token", async () => {
    const tenant = await createTenant();
    for (const token of ["wrong-admin-token", `${ADMIN_TOKEN}x`, tenant.token]) {
      expect(await detail(await call("/v1/admin/tenants", { token }))).toBe(
        "The token is unknown or revoked: it is not this scheduler's admin token.",
      );
    }
  });

  it("say so when the scheduler has no ADMIN_TOKEN at all", async () => {
    const ctx = createExecutionContext();
    const request = new Request("https://scheduler.test/v1/admin/tenants", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const response = await worker.fetch(request, { ...env, ADMIN_TOKEN: "" }, ctx);
    await waitOnExecutionContext(ctx);
    expect(await detail(response)).toBe(
      "This scheduler has no ADMIN_TOKEN configured, so it refuses every admin call.",
    );
  });
});
