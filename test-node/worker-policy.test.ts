/**
 * The worker program's rules, without a scheduler: what its configuration accepts, what a payload
 * may ask for under it, which payload env names are refused, and which URLs carry a token in clear.
 * pull-worker-security.test.ts shows the same rules end to end.
 */
import { describe, expect, it } from "vitest";
import { decideCommand } from "../pull-worker/command-policy.ts";
import { RunError } from "../pull-worker/create-worker.ts";
import { refusedEnvName, refusedEnvNames } from "../pull-worker/payload-env.ts";
import { sendsTokenInClear } from "../pull-worker/plain-http.ts";
import {
  DEFAULT_PATH,
  loadConfig,
  parseConfig,
  type WorkerConfig,
} from "../pull-worker/worker-config.ts";

const config = (commands: string[][], handlers: WorkerConfig["handlers"] = {}): WorkerConfig => ({
  commands,
  handlers,
  baseEnv: { PATH: DEFAULT_PATH },
});

/** The RunError a payload is refused with. */
function refusal(payload: unknown, under: WorkerConfig): RunError {
  try {
    decideCommand(payload, under);
  } catch (error) {
    expect(error).toBeInstanceOf(RunError);
    expect((error as RunError).retryable).toBe(false);
    return error as RunError;
  }
  throw new Error(`expected ${JSON.stringify(payload)} to be refused`);
}

describe("the worker's configuration", () => {
  it("reads commands, handlers, env and pass_env, and starts commands from a fixed PATH and the passed names only", () => {
    const parsed = parseConfig(
      {
        commands: [["tar", "czf"], ["/usr/local/bin/report"]],
        handlers: { "backup-db": { command: ["/usr/local/bin/backup"], cwd: "/srv", env: {} } },
        env: { LANG: "C.UTF-8" },
        pass_env: ["TZ"],
      },
      "worker.json",
    );
    expect(parsed.commands).toEqual([["tar", "czf"], ["/usr/local/bin/report"]]);
    expect(parsed.handlers["backup-db"]).toEqual({
      command: ["/usr/local/bin/backup"],
      cwd: "/srv",
      env: {},
    });
    const loaded = loadConfig(
      { allow: ["sh  -c"] },
      { TZ: "UTC", HOME: "/home/w", SCHEDULER_TOKEN: "sched.x", LD_PRELOAD: "/x.so", SECRET: "s" },
    );
    expect(loaded.commands).toEqual([["sh", "-c"]]);
    // No configuration file: the default pass_env; never the token or the loader's variables.
    expect(loaded.baseEnv).toEqual({ PATH: DEFAULT_PATH, TZ: "UTC", HOME: "/home/w" });
  });

  it.each([
    [{ commands: [["./run.sh"]] }, 'commands[0][0]: "./run.sh" is a relative path'],
    [{ commands: [[]] }, "commands[0]: expected a non-empty array"],
    [{ command: [["tar"]] }, 'unknown key "command"'],
    [{ handlers: { x: { command: ["x"], args: true } } }, 'handlers.x: unknown key "args"'],
    [{ handlers: { x: { command: ["/x"], cwd: "srv" } } }, "handlers.x.cwd: expected an absolute"],
    [{ env: { SCHEDULER_TOKEN: "t" } }, "env.SCHEDULER_TOKEN: SCHEDULER_* variables are set by"],
    [{ pass_env: ["scheduler_token"] }, "pass_env[0]: scheduler_token is the worker's own"],
    [[["tar"]], 'expected a JSON object with "commands"'],
  ])("refuses %j naming the place", (value, message) => {
    expect(() => parseConfig(value, "worker.json")).toThrow(`worker.json: ${message}`);
  });
});

describe("what a payload may ask for", () => {
  const allowTar = config([["tar", "czf"]]);

  it("runs a command whose first words are an allowed prefix, with its env and cwd", () => {
    expect(
      decideCommand(
        { command: ["tar", "czf", "/b/db.tgz", "/var/lib/db"], env: { LANG: "C" }, cwd: "/srv" },
        allowTar,
      ),
    ).toEqual({
      argv: ["tar", "czf", "/b/db.tgz", "/var/lib/db"],
      env: { LANG: "C" },
      cwd: "/srv",
    });
  });

  it.each([
    [["tar"]],
    [["tar", "xzf", "/b/db.tgz"]],
    [["/bin/tar", "czf", "x"]],
    [["sh", "-c", "tar czf x"]],
  ])("refuses %j under --allow 'tar czf'", (argv) => {
    expect(refusal({ command: argv }, allowTar).message).toMatch(
      /^refused by this worker: command .* is not in its allowlist/,
    );
  });

  it("runs a handler's own command, cwd and env whatever else the payload holds", () => {
    const under = config([], {
      backup: { command: ["/usr/local/bin/backup"], cwd: "/srv", env: { A: "1" } },
    });
    expect(
      decideCommand({ handler: "backup", env: { LD_PRELOAD: "/x.so" }, cwd: "/tmp" }, under),
    ).toEqual({ argv: ["/usr/local/bin/backup"], env: { A: "1" }, cwd: "/srv" });
    expect(refusal({ handler: "constructor" }, under).message).toContain(
      'no handler "constructor" here',
    );
  });

  it("fails malformed payloads without a further attempt", () => {
    expect(refusal(["tar"], allowTar).message).toMatch(/^bad payload/);
    expect(refusal({ command: ["tar"], shell: "tar" }, allowTar).message).toContain(
      'not "command" and "shell"',
    );
    expect(refusal({ command: ["tar", "czf"], env: { LANG: 1 } }, allowTar).message).toContain(
      '"env.LANG" must be a string',
    );
  });
});

describe("payload env names", () => {
  it.each([
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "ld_preload",
    "DYLD_INSERT_LIBRARIES",
    "PATH",
    "Path",
    "NODE_OPTIONS",
    "PYTHONPATH",
    "PERL5OPT",
    "BASH_ENV",
    "GLIBC_TUNABLES",
    "GIT_SSH_COMMAND",
    "HOME",
    "HTTPS_PROXY",
    "TAR_OPTIONS",
    "SCHEDULER_RUN_ID",
    "BASH_FUNC_ls%%",
    "A=B",
  ])("refuses %s", (name) => {
    expect(refusedEnvName(name)).not.toBeNull();
  });

  it.each(["LANG", "TZ", "GREETING", "PGDATABASE", "AWS_REGION"])("accepts %s", (name) => {
    expect(refusedEnvName(name)).toBeNull();
  });

  it("lists the refused names and prefixes for the documentation", () => {
    expect(refusedEnvNames()).toEqual(expect.arrayContaining(["LD_*", "PATH", "NODE_OPTIONS"]));
  });
});

describe("tokens in clear text", () => {
  it.each([
    ["http://scheduler.example.com", true],
    ["http://10.0.0.5:8787", true],
    ["http://127.0.0.2.nip.io", true],
    ["http://localhost:8787", false],
    ["http://127.0.0.1:8787", false],
    ["http://127.1", false],
    ["http://[::1]:8787", false],
    ["https://scheduler.example.com", false],
  ])("%s: %s", (url, clear) => {
    expect(sendsTokenInClear(url)).toBe(clear);
  });
});
