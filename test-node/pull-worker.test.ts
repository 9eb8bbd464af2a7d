/**
 * The worker program end to end: real child processes of `pull-worker/cli.ts` against the real
 * system (`npm run dev`), running real commands. Leases are 3 s (`--lease-seconds 3`) so that
 * heartbeats, expiry and retries happen within seconds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createTenant, uniqueId, waitFor } from "./support/fixtures.ts";

const CLI = new URL("../pull-worker/cli.ts", import.meta.url).pathname;
const LEASE_SECONDS = 3;

interface Attempt {
  attempt: number;
  outcome: string;
  error: string | null;
  worker_id: string | null;
  response_body: string | null;
}
interface Run {
  id: string;
  status: string;
  attempt: number;
  worker_id: string | null;
  checkpoint: unknown;
  attempts: Attempt[];
}

let writeToken = "";
let workerToken = "";

async function api<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const response = await fetch(`${inject("baseUrl")}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A job of a worker target on `pool` that runs now, retried once after 1 s. */
async function workerJob(pool: string, payload: unknown, timeoutSeconds = 60): Promise<string> {
  const job = await api<{ id: string }>("POST", "/v1/jobs", writeToken, {
    name: `e2e ${pool}`,
    target: { type: "worker", pool, payload },
    timeout_seconds: timeoutSeconds,
    retry: { max_attempts: 2, initial_backoff_seconds: 1, max_backoff_seconds: 1 },
  });
  return job.id;
}

async function runOf(jobId: string): Promise<Run> {
  const page = await api<{ data: { id: string }[] }>("GET", `/v1/jobs/${jobId}/runs`, writeToken);
  const first = page.data[0];
  if (!first) throw new Error(`job ${jobId} has no run yet`);
  return api<Run>("GET", `/v1/runs/${first.id}`, writeToken);
}

const waitForStatus = (jobId: string, statuses: string[], timeoutMs = 20_000) =>
  waitFor(
    async () => {
      const run = await runOf(jobId);
      return statuses.includes(run.status) && run;
    },
    `a run of ${jobId} in ${statuses.join("/")}`,
    timeoutMs,
  );

/** A running worker CLI: its stderr lines, and ways to wait for one, stop it, or kill it. */
interface WorkerProcess {
  id: string;
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

const started: WorkerProcess[] = [];

function startWorker(pool: string, extra: string[] = []): WorkerProcess {
  const id = uniqueId("w");
  const child = spawn(
    process.execPath,
    [
      CLI,
      "--url",
      inject("baseUrl"),
      "--pool",
      pool,
      "--worker-id",
      id,
      "--wait-seconds",
      "5",
      "--lease-seconds",
      String(LEASE_SECONDS),
      ...extra,
    ],
    {
      env: { ...process.env, SCHEDULER_TOKEN: workerToken },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const lines: string[] = [];
  let partial = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const worker: WorkerProcess = {
    id,
    child,
    lines,
    exited,
    waitForLine: (pattern, timeoutMs = 20_000) =>
      waitFor(
        async () => lines.find((line) => pattern.test(line)),
        `worker ${id} to log ${pattern}; it logged:\n${lines.join("\n")}`,
        timeoutMs,
      ),
  };
  started.push(worker);
  return worker;
}

/** SIGTERM (drain) and the exit code. */
async function drainWorker(worker: WorkerProcess): Promise<number | null> {
  worker.child.kill("SIGTERM");
  return worker.exited;
}

beforeAll(async () => {
  const { tenant } = await createTenant("standard");
  writeToken = tenant.token;
  const issued = await api<{ token: string; scope: string }>(
    "POST",
    `/v1/admin/tenants/${tenant.id}/tokens`,
    inject("adminToken"),
    { scope: "worker" },
  );
  expect(issued.scope).toBe("worker");
  workerToken = issued.token;
});

afterEach(async () => {
  for (const worker of started.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill("SIGKILL");
      await worker.exited;
    }
  }
});

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
      writeToken,
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
      headers: { authorization: `Bearer ${workerToken}`, "content-type": "application/json" },
      body: JSON.stringify({ worker_id: first.id, attempt: 1 }),
    });
    expect(late.status).toBe(409);

    // SIGTERM drains: the scheduler lists the worker as draining, and the process exits 0.
    expect(await drainWorker(second)).toBe(0);
    expect(second.lines.some((line) => /drained/.test(line))).toBe(true);
    const workers = await api<{ data: { id: string; state: string }[] }>(
      "GET",
      "/v1/workers",
      writeToken,
    );
    expect(workers.data.find((w) => w.id === second.id)?.state).toBe("draining");
  });

  it("stops a running command when its run is cancelled (the heartbeat's answer says so)", async () => {
    const pool = uniqueId("cancel");
    const worker = startWorker(pool);
    const jobId = await workerJob(pool, { command: ["sleep", "30"] });
    const running = await waitForStatus(jobId, ["running"]);
    const t0 = Date.now();
    await api("POST", `/v1/runs/${running.id}/cancel`, writeToken, {});
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
