/**
 * The real local system for the Node tests, started the way a person starts it: `npm run dev`
 * (tools/dev.ts, which writes .dev.vars with a generated admin token, then `wrangler dev`) in a
 * fresh copy of the project without .dev.vars, on a free port, with throw-away storage.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, stopGroup } from "../../tools/processes.ts";

export const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const READY_TIMEOUT_MS = 90_000;

export interface DevSystem {
  baseUrl: string;
  adminToken: string;
  /** What `npm run dev` printed (stdout and stderr) until it answered /health. */
  output: string;
  /** The copy of the project it runs in (holds the generated .dev.vars). */
  dir: string;
  stop(): Promise<void>;
}

/** What a clone does not have: installed packages, local state and secrets, build output. */
const NOT_IN_A_CLONE = new Set([".git", "node_modules", ".wrangler", ".dev.vars", "dist"]);

/**
 * The project as a clone has it (no .dev.vars; the CLI, the demo and the worker beside the Worker,
 * so README commands run there as written); edits made meanwhile do not restart the Worker.
 */
async function copyProject(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(ROOT)) {
    if (NOT_IN_A_CLONE.has(entry)) continue;
    await cp(join(ROOT, entry), join(dir, entry), {
      recursive: true,
      filter: (source) => !source.includes("/bench/results/raw"),
    });
  }
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

export interface DevSystemOptions {
  /**
   * `--log-level warn` (the default), for a system many tests share; false runs it at wrangler's
   * own level, so `output` is what a person sees.
   */
  quiet?: boolean;
}

export async function startDevSystem(options: DevSystemOptions = {}): Promise<DevSystem> {
  const port = await freePort();
  const work = await mkdtemp(join(tmpdir(), "scheduler-node-tests-"));
  const dir = join(work, "app");
  await copyProject(dir);
  const logPath = join(work, "dev.log");
  const log = createWriteStream(logPath);
  let output = "";
  const child = spawn(
    process.execPath,
    [
      "tools/dev.ts",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      join(work, "state"),
      ...(options.quiet === false ? [] : ["--log-level", "warn"]),
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: dir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
        WRANGLER_SEND_METRICS: "false",
      },
    },
  );
  let ready = false;
  for (const stream of [child.stdout, child.stderr])
    stream?.on("data", (chunk: Buffer) => {
      if (!ready) output += chunk.toString();
      log.write(chunk);
    });
  const stop = async () => {
    await stopGroup(child);
    log.end();
    await rm(work, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`npm run dev exited early: ${await readFile(logPath, "utf8")}`);
      if (Date.now() > deadline)
        throw new Error(
          `npm run dev did not answer /health within ${READY_TIMEOUT_MS / 1000} s:\n${(await readFile(logPath, "utf8")).slice(-4000)}`,
        );
      const ok = await fetch(`${baseUrl}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        ready = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const devVars = await readFile(join(dir, ".dev.vars"), "utf8");
    const adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(devVars)?.[1];
    if (!adminToken) throw new Error(`no ADMIN_TOKEN in the generated .dev.vars:\n${devVars}`);
    return { baseUrl, adminToken, output, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
