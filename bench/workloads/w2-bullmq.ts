// W2-BullMQ: W2's burst run by BullMQ on a local Redis, the peer W2's throughput is compared with
// (run.ts sets W2's ratio and baseline lag from this result). Skipped when redis-server is missing.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { freePort } from "../../tools/processes.ts";
import type { SinkJob } from "../bullmq-worker.ts";
import { cpuPerRun, cpuWindow } from "../process-cpu.ts";
import type { WorkloadResult } from "../report.ts";
import { perSecond } from "../stats.ts";
import { awaitDeliveries, type Context, dueAfterCreating, duplicateCount } from "./common.ts";

const CONCURRENCY = 50;
const QUEUE = "w2-bullmq";
const WORKER_SCRIPT = new URL("../bullmq-worker.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Resolves once `child` prints `text` on stdout; rejects if it exits or takes longer than `ms`. */
function waitForOutput(child: ChildProcess, text: string, ms: number): Promise<void> {
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "${text}" within ${ms} ms: ${output}`)),
      ms,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-2000);
      if (output.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-2000);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before "${text}": ${output}`));
    });
  });
}

/** SIGTERM to a process we started, SIGKILL if it is still there after 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 5000));
  if ((await Promise.race([exited, timer])) === "timeout") child.kill("SIGKILL");
}

/** Kills `child` if the bench exits without stopping it (an error, Ctrl-C). */
function killOnExit(child: ChildProcess): ChildProcess {
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  child.once("exit", () => process.off("exit", kill));
  return child;
}

/** An empty, throw-away Redis on a free port: no RDB snapshots, no AOF (nothing touches the disk). */
async function startRedis(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = killOnExit(
    spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    ),
  );
  try {
    await waitForOutput(child, "Ready to accept connections", 10_000);
  } catch (error) {
    await stop(child);
    throw new Error(`redis-server: ${error instanceof Error ? error.message : error}`);
  }
  return { port, child };
}

function skipped(count: number, reason: string): WorkloadResult {
  return { name: "W2-BullMQ", params: { runs: count }, targets: [], skipped: reason };
}

export async function bullmqBurst(ctx: Context): Promise<WorkloadResult> {
  const count = ctx.quick ? 2000 : 20_000;
  const path = "/w2-bullmq";
  if (!onPath("redis-server"))
    return skipped(count, "redis-server not on PATH (install with: apt-get install redis-server)");
  // Imported here so the rest of the bench runs even where node_modules lacks bullmq.
  let bullmq: typeof import("bullmq");
  try {
    bullmq = await import("bullmq");
  } catch {
    return skipped(count, "the bullmq package is not installed (npm install)");
  }
  const versions = {
    bullmq: JSON.parse(readFileSync(join(ROOT, "node_modules/bullmq/package.json"), "utf8"))
      .version as string,
    redis: /v=(\S+)/.exec(execFileSync("redis-server", ["--version"], { encoding: "utf8" }))?.[1],
  };

  const redis = await startRedis();
  const connection = { host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null };
  const queue = new bullmq.Queue<SinkJob>(QUEUE, { connection });
  let worker: ChildProcess | undefined;
  try {
    worker = killOnExit(
      spawn(process.execPath, [WORKER_SCRIPT], {
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          BULLMQ_REDIS_PORT: String(redis.port),
          BULLMQ_QUEUE: QUEUE,
          BULLMQ_CONCURRENCY: String(CONCURRENCY),
        },
      }),
    );
    await waitForOutput(worker, "ready", 30_000);

    // Delayed jobs all due at one instant, as W2's one-time runs; `timestamp` fixed so that
    // timestamp + delay is exactly `due` for every job. Default job options otherwise (one
    // attempt, completed jobs kept).
    const due = dueAfterCreating(ctx, count);
    const scheduledFor = new Date(due).toISOString();
    for (let start = 0; start < count; start += 1000) {
      const now = Date.now();
      await queue.addBulk(
        Array.from({ length: Math.min(1000, count - start) }, (_, k) => ({
          name: "run",
          data: {
            url: `${ctx.sink.url}${path}`,
            body: { i: start + k },
            scheduled_for: scheduledFor,
          },
          opts: { timestamp: now, delay: Math.max(0, due - now) },
        })),
      );
    }
    const late = Date.now() > due;
    ctx.log(`  ${count} BullMQ jobs due at ${scheduledFor}${late ? " (creation overran)" : ""}`);
    // CPU of Redis and the BullMQ worker process over the same window as W2's.
    const cpu = cpuWindow([redis.child.pid, worker.pid].filter((p) => p !== undefined));
    const report = await awaitDeliveries(
      ctx,
      null,
      path,
      count,
      due + Math.max(120_000, count * 20),
      undefined,
      async () => void cpu.end(),
    );
    const cpuSpent = cpu.end();
    const jobs = await queue.getJobCounts("completed", "failed");
    const spanMs = report.lastReceived - due;
    return {
      name: "W2-BullMQ",
      params: {
        runs: count,
        bullmq: versions.bullmq,
        redis: versions.redis ?? "unknown",
        worker_concurrency: CONCURRENCY,
        workers: 1,
      },
      lag_ms: report.lag,
      counts: {
        expected: count,
        delivered: report.delivered,
        lost: report.lost,
        duplicated: duplicateCount(report),
        bullmq_completed: jobs.completed ?? 0,
        bullmq_failed: jobs.failed ?? 0,
      },
      throughput: { runs_per_s: perSecond(report.delivered, spanMs), span_ms: spanMs },
      per_run: { cpu_ms: cpuPerRun(cpuSpent, report.delivered) ?? Number.NaN },
      cpu: {
        window: "creation done → last run arrived",
        spent_ms_by_process: cpuSpent?.by_command ?? null,
      },
      notes: [
        "per_run.cpu_ms: user + system CPU of redis-server and the BullMQ worker process (/proc/<pid>/stat) over the same window as W2's, ÷ runs delivered.",
        "One BullMQ Worker process POSTing to the same sink; delayed jobs due at one instant; default job options (one attempt, completed jobs kept); Redis on 127.0.0.1 without persistence.",
        ...(late ? ["job creation finished after the due time; lag includes creation"] : []),
      ],
      targets: [
        { name: "lost", value: report.lost, target: "= 0", met: report.lost === 0 },
        {
          name: "duplicated",
          value: duplicateCount(report),
          target: "= 0",
          met: duplicateCount(report) === 0,
        },
      ],
    };
  } finally {
    if (worker) await stop(worker);
    await queue.close().catch(() => {});
    await stop(redis.child);
  }
}
