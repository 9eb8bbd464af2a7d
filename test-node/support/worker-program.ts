/**
 * The worker program (`pull-worker/cli.ts`) as the Node tests run it: real child processes against
 * the real system (`npm run dev`), given their token the documented way (a file only the user can
 * read, or standard input), plus the tenant, job and run helpers the worker tests share.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, inject } from "vitest";
import { createTenant, uniqueId, waitFor } from "./fixtures.ts";

export const CLI = new URL("../../pull-worker/cli.ts", import.meta.url).pathname;
/** Short leases, so that heartbeats, expiry and retries happen within seconds. */
export const LEASE_SECONDS = 3;

export interface Attempt {
  attempt: number;
  outcome: string;
  error: string | null;
  worker_id: string | null;
  response_body: string | null;
}
export interface Run {
  id: string;
  status: string;
  attempt: number;
  worker_id: string | null;
  checkpoint: unknown;
  attempts: Attempt[];
}

/** The tenant the worker tests of one file share: its write token and a `worker` token. */
export const tokens = { write: "", worker: "" };

export async function createWorkerTenant(): Promise<void> {
  const { tenant } = await createTenant("standard");
  tokens.write = tenant.token;
  const issued = await api<{ token: string; scope: string }>(
    "POST",
    `/v1/admin/tenants/${tenant.id}/tokens`,
    inject("adminToken"),
    { scope: "worker" },
  );
  expect(issued.scope).toBe("worker");
  tokens.worker = issued.token;
}

export async function api<T>(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<T> {
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
export async function workerJob(
  pool: string,
  payload: unknown,
  timeoutSeconds = 60,
): Promise<string> {
  const job = await api<{ id: string }>("POST", "/v1/jobs", tokens.write, {
    name: `e2e ${pool}`,
    target: { type: "worker", pool, payload },
    timeout_seconds: timeoutSeconds,
    retry: { max_attempts: 2, initial_backoff_seconds: 1, max_backoff_seconds: 1 },
  });
  return job.id;
}

export async function runOf(jobId: string): Promise<Run> {
  const page = await api<{ data: { id: string }[] }>("GET", `/v1/jobs/${jobId}/runs`, tokens.write);
  const first = page.data[0];
  if (!first) throw new Error(`job ${jobId} has no run yet`);
  return api<Run>("GET", `/v1/runs/${first.id}`, tokens.write);
}

export const waitForStatus = (jobId: string, statuses: string[], timeoutMs = 20_000) =>
  waitFor(
    async () => {
      const run = await runOf(jobId);
      return statuses.includes(run.status) && run;
    },
    `a run of ${jobId} in ${statuses.join("/")}`,
    timeoutMs,
  );

/** The `{exit_code, signal, output}` result the worker reported for a run's attempt. */
export function resultOf(run: Run, attempt = 0): { exit_code: number; output: string } {
  return JSON.parse(run.attempts[attempt]?.response_body ?? "null");
}

/** A running worker CLI: its stderr lines, and ways to wait for one, stop it, or kill it. */
export interface WorkerProcess {
  id: string;
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** Where its token file is (absent when it read the token from standard input). */
  tokenFile: string | undefined;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export interface WorkerStart {
  /** Arguments after the program (no --url, --token-file or --worker-id added when `raw`). */
  args?: string[];
  /** The worker's environment (default: the tests' own, without SCHEDULER_TOKEN). */
  env?: NodeJS.ProcessEnv;
  /** How the token is given: a 0600 file (default) or a pipe on standard input. */
  token?: "file" | "stdin";
  /** Only `args`, exactly: for starts that are meant to be refused. */
  raw?: boolean;
}

const started: WorkerProcess[] = [];
const dirs: string[] = [];

/** A scratch folder removed by stopWorkers(). */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "worker-test-"));
  dirs.push(dir);
  return dir;
}

export function startWorker(pool: string, options: WorkerStart = {}): WorkerProcess {
  const id = uniqueId("w");
  const via = options.token ?? "file";
  let tokenFile: string | undefined;
  if (via === "file" && !options.raw) {
    tokenFile = join(scratchDir(), "token");
    writeFileSync(tokenFile, `${tokens.worker}\n`, { mode: 0o600 });
  }
  const args = options.raw
    ? (options.args ?? [])
    : [
        "--url",
        inject("baseUrl"),
        "--token-file",
        tokenFile ?? "-",
        "--pool",
        pool,
        "--worker-id",
        id,
        "--wait-seconds",
        "5",
        "--lease-seconds",
        String(LEASE_SECONDS),
        ...(options.args ?? []),
      ];
  const env = options.env ?? { ...process.env };
  if (!options.env) delete env.SCHEDULER_TOKEN;
  const child = spawn(process.execPath, [CLI, ...args], {
    env,
    stdio: [via === "stdin" ? "pipe" : "ignore", "ignore", "pipe"],
  });
  if (via === "stdin") child.stdin?.end(`${tokens.worker}\n`);
  const lines: string[] = [];
  let partial = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      if (partial) lines.push(partial);
      resolve(code);
    }),
  );
  const worker: WorkerProcess = {
    id,
    child,
    lines,
    exited,
    tokenFile,
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
export async function drainWorker(worker: WorkerProcess): Promise<number | null> {
  worker.child.kill("SIGTERM");
  return worker.exited;
}

/** Kills what a test left running and removes its scratch folders (afterEach). */
export async function stopWorkers(): Promise<void> {
  for (const worker of started.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill("SIGKILL");
      await worker.exited;
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
