/**
 * Limits per client address (CF-Connecting-IP) for what no tenant pays for: failed tenant and admin
 * authentications, and requests to routes without a token. An address past its limit gets 429
 * with Retry-After; other addresses, and valid tokens from the same address, are not affected.
 * The limits count in fixed windows here (Miniflare) and per Cloudflare location in production, so
 * the tests send until the 429 comes, within a bound.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/worker";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createTenant,
  expectProblem,
  testAddress,
} from "./support/api";

/** Sends `send` from one address until it answers 429 (at most `bound` times); the 429. */
async function until429(
  send: (headers: Record<string, string>) => Promise<Response>,
  bound: number,
): Promise<Response> {
  const headers = { "cf-connecting-ip": testAddress() };
  for (let i = 0; i < bound; i++) {
    const response = await send(headers);
    if (response.status === 429) return response;
    await response.arrayBuffer();
  }
  throw new Error(`no 429 after ${bound} requests from one address`);
}

describe("failed authentications per address", () => {
  it("get 429 past the limit, while another address and the real token from the same address still pass", async () => {
    const tenant = await createTenant();
    const wrong = `sched.${tenant.id}.${tenant.token_id}.${"W".repeat(64)}`;
    let address = "";
    const limited = await until429((headers) => {
      address = headers["cf-connecting-ip"] as string;
      return call("/v1/jobs", { token: wrong, headers });
    }, 100);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect((await expectProblem(limited, 429)).detail).toMatch(/failed authentications/);
    await expectProblem(await call("/v1/jobs", { token: wrong }), 401);
    await callJson(
      "/v1/jobs",
      { token: tenant.token, headers: { "cf-connecting-ip": address } },
      200,
    );
  });

  it("count requests without a token or with something that is not a token", async () => {
    let sent = 0;
    const limited = await until429(
      (headers) => call("/v1/jobs", { token: sent++ % 2 ? "not-a-token" : null, headers }),
      100,
    );
    await expectProblem(limited, 429);
  });

  it("on admin routes get 429 past the limit too, while the admin token still passes", async () => {
    let address = "";
    const limited = await until429((headers) => {
      address = headers["cf-connecting-ip"] as string;
      return call("/v1/admin/tenants", { token: "guessed-admin-token", headers });
    }, 100);
    await expectProblem(limited, 429);
    await expectProblem(await call("/v1/admin/tenants", { token: "guessed-admin-token" }), 401);
    await callJson(
      "/v1/admin/tenants",
      { token: ADMIN_TOKEN, headers: { "cf-connecting-ip": address } },
      200,
    );
  });
});

describe("requests without a token per address", () => {
  it("get 429 past the limit on public routes, while another address is still served", async () => {
    const limited = await until429((headers) => call("/health", { headers }), 700);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect((await expectProblem(limited, 429)).detail).toMatch(/without a token/);
    await callJson("/health", {}, 200);
  });

  it("/health/ready asks the directory object at most once in a few seconds, whatever the number of probes", async () => {
    let asked = 0;
    const directory = {
      idFromName: (name: string) => env.TENANT_DIRECTORY.idFromName(name),
      get: (id: DurableObjectId) => {
        const stub = env.TENANT_DIRECTORY.get(id);
        return {
          ping: () => {
            asked++;
            return stub.ping();
          },
        };
      },
    };
    for (let i = 0; i < 10; i++) {
      const ctx = createExecutionContext();
      const request = new Request("https://scheduler.test/health/ready", {
        headers: { "cf-connecting-ip": testAddress() },
      });
      const response = await worker.fetch(
        request,
        { ...env, TENANT_DIRECTORY: directory } as unknown as Env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(asked).toBeLessThanOrEqual(1);
  });
});
