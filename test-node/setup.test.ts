/**
 * `npm run setup` against a stand-in `wrangler` first on PATH (test-node/support/fake-wrangler.cjs:
 * no Cloudflare account is reachable here). Run twice: the second run creates nothing and keeps the
 * secret. An interrupted or failed deploy leaves no secrets file behind. `wrangler deploy --dry-run`
 * itself runs in CI (.ci/run).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEAD_LETTER_QUEUE, LANES, queueName } from "../src/queues/queue-shards.ts";
import { shardSetting } from "../tools/queue-config.ts";
import { deployedUrl, queueNamesFromTable } from "../tools/setup.ts";
import { ROOT } from "./support/dev-system.ts";
import { waitFor } from "./support/fixtures.ts";

interface Call {
  args: string[];
  secrets?: string[];
}

// Every shard of every lane (QUEUE_SHARDS in wrangler.toml), and the dead-letter queue.
const SHARDS = shardSetting(readFileSync(join(ROOT, "wrangler.toml"), "utf8")) ?? 1;
const QUEUES = [
  ...LANES.flatMap((lane) => Array.from({ length: SHARDS }, (_, s) => queueName(lane, s))),
  DEAD_LETTER_QUEUE,
];
let dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs = [];
});

async function account(seed?: { queues?: string[]; deployed?: boolean; secrets?: object }) {
  const dir = await mkdtemp(join(tmpdir(), "fake-wrangler-"));
  dirs.push(dir);
  const bin = join(dir, "bin");
  await mkdir(bin);
  await writeFile(
    join(bin, "wrangler"),
    `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "test-node/support/fake-wrangler.cjs")}" "$@"\n`,
  );
  await chmod(join(bin, "wrangler"), 0o755);
  const state = join(dir, "state.json");
  if (seed)
    await writeFile(
      state,
      JSON.stringify({ queues: [], deployed: false, secrets: {}, ...seed }, null, 2),
    );
  const log = join(dir, "calls.jsonl");
  await writeFile(log, "");
  return {
    env: {
      ...process.env,
      PATH: `${bin}:${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
      FAKE_WRANGLER_STATE: state,
      FAKE_WRANGLER_LOG: log,
    },
    async calls(): Promise<Call[]> {
      return (await readFile(log, "utf8"))
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Call);
    },
    async state(): Promise<{
      queues: string[];
      deployed: boolean;
      secrets: Record<string, string>;
    }> {
      return JSON.parse(await readFile(state, "utf8"));
    },
    async reset() {
      await writeFile(log, "");
    },
  };
}

/**
 * `npm run setup`'s script, from the project root. Run with node directly: `npm run` would put the
 * project's node_modules/.bin, with the real wrangler, ahead of the stand-in on PATH.
 */
