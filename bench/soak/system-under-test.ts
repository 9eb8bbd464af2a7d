// The soak's system under test: `wrangler dev` (sources with a log level), started and stopped.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { System } from "../system.ts";
import { Inspector } from "./inspector.ts";
import { cmdline, members, wranglerGroup } from "./proc.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** A scratch copy of the sources whose wrangler.toml sets LOG_LEVEL (BENCH_SOURCE_DIR). */
async function sourcesWithLogLevel(level: string): Promise<string> {
  const source = process.env.BENCH_SOURCE_DIR ?? ROOT;
  const dir = await mkdtemp(join(tmpdir(), "scheduler-soak-src-"));
  for (const entry of ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json"])
    await cp(join(source, entry), join(dir, entry), { recursive: true });
  const toml = await readFile(join(dir, "wrangler.toml"), "utf8");
  if (!/^LOG_LEVEL = ".*"$/m.test(toml)) throw new Error("wrangler.toml has no LOG_LEVEL line");
  await writeFile(
    join(dir, "wrangler.toml"),
    toml.replace(/^LOG_LEVEL = ".*"$/m, `LOG_LEVEL = "${level}"`),
  );
  return dir;
}

export interface StartOptions {
  minutes: number;
  logLevel: string;
  targetMode: string;
  localObservability: string;
  /** --inspector: none, worker, internals or all. */
  sessions: string;
}

/** The running system and where to measure it. */
export interface Started {
  system: System;
  /** The process group of wrangler and its workerd processes. */
  group: number;
  /** wrangler's --persist-to directory. */
  persistDir: string;
  /** The scratch directory of wrangler's output (wrangler.log). */
  rawDir: string;
}

/**
 * What the soak started, kept as it is started so that `cleanup` (also from a signal, half-way
 * through starting) stops what is there.
 */
export class SystemUnderTest {
  system: System | undefined;
  inspector: Inspector | undefined;
  internals = new Map<string, Inspector>();
  scratch: string | undefined;
  rawDir: string | undefined;
  /** --keep-log: where to copy wrangler's output before it goes. */
  private readonly keepLog: string | undefined;

  constructor(keepLog: string | undefined) {
    this.keepLog = keepLog;
  }

  async start(options: StartOptions, log: (message: string) => void): Promise<Started> {
    const { minutes, logLevel, targetMode, localObservability, sessions } = options;
    if (logLevel !== "info") {
      this.scratch = await sourcesWithLogLevel(logLevel);
      process.env.BENCH_SOURCE_DIR = this.scratch;
    }
    // Wrangler's local observability (a streaming tail of every invocation into a trace store in
    // the runtime, on by default) is switched with this variable; the child inherits it.
    process.env.X_LOCAL_OBSERVABILITY = localObservability === "on" ? "true" : "false";
    // Imported after BENCH_SOURCE_DIR is set: system.ts reads it when it loads.
    const { startSystem } = await import("../system.ts");
    const rawDir = await mkdtemp(join(tmpdir(), "scheduler-soak-raw-"));
    this.rawDir = rawDir;
    log(
      `soak: ${minutes} min, LOG_LEVEL=${logLevel}, targets ${targetMode}; starting wrangler dev`,
    );
    this.system = await startSystem({ rawDir });
    const sys = this.system;
    const port = new URL(sys.baseUrl).port;
    const group = wranglerGroup(port);
    const proxyPid = members(group).find((m) => m.role === "proxy")?.pid;
    const wranglerArgs = cmdline(group);
    const persistDir = wranglerArgs[wranglerArgs.indexOf("--persist-to") + 1] ?? "";
    log(`system up at ${sys.baseUrl}; group ${group}: ${JSON.stringify(members(group))}`);
    if ((sessions === "worker" || sessions === "all") && proxyPid !== undefined)
      this.inspector = await Inspector.connect(proxyPid, log);
    const runtimePid = members(group).find((m) => m.role === "runtime")?.pid;
    if ((sessions === "internals" || sessions === "all") && runtimePid !== undefined) {
      this.internals = await Inspector.connectInternals(runtimePid);
      log(`inspector: ${this.internals.size} other isolates in the runtime`);
    }
    return { system: sys, group, persistDir, rawDir };
  }

  async cleanup(failed = false): Promise<void> {
    this.inspector?.close();
    for (const session of this.internals.values()) session.close();
    this.internals = new Map();
    await this.system?.stop().catch(() => {});
    const keep = this.keepLog;
    if (keep && this.rawDir) await cp(join(this.rawDir, "wrangler.log"), keep).catch(() => {});
    if (failed && this.rawDir) {
      // The wrangler log is all there is to tell why; show its end before it goes.
      const text = await readFile(join(this.rawDir, "wrangler.log"), "utf8").catch(() => "");
      console.error(`--- end of wrangler.log ---\n${text.split("\n").slice(-30).join("\n")}`);
    }
    if (this.scratch) await rm(this.scratch, { recursive: true, force: true });
    if (this.rawDir) await rm(this.rawDir, { recursive: true, force: true });
  }
}
