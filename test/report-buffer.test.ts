import { describe, expect, it } from "vitest";
import type { AttemptResult } from "../src/queues/messages";
import { REPORT_LIMIT, ReportBuffer } from "../src/queues/report-buffer";

function results(prefix: string, count = 1): AttemptResult[] {
  return Array.from({ length: count }, (_, i) => ({
    run_id: `${prefix}${i}`,
    attempt: 1,
    outcome: "succeeded",
    status_code: 200,
    started_at: 0,
    duration_ms: 1,
    response_body: "ok",
    error: null,
  }));
}

/** A send that records each report's run ids. */
function recorder() {
  const calls: string[][] = [];
  const send = async (batch: AttemptResult[]) => {
    calls.push(batch.map((r) => r.run_id));
  };
  return { calls, send };
}

describe("reports gathered per tenant", () => {
  it("sends a quiet tenant's results at once", async () => {
    const buffer = new ReportBuffer();
    const { calls, send } = recorder();
    await buffer.add("quiet", results("a"), send);
    expect(calls).toEqual([["a0"]]);
  });

  it("gathers results that finish soon after a report into one call, carried by the first to wait", async () => {
    const buffer = new ReportBuffer();
    const { calls, send } = recorder();
    await buffer.add("busy", results("a"), send);
    const waiting = buffer.add("busy", results("b"), send);
    // Joins the scheduled report: back at once, sending nothing itself.
    await buffer.add("busy", results("c"), send);
    expect(calls).toEqual([["a0"]]);
    await waiting;
    expect(calls).toEqual([["a0"], ["b0", "c0"]]);
  });

  it("sends a full report at once, and keeps tenants apart", async () => {
    const buffer = new ReportBuffer();
    const { calls, send } = recorder();
    await buffer.add("busy", results("a"), send);
    const waiting = buffer.add("busy", results("b"), send);
    await buffer.add("busy", results("c", REPORT_LIMIT), send);
    expect(calls.map((c) => c.length)).toEqual([1, REPORT_LIMIT + 1]);
    await buffer.add("other", results("o"), send);
    expect(calls.at(-1)).toEqual(["o0"]);
    await waiting;
    expect(calls).toHaveLength(3);
  });
});
