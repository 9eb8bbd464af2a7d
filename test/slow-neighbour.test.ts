import { createExecutionContext, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RUNNING_LEASE_MARGIN_MS } from "../src/durable/dispatch/run-dispatch";
import worker from "../src/worker";
import { createTenant, deliveriesAt, sinkUrl, uniqueId, waitFor } from "./support/api";
import { batchOf, queuedRuns, setLease } from "./support/consumer";
import { runDetail, waitForRun } from "./support/runs";
import { fireAlarm, sqlIn } from "./support/tenant-object";

const ONE_ATTEMPT = { retry: { max_attempts: 1 } };

describe("a tenant's slow targets hold neither the queue nor another tenant's runs", () => {
  it("returns from a batch once it is claimed, and delivers a neighbour's run while its targets hang", async () => {
    const slow = await createTenant();
    const quick = await createTenant();
    const hangUrl = sinkUrl(`/${uniqueId("hang")}`, { hang: 1 });
    const quickUrl = sinkUrl(`/${uniqueId("quick")}`);
    const hanging = await queuedRuns(slow, hangUrl, 5, { timeout_seconds: 8, ...ONE_ATTEMPT });
    const fast = await queuedRuns(quick, quickUrl, 1);
    const batch = batchOf("runs-medium-0", [...hanging, ...fast]);
    const ctx = createExecutionContext();

    await worker.queue(batch, env, ctx);
    // The handler is back while the hanging deliveries have seconds to go: the queue is free.
    const running = await Promise.all(hanging.map((m) => runDetail(slow, m.run_id)));
    expect(running.map((r) => r.status)).toEqual(hanging.map(() => "running"));
    // The neighbour's run is delivered and reported while the slow tenant's requests still hang.
    await waitForRun(
      quick,
      fast[0]?.run_id as string,
      (r) => r.status === "succeeded",
      "quick run",
    );
    expect(await deliveriesAt(quickUrl)).toHaveLength(1);
    const waiting = (await deliveriesAt(hangUrl)).filter((d) => d.finished_at === null);
    expect(waiting).toHaveLength(5);
    for (const m of hanging) expect((await runDetail(slow, m.run_id)).status).toBe("running");

    // Every message was acked at its claim; the hanging attempts end by their own timeout.
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(batch.messages.map((m) => m.id).sort());
    expect(result.retryMessages).toEqual([]);
    for (const m of hanging) {
      const run = await runDetail(slow, m.run_id);
      expect(run.status).toBe("dead");
      expect(run.attempts).toHaveLength(1);
      expect(run.attempts[0]).toMatchObject({ outcome: "timeout" });
    }
  });

  it("claims a batch larger than the six connections a wave at a time, tenants in turn", async () => {
    const busy = await createTenant();
    const other = await createTenant();
    const busyUrl = sinkUrl(`/${uniqueId("busy")}`, { delay_ms: 3000 });
    const otherUrl = sinkUrl(`/${uniqueId("other")}`, { delay_ms: 3000 });
    const busyRuns = await queuedRuns(busy, busyUrl, 7);
    const otherRuns = await queuedRuns(other, otherUrl, 1);
    // The other tenant's message comes last in the batch.
    const batch = batchOf("runs-medium-1", [...busyRuns, ...otherRuns]);
    const ctx = createExecutionContext();

    const handled = worker.queue(batch, env, ctx);
    await waitFor(
      async () =>
        (await deliveriesAt(busyUrl)).length === 5 && (await deliveriesAt(otherUrl)).length === 1,
      "the first wave: five busy runs and the other tenant's",
    );
    // Runs that could not start yet are not claimed: no lease runs down while they wait.
    const statuses = await Promise.all(
      busyRuns.map(async (m) => (await runDetail(busy, m.run_id)).status),
    );
    expect(statuses.filter((s) => s === "running")).toHaveLength(5);
    expect(statuses.filter((s) => s === "queued")).toHaveLength(2);

    await handled;
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toHaveLength(8);
    expect(await deliveriesAt(busyUrl)).toHaveLength(7);
    for (const m of busyRuns) {
      const run = await runDetail(busy, m.run_id);
      expect(run.status).toBe("succeeded");
      expect(run.attempts).toHaveLength(1);
    }
  });
});

describe("a claimed attempt's lease", () => {
  it("covers its whole timeout from the claim, however little of its send-time lease was left", async () => {
    const tenant = await createTenant();
    const url = sinkUrl(`/${uniqueId("late")}`, { delay_ms: 1500 });
    const [message] = await queuedRuns(tenant, url, 1, { timeout_seconds: 20 });
    const runId = message?.run_id as string;
    // As if its message had waited in the queue for nearly all of its lease.
    const oldLease = Date.now() + 1000;
    await setLease(tenant.id, runId, oldLease);
    const claimedAfter = Date.now();
    const batch = batchOf("runs-express-0", [message as never]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);

    const [row] = await sqlIn(
      tenant.id,
      "select status, lease_expires_at from runs where id = ?",
      runId,
    );
    expect(row?.status).toBe("running");
    expect(Number(row?.lease_expires_at)).toBeGreaterThanOrEqual(
      claimedAfter + 20_000 + RUNNING_LEASE_MARGIN_MS,
    );
    // An alarm round after the old lease has passed leaves the running attempt alone.
    await waitFor(async () => Date.now() > oldLease, "the old lease to pass");
    await fireAlarm(tenant.id);
    expect((await runDetail(tenant, runId)).status).toBe("running");

    await getQueueResult(batch, ctx);
    const run = await runDetail(tenant, runId);
    expect(run.status).toBe("succeeded");
    expect(run.attempts).toHaveLength(1);
    expect(await deliveriesAt(url)).toHaveLength(1);
  });
});
