// Starts and stops the system under test: `wrangler dev` (Worker, objects, queues) and the webhook sink.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, stopGroup } from "../tools/processes.ts";
import { type Sink, startSink } from "../tools/webhook-sink.ts";

export interface System {
  baseUrl: string;
  adminToken: string;
  sink: Sink;
  stop(): Promise<void>;
}

const ROOT = new URL("..", import.meta.url).pathname;
/** What to build the Worker from: this checkout, or BENCH_SOURCE_DIR (a scratch copy to compare a change). */
const SOURCE = process.env.BENCH_SOURCE_DIR ?? ROOT;
const READY_TIMEOUT_MS = 90_000;

async function waitForHealth(baseUrl: string, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early; see ${logPath}`);
    try {
      const response = await fetch(`${baseUrl}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `wrangler dev did not answer /health within ${READY_TIMEOUT_MS} ms; see ${logPath}`,
  );
}

/**
 * Copies what the Worker is built from into `dir`. `wrangler dev` rebuilds and restarts the Worker
 * whenever a source file changes; running from a snapshot keeps edits made during a run (by you,
 * an editor or a formatter) from restarting the objects mid-measurement.
 */
async function snapshotSources(dir: string): Promise<void> {
  for (const entry of ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json"]) {
    await cp(join(SOURCE, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

/** Starts wrangler dev (from a snapshot of the sources) on a free port with empty, throw-away storage, and the sink. */
export async function startSystem(options: { rawDir: string }): Promise<System> {
  const port = await freePort();
  const adminToken = randomBytes(24).toString("hex");
  const workDir = await mkdtemp(join(tmpdir(), "scheduler-bench-"));
  const appDir = join(workDir, "app");
  const persistDir = join(workDir, "state");
  await snapshotSources(appDir);
  await mkdir(options.rawDir, { recursive: true });
  const logPath = join(options.rawDir, "wrangler.log");
  const log = createWriteStream(logPath);
  const sink = await startSink();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--var",
      "ALLOW_INSECURE_TARGETS:true",
      "--var",
      `ADMIN_TOKEN:${adminToken}`,
      "--persist-to",
      persistDir,
      "--log-level",
      process.env.BENCH_WRANGLER_LOG_LEVEL ?? "warn",
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: appDir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      // Wrangler's local trace store records every invocation and is never pruned: a local cost
      // that production does not have (see bench/results/soak.md).
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", X_LOCAL_OBSERVABILITY: "false" },
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopGroup(child);
    await sink.close();
    log.end();
    await rm(workDir, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(baseUrl, child, logPath);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, adminToken, sink, stop };
}
