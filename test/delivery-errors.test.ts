/** What an attempt's error says when a delivery gets no usable answer: the cause in words. */
import { describe, expect, inject, it } from "vitest";
import { describeStatus } from "../src/queues/fetch-failures";
import { createJob, createTenant, sinkUrl, uniqueId } from "./support/api";
import { type Run, runDetail, waitForRuns } from "./support/runs";

const NO_RETRY = { max_attempts: 1, initial_backoff_seconds: 0.1, max_backoff_seconds: 0.1 };

/** Creates a job to `url` (the suite allows http: and private hosts) and returns its dead run. */
async function deadRunTo(url: string, fields: Record<string, unknown> = {}): Promise<Run> {
  const tenant = await createTenant();
  const job = await createJob(tenant, {
    target: { type: "http", url },
    retry: NO_RETRY,
    ...fields,
  });
  const [run] = await waitForRuns(
    tenant,
    job.id,
    (runs) => runs.some((r) => r.status === "dead"),
    `the run to ${url} to fail`,
  );
  return runDetail(tenant, run?.id);
}

const sinkPort = () => new URL(inject("sinkUrl")).port;

describe("a delivery that cannot reach its target", () => {
  it("says the connection was refused, keeping workerd's message", async () => {
    // Port 1 (tcpmux) has no listener on a development machine.
    const run = await deadRunTo("http://127.0.0.1:1/hook");
    expect(run.attempts[0]).toMatchObject({ outcome: "network_error", status_code: null });
    expect(run.attempts[0].error).toBe(
      "connection refused: nothing accepts connections at 127.0.0.1:1 (Network connection lost.)",
    );
    expect(run.last_error).toBe(run.attempts[0].error);
  });

  it("says the name does not resolve, keeping the internal error's reference", async () => {
    const run = await deadRunTo("http://nonexistent.invalid/hook");
    expect(run.attempts[0].outcome).toBe("network_error");
    expect(run.attempts[0].error).toMatch(
      /^name not resolved: nonexistent\.invalid has no address that accepts connections at nonexistent\.invalid:80 \(internal error; reference = \w+\)$/,
    );
  });

  it("says the TLS handshake failed when the port speaks plain HTTP", async () => {
    const run = await deadRunTo(`https://127.0.0.1:${sinkPort()}/${uniqueId("tls")}`);
    expect(run.attempts[0].outcome).toBe("network_error");
    expect(run.attempts[0].error).toMatch(
      new RegExp(
        `^TLS handshake with 127\\.0\\.0\\.1:${sinkPort()} failed: it accepts connections, but not TLS this Worker trusts .*\\(internal error; reference = \\w+\\)$`,
      ),
    );
  });

  it("says no response came within the job's timeout", async () => {
    const run = await deadRunTo(sinkUrl(`/${uniqueId("hang")}`, { hang: 1 }), {
      timeout_seconds: 1,
    });
    expect(run.attempts[0]).toMatchObject({ outcome: "timeout", error: "no response within 1s" });
  });

  it("records a target's own error status as HTTP <status>", async () => {
    const run = await deadRunTo(sinkUrl(`/${uniqueId("down")}`, { status: 503 }));
    expect(run.attempts[0]).toMatchObject({
      outcome: "failed",
      status_code: 503,
      error: "HTTP 503",
      response_body: "failing with 503",
    });
  });
});

describe("Cloudflare's own answers for an origin it cannot reach (production)", () => {
  it.each([
    [
      530,
      "error code: 1016",
      "HTTP 530: the name does not resolve (origin DNS error) (Cloudflare error 1016)",
    ],
    [
      403,
      "error code: 1003",
      "HTTP 403: the target is an IP address, which Cloudflare does not fetch directly (Cloudflare error 1003)",
    ],
    [
      522,
      "error code: 522",
      "HTTP 522: the connection to the origin timed out (Cloudflare error 522)",
    ],
    [
      525,
      "error code: 525",
      "HTTP 525: the TLS handshake with the origin failed (Cloudflare error 525)",
    ],
    [530, "error code: 1234", "HTTP 530 (Cloudflare error 1234)"],
    [500, "error code: none", "HTTP 500"],
    [502, "<html>bad gateway</html>", "HTTP 502"],
  ])("HTTP %i with body %j is described as %j", (status, body, expected) => {
    expect(describeStatus(status, body)).toBe(expected);
  });
});
