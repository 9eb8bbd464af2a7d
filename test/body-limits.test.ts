/**
 * Every route has a body limit: 256 KiB, and 8 MiB for POST /v1/jobs/batch. A body over it is a
 * 413 problem, whether its Content-Length says so (refused before it is read) or it streams
 * without one (refused once the limit is passed). API routes check their token first.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../src/domain/limits";
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createTenant,
  expectProblem,
  testAddress,
} from "./support/api";

const OVER = JSON.stringify({ pad: "x".repeat(LIMITS.maxBodyBytes + 1024) });

/** Every operation of the API document that may take a body, with its path filled in. */
async function operations(): Promise<{ method: string; path: string; admin: boolean }[]> {
  const doc = await callJson<{ paths: Record<string, Record<string, unknown>> }>(
    "/openapi.json",
    {},
    200,
  );
  const found: { method: string; path: string; admin: boolean }[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const method of Object.keys(methods)) {
      if (method === "get") continue;
      const path = template.replace("{token_id}", "0000000000000000").replace(/\{[^}]+\}/g, "x-1");
      found.push({ method: method.toUpperCase(), path, admin: path.startsWith("/v1/admin") });
    }
  }
  return found;
}

/** A body that streams, without Content-Length. */
function streamOf(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
}

describe("body limits", () => {
  it("refuse a body over 256 KiB with 413 on every route of the API document that takes one", async () => {
    const tenant = await createTenant();
    const all = await operations();
    expect(all.length).toBeGreaterThan(15);
    for (const { method, path, admin } of all) {
      if (path === "/v1/jobs/batch") continue;
      const response = await call(path, {
        method,
        token: admin ? ADMIN_TOKEN : tenant.token,
        rawBody: OVER,
        headers: { "content-type": "application/json" },
      });
      const problem = await expectProblem(response, 413).catch((error: Error) => {
        throw new Error(`${method} ${path}: ${error.message}`);
      });
      expect(problem.detail).toBe(`The request body exceeds ${LIMITS.maxBodyBytes} bytes.`);
    }
  });

  it("refuse a batch over 8 MiB with 413", async () => {
    const tenant = await createTenant();
    const body = JSON.stringify({ jobs: [{ pad: "x".repeat(LIMITS.maxBatchBodyBytes) }] });
    await expectProblem(
      await call("/v1/jobs/batch", {
        token: tenant.token,
        rawBody: body,
        headers: { "content-type": "application/json" },
      }),
      413,
    );
  });

  it("refuse a 20 MiB schedule preview with 413, with or without Content-Length", async () => {
    const tenant = await createTenant();
    const big = JSON.stringify({
      schedule: { cron: "* * * * *" },
      pad: "x".repeat(20 * 1024 * 1024),
    });
    await expectProblem(
      await call("/v1/schedules/preview", {
        token: tenant.token,
        rawBody: big,
        headers: { "content-type": "application/json" },
      }),
      413,
    );
    const streamed = await SELF.fetch("https://scheduler.test/v1/schedules/preview", {
      method: "POST",
      headers: {
        authorization: `Bearer ${tenant.token}`,
        "content-type": "application/json",
        "cf-connecting-ip": testAddress(),
      },
      body: streamOf(20 * 1024 * 1024),
    });
    await expectProblem(streamed, 413);
  });

  it("refuse an oversized body on routes without a token too", async () => {
    for (const path of ["/dev/echo", "/health", "/no-such-route"]) {
      await expectProblem(await call(path, { method: "POST", rawBody: OVER }), 413);
    }
  });

  it("come after the token check on API routes: a forged token with a large body is a 401", async () => {
    const tenant = await createTenant();
    const forged = `sched.${tenant.id}.${tenant.token_id}.${"F".repeat(64)}`;
    await expectProblem(
      await call("/v1/schedules/preview", {
        token: forged,
        rawBody: OVER,
        headers: { "content-type": "application/json" },
      }),
      401,
    );
  });
});
