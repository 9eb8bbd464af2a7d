/**
 * What a job can make the worker program do, end to end: real `pull-worker/cli.ts` processes
 * against the real system (`npm run dev`) running real commands. A job author (any write token)
 * chooses payloads; the machine's operator chooses, through the worker's own configuration, what
 * runs, in which environment, and the worker's token never reaches a command.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PATH } from "../pull-worker/worker-config.ts";
import { uniqueId } from "./support/fixtures.ts";
import {
  createWorkerTenant,
  drainWorker,
  resultOf,
  scratchDir,
  startWorker,
  stopWorkers,
  tokens,
  waitForStatus,
  workerJob,
} from "./support/worker-program.ts";

beforeAll(createWorkerTenant);
afterEach(stopWorkers);

/** The error of a run's only attempt, once the run is dead. */
async function refusal(jobId: string): Promise<string> {
  const run = await waitForStatus(jobId, ["dead"]);
  // Not retryable: one attempt, no second try that would be refused the same way.
  expect(run.attempts).toHaveLength(1);
  expect(run.attempts[0]?.outcome).toBe("failed");
  return run.attempts[0]?.error ?? "";
}

describe("what a job can make a worker run", () => {
  it("runs only commands its operator allowed: sh -c and shell payloads are refused, naming what and how to allow it", async () => {
    const pool = uniqueId("allow");
    const worker = startWorker(pool, { args: ["--allow", "echo", "--concurrency", "3"] });
    const viaSh = await workerJob(pool, { command: ["sh", "-c", "echo owned"] });
    const viaShell = await workerJob(pool, { shell: "echo owned" });
    const allowed = await workerJob(pool, { command: ["echo", "fine"] });

    const shError = await refusal(viaSh);
    expect(shError).toContain("refused by this worker");
    expect(shError).toContain('["sh","-c","echo owned"]');
    expect(shError).toContain('--allow "sh"');
    expect(shError).toContain("--config");
    expect(await refusal(viaShell)).toMatch(/refused by this worker: "shell" \(sh -c\)/);

    const run = await waitForStatus(allowed, ["succeeded"]);
    expect(resultOf(run)).toMatchObject({ exit_code: 0, output: "fine\n" });
    expect(await drainWorker(worker)).toBe(0);
  });

  it("matches allowed prefixes word for word: another path to the program or other first words are refused", async () => {
    const pool = uniqueId("prefix");
    const worker = startWorker(pool, {
      args: ["--allow", "echo from-prefix", "--concurrency", "3"],
    });
    const ok = await workerJob(pool, { command: ["echo", "from-prefix", "and more"] });
    const otherWords = await workerJob(pool, { command: ["echo", "other"] });
    const otherPath = await workerJob(pool, { command: ["/bin/echo", "from-prefix"] });
    expect(resultOf(await waitForStatus(ok, ["succeeded"])).output).toBe("from-prefix and more\n");
    expect(await refusal(otherWords)).toContain("not in its allowlist");
    expect(await refusal(otherPath)).toContain("not in its allowlist");
    expect(await drainWorker(worker)).toBe(0);
  });

  it("refuses payload env that changes loading or lookup (LD_PRELOAD, PATH, NODE_OPTIONS) and passes other names", async () => {
    const pool = uniqueId("env");
    const worker = startWorker(pool, { args: ["--allow", "env", "--concurrency", "4"] });
    const jobs = {
      LD_PRELOAD: await workerJob(pool, { command: ["env"], env: { LD_PRELOAD: "/tmp/evil.so" } }),
      PATH: await workerJob(pool, { command: ["env"], env: { PATH: "/tmp/evil:/usr/bin" } }),
      NODE_OPTIONS: await workerJob(pool, {
        command: ["env"],
        env: { NODE_OPTIONS: "--require /tmp/evil.js" },
      }),
    };
    const plain = await workerJob(pool, { command: ["env"], env: { GREETING: "hi" } });
    for (const [name, jobId] of Object.entries(jobs)) {
      const error = await refusal(jobId);
      expect(error).toContain(`refused by this worker: payload env.${name}`);
      expect(error).toContain("a job may not set it");
    }
    const run = await waitForStatus(plain, ["succeeded"]);
    expect(resultOf(run).output).toContain("GREETING=hi\n");
    expect(await drainWorker(worker)).toBe(0);
  });

  it("runs a named handler with the configuration's command, cwd and env; the payload is data", async () => {
    const pool = uniqueId("handler");
    const dir = scratchDir();
    const config = join(dir, "worker.json");
    writeFileSync(
      config,
      JSON.stringify({
        handlers: {
          report: {
            command: ["sh", "-c", 'echo "$(pwd) $GREETING $SCHEDULER_PAYLOAD"'],
            cwd: dir,
            env: { GREETING: "hello" },
          },
        },
      }),
    );
    const worker = startWorker(pool, { args: ["--config", config, "--concurrency", "3"] });
    const payload = { handler: "report", day: "monday", env: { LD_PRELOAD: "/tmp/evil.so" } };
    const handled = await workerJob(pool, payload);
    const unknown = await workerJob(pool, { handler: "rm-everything" });
    // The handler's own command is not a command prefix: a payload cannot name it directly.
    const direct = await workerJob(pool, { command: ["sh", "-c", "echo owned"] });

    const run = await waitForStatus(handled, ["succeeded"]);
    expect(resultOf(run).output).toBe(`${dir} hello ${JSON.stringify(payload)}\n`);
    expect(await refusal(unknown)).toContain('no handler "rm-everything" here');
    expect(await refusal(direct)).toContain("not in its allowlist");
    expect(await drainWorker(worker)).toBe(0);
  });
});

