// Starts and stops the system under test: `wrangler dev` (Worker, objects, queues) and the webhook
// sink; and W12's bench-only Worker (bench/object-ceiling) in a `wrangler dev` of its own.
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
  /** The wrangler dev process: the root of the process tree whose CPU the bench measures. */
  pid: number;
  /** wrangler dev's inspector (V8 profiles of the Worker isolate, bench/profile.ts). */
  inspectorPort: number;
  /** wrangler dev's working directory (a snapshot of the sources). */
  dir: string;
  stop(): Promise<void>;
}

/** A `wrangler dev` the bench started. */
export interface WranglerDev {
  baseUrl: string;
  pid: number;
  inspectorPort: number;
  /** The directory of its configuration (its bundle is under .wrangler/tmp there; bench/profile.ts reads it). */
  dir: string;
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
 * an editor or a formatter) from restarting the objects mid-measurement. W12's bench-only Worker
 * is always this checkout's (it is bench code), built against the snapshot's src/.
 */
async function snapshotSources(dir: string): Promise<void> {
  for (const entry of ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json"]) {
    await cp(join(SOURCE, entry), join(dir, entry), { recursive: true });
  }
  await cp(join(ROOT, "bench/object-ceiling"), join(dir, "bench/object-ceiling"), {
    recursive: true,
  });
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

/** Starts `wrangler dev` in `cwd` on free ports with throw-away storage; resolves once /health answers. */
async function startWranglerDev(options: {
  cwd: string;
  persistDir: string;
  logPath: string;
  args: string[];
}): Promise<WranglerDev> {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const log = createWriteStream(options.logPath);
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--ip",
      "127.0.0.1",
      ...options.args,
      "--persist-to",
      options.persistDir,
      "--log-level",
      process.env.BENCH_WRANGLER_LOG_LEVEL ?? "warn",
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: options.cwd,
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
    log.end();
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(baseUrl, child, options.logPath);
  } catch (error) {
    await stop();
    throw error;
  }
  // wrangler writes its bundle beside the configuration it was given.
  const config = options.args[options.args.indexOf("--config") + 1];
  const dir =
    options.args.includes("--config") && config ? join(options.cwd, config, "..") : options.cwd;
  return { baseUrl, pid: child.pid as number, inspectorPort, dir, stop };
}

/** Starts wrangler dev (from a snapshot of the sources) on a free port with empty, throw-away storage, and the sink. */
export async function startSystem(options: { rawDir: string }): Promise<System> {
  const adminToken = randomBytes(24).toString("hex");
  const workDir = await mkdtemp(join(tmpdir(), "scheduler-bench-"));
  const appDir = join(workDir, "app");
  await snapshotSources(appDir);
  await mkdir(options.rawDir, { recursive: true });
  const sink = await startSink();
  let dev: WranglerDev;
  try {
    dev = await startWranglerDev({
      cwd: appDir,
      persistDir: join(workDir, "state"),
      logPath: join(options.rawDir, "wrangler.log"),
      args: [
        "--var",
        "ALLOW_INSECURE_TARGETS:true",
        "--var",
        `ADMIN_TOKEN:${adminToken}`,
        "--var",
        `TOKEN_SIGNING_KEY:${randomBytes(24).toString("hex")}`,
      ],
    });
  } catch (error) {
    await sink.close();
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  const stop = async () => {
    await dev.stop();
    await sink.close();
    await rm(workDir, { recursive: true, force: true });
  };
  return {
    baseUrl: dev.baseUrl,
    adminToken,
    sink,
    pid: dev.pid,
    inspectorPort: dev.inspectorPort,
    dir: dev.dir,
    stop,
  };
}

/**
 * Starts W12's bench-only Worker (bench/object-ceiling/wrangler.toml) in its own wrangler dev,
 * from its own snapshot of the sources, so its process tree holds only the object and the driver.
 */
export async function startObjectBench(options: { rawDir: string }): Promise<WranglerDev> {
  const workDir = await mkdtemp(join(tmpdir(), "scheduler-bench-w12-"));
  const appDir = join(workDir, "app");
  await snapshotSources(appDir);
  await mkdir(options.rawDir, { recursive: true });
  let dev: WranglerDev;
  try {
    dev = await startWranglerDev({
      cwd: appDir,
      persistDir: join(workDir, "state"),
      logPath: join(options.rawDir, "wrangler-w12.log"),
      args: [
        "--config",
        "bench/object-ceiling/wrangler.toml",
        "--var",
        `TOKEN_SIGNING_KEY:${randomBytes(24).toString("hex")}`,
      ],
    });
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...dev,
    stop: async () => {
      await dev.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