function runSetup(
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["tools/setup.ts"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const creates = (calls: Call[]) =>
  calls.filter((c) => c.args[0] === "queues" && c.args[1] === "create").map((c) => c.args[2]);

describe("npm run setup", () => {
  it("takes a fresh account to a deployed Worker, and a second run changes nothing", async () => {
    const cf = await account({ queues: ["runs-dlq", "someone-elses-queue"] });

    const first = await runSetup(cf.env);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const calls = await cf.calls();
    // Listed page by page, then only the missing queues created, then the secret, then one deploy.
    expect(
      calls.filter((c) => c.args[1] === "list" && c.args[0] === "queues").length,
    ).toBeGreaterThan(1);
    expect(creates(calls).sort()).toEqual(QUEUES.filter((q) => q !== "runs-dlq").sort());
    const deploys = calls.filter((c) => c.args[0] === "deploy");
    expect(deploys.map((c) => c.args.includes("--secrets-file"))).toEqual([true]);
    expect(calls.find((c) => c.secrets)?.secrets).toEqual(["ADMIN_TOKEN", "TOKEN_SIGNING_KEY"]);
    const state = await cf.state();
    expect(state.deployed).toBe(true);
    expect([...state.queues].sort()).toEqual([...QUEUES, "someone-elses-queue"].sort());
    const token = state.secrets.ADMIN_TOKEN as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Printed once, with the URL and the next command; the signing key is never printed.
    expect(first.stdout.split(token).length - 1).toBe(2);
    const signingKey = state.secrets.TOKEN_SIGNING_KEY as string;
    expect(signingKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.stdout).not.toContain(signingKey);
    expect(first.stdout).toContain("Deployed: https://edge-scheduler.example-account.workers.dev");
    expect(first.stdout).toContain("npx edge-scheduler tenants create");
    expect(first.stdout).toContain(`export SCHEDULER_ADMIN_TOKEN=${token}`);

    await cf.reset();
    const second = await runSetup(cf.env);
    expect(second.code).toBe(0);
    const again = await cf.calls();
    expect(creates(again)).toEqual([]);
    expect(again.filter((c) => c.args[0] === "deploy").map((c) => c.args)).toEqual([["deploy"]]);
    expect((await cf.state()).secrets.ADMIN_TOKEN).toBe(token);
    expect((await cf.state()).secrets.TOKEN_SIGNING_KEY).toBe(signingKey);
    expect(second.stdout).not.toContain(token);
    expect(second.stdout).toContain("already set");
    expect(second.stdout).toContain("Deployed: https://edge-scheduler.example-account.workers.dev");
  }, 60_000);

  it("adds the secrets to a deployed Worker that lacks them, without touching other secrets", async () => {
    const cf = await account({ queues: QUEUES, deployed: true, secrets: { OTHER: "x" } });
    const run = await runSetup(cf.env);
    expect(run.code).toBe(0);
    expect(creates(await cf.calls())).toEqual([]);
    const state = await cf.state();
    expect(state.secrets.OTHER).toBe("x");
    expect(state.secrets.ADMIN_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(state.secrets.TOKEN_SIGNING_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
  }, 60_000);

  it("adds only the token signing key to a Worker deployed before tokens were signed, and says what it means", async () => {
    const cf = await account({ queues: QUEUES, deployed: true, secrets: { ADMIN_TOKEN: "kept" } });
    const run = await runSetup(cf.env);
    expect(run.code).toBe(0);
    expect((await cf.calls()).find((c) => c.secrets)?.secrets).toEqual(["TOKEN_SIGNING_KEY"]);
    const state = await cf.state();
    expect(state.secrets.ADMIN_TOKEN).toBe("kept");
    expect(state.secrets.TOKEN_SIGNING_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(run.stdout).toContain("ACCEPT_UNTAGGED_TOKENS");
    expect(run.stdout).not.toContain(state.secrets.TOKEN_SIGNING_KEY);
  }, 60_000);

  it("stops with wrangler's message and a hint when not logged in", async () => {
    const cf = await account();
    const run = await runSetup({ ...cf.env, FAKE_WRANGLER_LOGGED_OUT: "1" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("not authenticated");
    expect(run.stderr).toContain("npx wrangler login");
    expect((await cf.calls()).map((c) => c.args[0])).toEqual(["queues"]);
  }, 60_000);

  it("reads wrangler's queue table and deploy output", () => {
    const table = [
      "┌──────┬───────────┬─────────┐",
      "│ id   │ name      │ created │",
      "├──────┼───────────┼─────────┤",
      "│ \x1b[2ma1\x1b[0m   │ runs-high │ today   │",
      "├──────┼───────────┼─────────┤",
      "│ b2   │ runs-low  │ today   │",
      "└──────┴───────────┴─────────┘",
    ].join("\n");
    expect(queueNamesFromTable(table)).toEqual(["runs-high", "runs-low"]);
    expect(queueNamesFromTable("┌┐\n└┘\n")).toEqual([]);
    expect(deployedUrl("Deployed x triggers\n  https://x.acme.workers.dev\nCurrent")).toBe(
      "https://x.acme.workers.dev",
    );
  });
});

describe("npm run setup's generated secret on disk", () => {
  /** Setup started with its temporary folder in `tmp`, to see what it leaves there. */
  function startSetup(env: NodeJS.ProcessEnv, tmp: string) {
    const child = spawn(process.execPath, ["tools/setup.ts"], {
      cwd: ROOT,
      env: { ...env, TMPDIR: tmp },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>(
      (resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr })),
    );
    return { child, done };
  }

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it.each(["SIGINT", "SIGTERM"] as const)(
    "removes the secrets file and stops wrangler when interrupted by %s during the deploy",
    async (signal) => {
      const cf = await account({ queues: QUEUES });
      const tmp = await mkdtemp(join(tmpdir(), "setup-tmp-"));
      dirs.push(tmp);
      const setup = startSetup({ ...cf.env, FAKE_WRANGLER_DEPLOY: "hang" }, tmp);
      const deploy = await waitFor(
        async () =>
          (await cf.calls()).find((c) => c.args[0] === "deploy") as
            | (Call & { pid: number })
            | undefined,
        "the deploy to start",
        30_000,
      );
      const file = deploy.args[deploy.args.indexOf("--secrets-file") + 1] as string;
      expect(file.startsWith(tmp)).toBe(true);
      expect(JSON.parse(await readFile(file, "utf8"))).toHaveProperty("ADMIN_TOKEN");

      setup.child.kill(signal);
      const ended = await setup.done;
      expect(ended.signal).toBe(signal);
      expect((await readdir(tmp)).filter((name) => name.startsWith("scheduler-setup-"))).toEqual(
        [],
      );
      await waitFor(async () => !alive(deploy.pid), "the stand-in wrangler to stop", 10_000);
    },
    60_000,
  );

  it("removes the secrets file when the deploy fails", async () => {
    const cf = await account({ queues: QUEUES });
    const tmp = await mkdtemp(join(tmpdir(), "setup-tmp-"));
    dirs.push(tmp);
    const setup = startSetup({ ...cf.env, FAKE_WRANGLER_DEPLOY: "fail" }, tmp);
    const ended = await setup.done;
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain(
      "the generated ADMIN_TOKEN and TOKEN_SIGNING_KEY were not stored",
    );
    expect((await readdir(tmp)).filter((name) => name.startsWith("scheduler-setup-"))).toEqual([]);
  }, 60_000);
});