/**
 * A command that prints its own environment, then every token-like word in its parent's (the
 * worker's) /proc environ and cmdline: what a hostile command could find there.
 */
const PROBE = [
  "env",
  "echo ---",
  "tr '\\0' '\\n' < /proc/$PPID/environ | grep -o 'sched[.][A-Za-z0-9._-]*' || true",
  "tr '\\0' '\\n' < /proc/$PPID/cmdline | grep -o 'sched[.][A-Za-z0-9._-]*' || true",
  "echo end",
].join("\n");

describe.runIf(process.platform === "linux")("what a command can see of the worker", () => {
  it.each(["file", "stdin"] as const)(
    "starts commands with a minimal environment and never shows them the token (token from a %s)",
    async (via) => {
      const pool = uniqueId(`probe-${via}`);
      const worker = startWorker(pool, {
        args: ["--allow", "sh -c"],
        token: via,
        env: {
          ...process.env,
          SCHEDULER_TOKEN: undefined,
          WORKER_ONLY_SECRET: "canary-7c1e",
          LD_LIBRARY_PATH: "/tmp/not-for-commands",
        },
      });
      const jobId = await workerJob(pool, { command: ["sh", "-c", PROBE] });
      const run = await waitForStatus(jobId, ["succeeded"]);
      const output = resultOf(run).output;
      const [envPart = "", procPart = ""] = output.split("---\n");

      expect(output).not.toContain(tokens.worker);
      expect(procPart.trim()).toBe("end");
      const names = envPart
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split("=")[0]);
      expect(names).toContain("SCHEDULER_RUN_ID");
      expect(names).toContain("SCHEDULER_PAYLOAD");
      expect(names).not.toContain("SCHEDULER_TOKEN");
      expect(names).not.toContain("WORKER_ONLY_SECRET");
      expect(names).not.toContain("LD_LIBRARY_PATH");
      expect(envPart).toContain(`PATH=${DEFAULT_PATH}\n`);

      // The worker's own /proc entries, read by the test too.
      const pid = worker.child.pid as number;
      expect(readFileSync(`/proc/${pid}/environ`, "utf8")).not.toContain(tokens.worker);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      expect(cmdline.join(" ")).not.toContain(tokens.worker);
      expect(cmdline).toContain(via === "file" ? (worker.tokenFile as string) : "-");
      expect(await drainWorker(worker)).toBe(0);
    },
  );
});

describe("how the worker program starts", () => {
  /** A start that is refused: exit code 2, and what it said. */
  async function refusedStart(args: string[], env: NodeJS.ProcessEnv = {}) {
    const worker = startWorker("refused", {
      raw: true,
      args,
      env: { ...process.env, SCHEDULER_TOKEN: undefined, ...env },
    });
    expect(await worker.exited).toBe(2);
    return worker.lines.join("\n");
  }

  it("refuses to start with nothing allowed, with the token on its command line, or with SCHEDULER_TOKEN set", async () => {
    const dir = scratchDir();
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, tokens.worker, { mode: 0o600 });
    const url = "http://127.0.0.1:9";

    expect(await refusedStart(["--url", url, "--token-file", tokenFile])).toContain(
      "this worker would run nothing: allow commands with --allow WORDS",
    );
    expect(await refusedStart(["--url", url, "--allow", "echo", "--token", "sched.x.y.z"])).toMatch(
      /--token puts the token on the command line.*--token-file FILE/,
    );
    const fromEnv = await refusedStart(["--url", url, "--allow", "echo"], {
      SCHEDULER_TOKEN: "sched.x.y.z",
    });
    expect(fromEnv).toContain("SCHEDULER_TOKEN is set");
    expect(fromEnv).toContain("env -u SCHEDULER_TOKEN");
    expect(await refusedStart(["--url", url, "--allow", "echo"])).toContain("a token is required");
    expect(
      await refusedStart(["--url", url, "--allow", "./run.sh", "--token-file", tokenFile]),
    ).toContain("relative path");

    const config = join(dir, "worker.json");
    writeFileSync(config, JSON.stringify({ commands: [["echo"]], pass_env: ["SCHEDULER_TOKEN"] }));
    expect(
      await refusedStart(["--url", url, "--config", config, "--token-file", tokenFile]),
    ).toContain("pass_env[0]: SCHEDULER_TOKEN is the worker's own");
  });

  it("warns on stderr when it would send its token over plain http to another host, not to a local one", async () => {
    // 192.0.2.1 is TEST-NET-1: nothing answers, and the warning comes before any request.
    const remote = startWorker("remote", {
      raw: true,
      args: ["--url", "http://192.0.2.1:9", "--token-file", "-", "--allow", "echo"],
      token: "stdin",
    });
    const warning = await remote.waitForLine(/warn/);
    expect(warning).toContain("http://192.0.2.1:9 is plain http to another machine");
    expect(warning).toContain("use https");

    const local = startWorker(uniqueId("local"), { args: ["--allow", "echo"] });
    await local.waitForLine(/claiming pools/);
    expect(local.lines.join("\n")).not.toContain("plain http");
    expect(await drainWorker(local)).toBe(0);
  });
});
