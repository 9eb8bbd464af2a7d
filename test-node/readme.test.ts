/**
 * The README as a new user follows it: its walkthrough blocks, taken from README.md itself, pasted
 * in order into one shell in a fresh copy of the project, against `npm run dev` started there as the
 * quick start says. A system of its own (not the one the other Node tests share), so the tenants the
 * README names are free and `npm run dev` prints what a person sees.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SchedulerClient } from "../src/client/index.ts";
import { type DevSystem, ROOT, startDevSystem } from "./support/dev-system.ts";
import { waitFor } from "./support/fixtures.ts";
import {
  failedBlock,
  MARK,
  shellBlocks,
  walkthroughBlocks,
  walkthroughScript,
} from "./support/readme-walkthrough.ts";

const README = await readFile(join(ROOT, "README.md"), "utf8");
/** The demo's own default is 25 s of deliveries; a few are enough here. */
const DEMO_SECONDS = "8";

let system: DevSystem;
let scratch: string;
let shell: ChildProcess | undefined;
const backgroundPids: number[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "readme-walkthrough-"));
  system = await startDevSystem({ quiet: false });
}, 150_000);

afterAll(async () => {
  shell?.stdin?.end();
  // The script stops its background blocks itself; anything left is killed.
  await new Promise((r) => setTimeout(r, 100));
  for (const pid of backgroundPids) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (shell && shell.exitCode === null && shell.pid) process.kill(-shell.pid, "SIGKILL");
  await system?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** The environment of a new terminal: none of the README's variables set yet. */
function freshEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["SCHEDULER_TOKEN", "SCHEDULER_ADMIN_TOKEN", "ADMIN_TOKEN", "TOKEN"])
    delete env[name];
  // The system listens on a port of its own, not the README's 8787: the CLI, the demo and the
  // worker are pointed at it the README's way, and the script rewrites the URLs in commands.
  env.SCHEDULER_URL = system.baseUrl;
  env.DEMO_SECONDS = DEMO_SECONDS;
  return env;
}

describe("the walkthrough's parts", () => {
  it("takes the marked blocks in order, rewrites the address, and finds the block a run stopped in", () => {
    const readme = [
      "```sh",
      "npm run dev",
      "```",
      "```sh walkthrough",
      "curl http://localhost:8787/health",
      "```",
      "```ts",
      "const x = 1;",
      "```",
      "```sh walkthrough-background",
      "npm run worker",
      "```",
    ].join("\n");
    expect(shellBlocks(readme).map((b) => b.kind)).toEqual([
      null,
      "walkthrough",
      "walkthrough-background",
    ]);
    const blocks = walkthroughBlocks(readme);
    expect(blocks).toEqual([
      { kind: "walkthrough", text: "curl http://localhost:8787/health", line: 4 },
      { kind: "walkthrough-background", text: "npm run worker", line: 10 },
    ]);
    const script = walkthroughScript(blocks, "http://127.0.0.1:1234", (n) => `/tmp/bg-${n}.log`);
    expect(script).toContain("curl http://127.0.0.1:1234/health");
    expect(script).toContain("npm run worker\n) </dev/null >'/tmp/bg-2.log' 2>&1 &");
    expect(failedBlock("::block-start 1\n::block-ok 1\n::block-start 2\nerror")).toBe(2);
    expect(failedBlock("")).toBe(0);
  });
});

describe("the README, followed from the top", () => {
  it("starts the system with `npm ci` and `npm run dev`, which the test provides", () => {
    const [first] = shellBlocks(README);
    expect(first?.kind).toBeNull();
    expect(first?.text).toMatch(/^npm ci\b.*\nnpm run dev\b/);
  });

  it("prints what a person needs from `npm run dev`: the token, where to go, one bindings table, no stale types", () => {
    const output = system.output;
    expect(output).toContain(`ADMIN_TOKEN=${system.adminToken}`);
    expect(output).toContain("npx edge-scheduler tenants create");
    expect(output).toContain(`${system.baseUrl}/console`);
    expect(output).not.toContain("might be out of date");
    expect(output.match(/Your Worker has access to the following bindings/g)?.length).toBe(1);
  });

  it("runs every walkthrough command in order in one shell: each succeeds, a run is seen succeeding, the worker serves", async () => {
    const blocks = walkthroughBlocks(README);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const backgroundLog = (n: number) => join(scratch, `background-${n}.log`);
    const script = walkthroughScript(blocks, system.baseUrl, backgroundLog);
    shell = spawn("bash", ["-c", script], {
      cwd: system.dir,
      env: freshEnvironment(),
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    shell.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of chunk.toString().matchAll(/^::background \d+ pid (\d+)$/gm))
        backgroundPids.push(Number(match[1]));
    });
    shell.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number>((resolve) =>
      shell?.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))),
    );
    const done = await Promise.race([
      waitFor(() => Promise.resolve(output.includes(MARK.done)), "the walkthrough", 200_000).then(
        () => "done" as const,
      ),
      exited.then((code) => ({ code })),
    ]);
    if (done !== "done") {
      const n = failedBlock(output);
      const block = blocks[n - 1];
      const logs = await Promise.all(
        blocks.map((b, i) =>
          b.kind === "walkthrough-background"
            ? readFile(backgroundLog(i + 1), "utf8").catch(() => "")
            : "",
        ),
      );
      throw new Error(
        `README walkthrough failed (exit ${done.code}) in block ${n}` +
          (block ? ` (README.md line ${block.line}):\n${block.text}` : "") +
          `\n--- output ---\n${output.slice(-6000)}\n--- background output ---\n${logs.join("\n").slice(-3000)}`,
      );
    }

    // The quick start's first run: seen succeeding, with its attempt.
    expect(output).toMatch(/^status\s+succeeded$/m);
    expect(output).toMatch(/^1\s+succeeded\s+200\s/m);
    // The background block (the pull worker) is up: a worker is registered with a tenant.
    if (blocks.some((b) => b.kind === "walkthrough-background")) {
      const admin = new SchedulerClient({ baseUrl: system.baseUrl, token: system.adminToken });
      const readers = await Promise.all(
        (await admin.tenants.list().toArray()).map(async (tenant) =>
          admin.withToken((await admin.tokens.issue(tenant.id, "read")).token),
        ),
      );
      await waitFor(
        async () => {
          for (const reader of readers) if ((await reader.workers.list()).length > 0) return true;
          return false;
        },
        "a pull worker registered by the README's background block",
        30_000,
      );
    }
    shell.stdin?.end("\n");
    expect(await exited).toBe(0);
  }, 300_000);
});
