/**
 * The worker program end to end: real child processes of `pull-worker/cli.ts` against the real
 * system (`npm run dev`), running real commands. Leases are 3 s (`--lease-seconds 3`) so that
 * heartbeats, expiry and retries happen within seconds.
 */
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { uniqueId } from "./support/fixtures.ts";
import {
  api,
  createWorkerTenant,
  drainWorker,
  LEASE_SECONDS,
  runOf,
  startWorker as start,
  stopWorkers,
  tokens,
  waitForStatus,
  workerJob,
} from "./support/worker-program.ts";

/** A worker allowed to run what these tests' payloads ask for: `sh -c` scripts and `sleep`. */
const startWorker = (pool: string, extra: string[] = []) =>
  start(pool, { args: ["--allow", "sh -c", "--allow", "sleep", ...extra] });

beforeAll(createWorkerTenant);
afterEach(stopWorkers);

describe("the worker program (pull-worker/cli.ts) against npm run dev", () => {
  it("fails a command that exits 3, the run is retried, and ends dead after its attempts", async () => {
    const pool = uniqueId("exit");
    const worker = startWorker(pool);
    const jobId = await workerJob(pool, {
      command: ["sh", "-c", 'echo "attempt $SCHEDULER_ATTEMPT of $SCHEDULER_JOB_ID"; exit 3'],
    });
    const run = await waitForStatus(jobId, ["dead"]);
    expect(run.attempts).toHaveLength(2);
    for (const [i, attempt] of run.attempts.entries()) {
      expect(attempt.outcome).toBe("failed");
      expect(attempt.worker_id).toBe(worker.id);
      expect(attempt.error).toContain("exit code 3");
      expect(attempt.error).toContain(`attempt ${i + 1} of ${jobId}`);
    }
    expect(await drainWorker(worker)).toBe(0);
  });

  it("keeps a command that outlives several leases alive with heartbeats: one attempt, succeeded", async () => {
    const pool = uniqueId("sleep");
    const worker = startWorker(pool);
    const seconds = LEASE_SECONDS * 3;
    const jobId = await workerJob(pool, {
      shell: `sleep ${seconds}; echo "slept ${seconds} s"`,
    });
    const running = await waitForStatus(jobId, ["running"]);
    expect(running.worker_id).toBe(worker.id);
    const workers = await api<{ data: { id: string; state: string; runs_in_flight: number }[] }>(
      "GET",
      "/v1/workers",
      tokens.write,
    );
    expect(workers.data.find((w) => w.id === worker.id)).toMatchObject({
      state: "active",
      runs_in_flight: 1,
    });
    const run = await waitForStatus(jobId, ["succeeded"], (seconds + 10) * 1000);
    expect(run.attempts).toHaveLength(1);
    expect(JSON.parse(run.attempts[0]?.response_body ?? "null")).toEqual({
      exit_code: 0,
      signal: null,
      output: `slept ${seconds} s\n`,
    });
    expect(await drainWorker(worker)).toBe(0);
  });

  it("resumes a killed worker's run on another worker from its last checkpoint", async () => {
    const pool = uniqueId("resume");
    // Without a checkpoint: save one, then keep working (printing) until killed. With one: finish.
    const script = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
      'echo "started with ${SCHEDULER_CHECKPOINT:-no checkpoint}"',
      'if [ -z "$SCHEDULER_CHECKPOINT" ]; then',
      "  echo '::checkpoint {\"step\": 3}'",
      "  while true; do echo working; sleep 0.2; done",
      "fi",
    ].join("\n");
    const first = startWorker(pool);
    const jobId = await workerJob(pool, { shell: script });
    await first.waitForLine(/checkpoint sent for run/);
    first.child.kill("SIGKILL");
    await first.exited;
    const stranded = await runOf(jobId);
    expect(stranded.status).toBe("running");
    expect(stranded.checkpoint).toEqual({ step: 3 });

    // The lease runs out (3 s), the run is retried after 1 s and the second worker claims it.
    const second = startWorker(pool);
    const run = await waitForStatus(jobId, ["succeeded"], 20_000);
    expect(run.attempts.map((a) => [a.attempt, a.outcome, a.worker_id])).toEqual([
      [1, "lease_expired", first.id],
      [2, "succeeded", second.id],
    ]);
    const result = JSON.parse(run.attempts[1]?.response_body ?? "null") as { output: string };
    expect(result.output).toBe('started with {"step":3}\n');

    // The first worker's late report is refused: its attempt is not current any more.
    const late = await fetch(`${inject("baseUrl")}/v1/runs/${run.id}/complete`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.worker}`, "content-type": "application/json" },
      body: JSON.stringify({ worker_id: first.id, attempt: 1 }),
    });
    expect(late.status).toBe(409);

    // SIGTERM drains: the scheduler lists the worker as draining, and the process exits 0.
    expect(await drainWorker(second)).toBe(0);
    expect(second.lines.some((line) => /drained/.test(line))).toBe(true);
    const workers = await api<{ data: { id: string; state: string }[] }>(
      "GET",
      "/v1/workers",
      tokens.write,
    );
    expect(workers.data.find((w) => w.id === second.id)?.state).toBe("draining");
  });

  it("stops a running command when its run is cancelled (the heartbeat's answer says so)", async () => {
    const pool = uniqueId("cancel");
    const worker = startWorker(pool);
    const jobId = await workerJob(pool, { command: ["sleep", "30"] });
    const running = await waitForStatus(jobId, ["running"]);
    const t0 = Date.now();
    await api("POST", `/v1/runs/${running.id}/cancel`, tokens.write, {});
    await worker.waitForLine(/failed run .* attempt 1: stopped/);
    // Within a heartbeat interval (a third of the 3 s lease) and the report.
    expect(Date.now() - t0).toBeLessThan(5_000);
    const run = await runOf(jobId);
    expect(run.status).toBe("cancelled");
    expect(run.attempts[0]?.outcome).toBe("failed");
    expect(await drainWorker(worker)).toBe(0);
  });

  it("drains on SIGTERM: a command outliving the grace is stopped and its run retried", async () => {
    const pool = uniqueId("drain");
    const worker = startWorker(pool, ["--grace-seconds", "1"]);
    const jobId = await workerJob(pool, { command: ["sleep", "30"] });
    await waitForStatus(jobId, ["running"]);
    const t0 = Date.now();
    expect(await drainWorker(worker)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8_000);
    const run = await runOf(jobId);
    expect(run.status).toMatch(/^(retrying|pending)$/);
    expect(run.attempts[0]).toMatchObject({ outcome: "failed", worker_id: worker.id });
    expect(run.attempts[0]?.error).toContain("grace period");
  });
});
