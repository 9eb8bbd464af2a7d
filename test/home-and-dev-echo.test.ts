/**
 * GET / points a person to the console and the API document; /dev/echo, the quick start's local
 * webhook target, answers only where ALLOW_INSECURE_TARGETS is "true" (never in production).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/worker";
import { call, expectProblem } from "./support/api";

describe("GET /", () => {
  it("answers JSON naming /console, /docs and /openapi.json, not a 404", async () => {
    const response = await call("/");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      console: "/console",
      docs: "/docs",
      openapi: "/openapi.json",
    });
  });

  it("answers a browser with a page of links", async () => {
    const response = await call("/", { headers: { accept: "text/html,*/*" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await response.text();
    for (const path of ["/console", "/docs", "/openapi.json"])
      expect(page).toContain(`<a href="${path}">`);
  });
});

describe("/dev/echo", () => {
  it("answers a delivery with what it received when insecure targets are allowed", async () => {
    const response = await call("/dev/echo", {
      body: { hello: "world" },
      headers: { "x-scheduler-run-id": "run_1", "x-scheduler-attempt": "2" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      echo: "received",
      method: "POST",
      run_id: "run_1",
      attempt: 2,
      body: { hello: "world" },
    });
  });

  it("does not exist where insecure targets are not allowed, as in production", async () => {
    const ctx = createExecutionContext();
    const request = new Request("https://scheduler.test/dev/echo", { method: "POST", body: "{}" });
    const response = await worker.fetch(request, { ...env, ALLOW_INSECURE_TARGETS: "false" }, ctx);
    await waitOnExecutionContext(ctx);
    await expectProblem(response, 404);
  });
});
