/** Webhook targets by name: refused when private by definition, and checked again at delivery. */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env, withEnv } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { privateNameReason } from "../src/domain/host-names";
import { targetRefusal } from "../src/domain/targets";
import worker from "../src/worker";
import {
  callJson,
  createTenant,
  deliveriesAt,
  expectProblem,
  jobBody,
  listAllJobs,
  sinkUrl,
  type TestTenant,
  uniqueId,
} from "./support/api";
import { runDetail } from "./support/runs";
import { queueWithoutSending } from "./support/tenant-object";

/** The Worker's environment in production: ALLOW_INSECURE_TARGETS off (the suite runs with it on). */
const production = { ...env, ALLOW_INSECURE_TARGETS: "false" };

/** A request through the Worker as deployed to production, against the same object bindings. */
async function productionCall(
  tenant: TestTenant,
  path: string,
  body: unknown,
  method = "POST",
): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`https://scheduler.test${path}`, {
    method,
    headers: { authorization: `Bearer ${tenant.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const response = await worker.fetch(request, production, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const PRIVATE_NAMES: readonly (readonly [host: string, why: RegExp])[] = [
  ["localhost", /localhost names this machine/],
  ["api.localhost", /localhost names this machine/],
  ["printer.local", /multicast DNS/],
  ["db.internal", /reserved for private networks/],
  ["nas.home.arpa", /home networks/],
  ["1.0.0.127.in-addr.arpa", /DNS infrastructure/],
  ["app.test", /reserved for testing/],
  ["nonexistent.invalid", /reserved to be invalid/],
  ["www.example", /documentation/],
  ["hidden.onion", /Tor/],
  ["name.alt", /outside the DNS/],
  ["router.lan", /routers use it/],
  ["wiki.intranet", /private networks/],
  ["box.private", /private networks/],
  ["localhost.localdomain", /names this machine/],
  ["nas.home", /will not be delegated/],
  ["dc.corp", /will not be delegated/],
  ["exchange.mail", /will not be delegated/],
  ["localtest.me", /resolve to the address they spell or to loopback/],
  ["anything.localtest.me", /localtest\.me names/],
  ["127.0.0.1.nip.io", /nip\.io names/],
  ["app-10-0-0-1.sslip.io", /sslip\.io names/],
  ["--1.sslip.io", /sslip\.io names/],
  ["7f000001.c0a80001.rbndr.us", /rbndr\.us names/],
  ["x.lvh.me", /lvh\.me names/],
  ["10.0.0.1.some-wildcard.dev", /spells the private address 10\.0\.0\.1/],
  ["app-192-168-1-20.wildcard.example.com", /spells the private address 192\.168\.1\.20/],
  ["169.254.169.254.metadata.example.net", /spells the private address 169\.254\.169\.254/],
  ["router", /single-label name/],
  ["db.", /single-label name/],
  ["DB.INTERNAL.", /reserved for private networks/],
];

describe("names that are private by definition", () => {
  it.each(PRIVATE_NAMES)("refuses %s, saying why", (host, why) => {
    expect(privateNameReason(host)).toMatch(why);
    expect(targetRefusal(`https://${host}/hook`, false)).toMatch(why);
  });

  it.each([
    "example.com",
    "hooks.example.org",
    "api.stripe.com",
    "localhost.example.com",
    "internal.example.com",
    "my.local.dev",
    "8.8.8.8.nip.example.com",
    "app-8-8-8-8.example.com",
    "deadbeef.pages.dev",
    "v1.2.3.example.com",
    "xn--bcher-kva.example.com",
  ])("allows the public name %s", (host) => {
    expect(privateNameReason(host)).toBeNull();
    expect(targetRefusal(`https://${host}/hook`, false)).toBeNull();
  });

  it("allows every name while insecure targets are enabled (local development)", () => {
    expect(targetRefusal("http://localhost:8787/hook", true)).toBeNull();
    expect(targetRefusal("http://sink.internal/hook", true)).toBeNull();
  });
});

describe("the API in production mode", () => {
  it("refuses a private name with a 400 at target.url that says why, and stores nothing", async () => {
    const tenant = await createTenant();
    for (const host of ["localtest.me", "127.0.0.1.nip.io", "printer.local", "db.internal"]) {
      const response = await productionCall(tenant, "/v1/jobs", {
        name: "by name",
        target: { type: "http", url: `https://${host}/hook` },
      });
      const problem = await expectProblem(response, 400, ["target.url"]);
      expect(problem.errors?.[0]?.message, host).toMatch(/^must not point at a private host: /);
    }
    const nas = await productionCall(tenant, "/v1/jobs", {
      target: { type: "http", url: "https://nas.home.arpa/hook" },
    });
    const problem = await expectProblem(nas, 400, ["target.url"]);
    expect(problem.detail).toContain("home.arpa names hosts on home networks (RFC 8375)");
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("names the task of a graph (tasks[i].target.url) and the job of a batch", async () => {
    const tenant = await createTenant();
    const graph = await productionCall(tenant, "/v1/jobs", {
      name: "graph",
      tasks: [
        { key: "a", target: { type: "http", url: "https://hooks.example.com/a" } },
        { key: "b", target: { type: "http", url: "https://b.local/b" }, depends_on: ["a"] },
      ],
    });
    const graphProblem = await expectProblem(graph, 400, ["tasks[1].target.url"]);
    expect(graphProblem.errors?.[0]?.message).toMatch(/multicast DNS/);
    const batch = await productionCall(tenant, "/v1/jobs/batch", {
      jobs: [
        { target: { type: "http", url: "https://hooks.example.com/ok" } },
        { target: { type: "http", url: "https://app.test/x" } },
      ],
    });
    await expectProblem(batch, 400, ["jobs[1].target.url"]);
    expect(await listAllJobs(tenant)).toEqual([]);
  });

  it("refuses a PATCH that moves a job's target to a private name", async () => {
    const tenant = await createTenant();
    const created = await productionCall(tenant, "/v1/jobs", {
      target: { type: "http", url: "https://hooks.example.com/ok" },
      schedule: { cron: "0 3 * * *" },
    });
    expect(created.status).toBe(201);
    const job = (await created.json()) as { id: string };
    const patched = await productionCall(
      tenant,
      `/v1/jobs/${job.id}`,
      { target: { type: "http", url: "https://wiki.intranet/x" } },
      "PATCH",
    );
    await expectProblem(patched, 400, ["target.url"]);
  });
});

describe("targets are checked again at delivery", () => {
  it("a job written while insecure targets were allowed is not called once they are not", async () => {
    // Created as local development allows (http: to the 127.0.0.1 sink) …
    const tenant = await createTenant();
    const url = sinkUrl(`/${uniqueId("recheck")}`);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const job = await callJson<{ id: string }>(
      "/v1/jobs",
      {
        token: tenant.token,
        body: jobBody({
          target: { type: "http", url },
          schedule: { at: later },
          retry: { max_attempts: 5 },
        }),
      },
      201,
    );
    const [message] = await queueWithoutSending(tenant.id, [job.id]);
    if (!message) throw new Error("no queued run");
    // … then delivered by the Worker as deployed to production.
    const batch = createMessageBatch("runs-medium", [
      { id: "m0", timestamp: new Date(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await withEnv(production, () => worker.queue(batch as MessageBatch<never>, production, ctx));
    const result = await getQueueResult(batch, ctx);

    expect(result.explicitAcks).toEqual(["m0"]);
    expect(await deliveriesAt(url)).toHaveLength(0);
    const run = await runDetail(tenant, message.run_id);
    // Not retried: the target will not become allowed by waiting.
    expect(run.status).toBe("dead");
    expect(run.attempts).toHaveLength(1);
    expect(run.attempts[0]).toMatchObject({ outcome: "failed", status_code: null });
    expect(run.attempts[0].error).toBe(
      "target not allowed at delivery: target.url must use https: (http: is allowed only with ALLOW_INSECURE_TARGETS)",
    );
  });
});
