#!/usr/bin/env node
/**
 * edge-scheduler-worker: claims runs of its pools and executes the commands their payloads ask for,
 * when this machine's configuration allows them (--allow, --config; worker-config.ts).
 *
 *   npm run worker -- --url http://localhost:8787 --token-file ~/.scheduler-worker-token \
 *     --pool shell --allow tar --concurrency 4
 *
 * The token comes from a file or standard input only (token-source.ts says why). SIGTERM or
 * SIGINT drains (no new runs; running commands get --grace-seconds to finish, then are stopped and
 * reported as failed, retryable); a second signal ends the grace at once.
 */
import { parseArgs } from "node:util";
import { commandHandler } from "./command-handler.ts";
import { createWorker, type Logger, type LogLevel } from "./create-worker.ts";
import { readToken } from "./token-source.ts";
import { ConfigError, describeConfig, loadConfig, type WorkerConfig } from "./worker-config.ts";

const USAGE = `usage: edge-scheduler-worker --url URL --token-file FILE (--allow WORDS | --config FILE) [options]

  --url URL             the scheduler (or SCHEDULER_URL)
  --token-file FILE     a file holding a tenant token with the worker (or write) scope; "-" reads
                        it from standard input (or SCHEDULER_TOKEN_FILE). Never --token or
                        SCHEDULER_TOKEN: the commands run could read those from /proc
  --allow WORDS         run a payload's command when its first words are WORDS (split on spaces),
                        e.g. --allow tar, --allow "/usr/local/bin/report --daily"; repeatable.
                        Payloads' "shell" needs --allow "sh -c", which allows anything
  --config FILE         JSON: {"commands": [[words...]], "handlers": {"name": {"command": [...],
                        "cwd", "env"}}, "env": {...}, "pass_env": [...]} (README "Pull workers")
  --pool NAME           a pool to serve; repeat or comma-separate for several (default: shell)
  --concurrency N       commands run at once, 1..100 (default: 1)
  --grace-seconds N     on SIGTERM/SIGINT, how long running commands may finish (default: 30)
  --worker-id ID        this worker's id (default: <hostname>-<pid>; or SCHEDULER_WORKER_ID)
  --wait-seconds N      long poll of one claim, 0..25 (default: 20)
  --lease-seconds N     how long a claim or heartbeat keeps a run, 1..600 (default: the
                        scheduler's, 30); heartbeats go every third of it
  --verbose             also log debug lines
  --quiet               log warnings and errors only
`;

function fail(message: string): never {
  process.stderr.write(`edge-scheduler-worker: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function integer(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback: number,
) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    fail(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      url: { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      allow: { type: "string", multiple: true },
      config: { type: "string" },
      pool: { type: "string", multiple: true },
      concurrency: { type: "string" },
      "grace-seconds": { type: "string" },
      "worker-id": { type: "string" },
      "wait-seconds": { type: "string" },
      "lease-seconds": { type: "string" },
      verbose: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
}
try {
  parsed = parse();
} catch (error) {
  fail((error as Error).message);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const url = values.url ?? process.env.SCHEDULER_URL;
if (!url) fail("--url (or SCHEDULER_URL) is required");
const pools = (values.pool ?? ["shell"])
  .flatMap((p) => p.split(","))
  .map((p) => p.trim())
  .filter(Boolean);
const concurrency = integer("concurrency", values.concurrency, 1, 100, 1);
const graceSeconds = integer("grace-seconds", values["grace-seconds"], 0, 86_400, 30);
const waitSeconds = integer("wait-seconds", values["wait-seconds"], 0, 25, 20);
const leaseSeconds =
  values["lease-seconds"] === undefined
    ? undefined
    : integer("lease-seconds", values["lease-seconds"], 1, 600, 30);

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const threshold = values.verbose ? 0 : values.quiet ? 2 : 1;
const log: Logger = (level, message) => {
  if (RANK[level] < threshold) return;
  process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`);
};

let config: WorkerConfig;
try {
  config = loadConfig({ file: values.config, allow: values.allow }, process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  fail(error.message);
}
if (config.commands.length === 0 && Object.keys(config.handlers).length === 0)
  fail(
    "this worker would run nothing: allow commands with --allow WORDS, or commands and handlers in --config FILE",
  );

const tokenFile = values["token-file"] ?? process.env.SCHEDULER_TOKEN_FILE;
let token: string;
try {
  token = await readToken({
    file: tokenFile,
    flag: values.token,
    env: process.env,
    stdin: () => process.stdin,
    warn: (message) => log("warn", message),
  });
} catch (error) {
  fail((error as Error).message);
}
// Standard input has served its purpose; nothing else (commands start with their own) reads it.
if (tokenFile === "-") process.stdin.destroy();

let worker: ReturnType<typeof createWorker>;
try {
  worker = createWorker({
    url,
    token,
    pools,
    concurrency,
    waitSeconds,
    ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
    ...(values["worker-id"] || process.env.SCHEDULER_WORKER_ID
      ? { workerId: values["worker-id"] ?? process.env.SCHEDULER_WORKER_ID }
      : {}),
    handler: commandHandler({ config, log }),
    log,
  });
} catch (error) {
  fail((error as Error).message);
}
log("info", `running ${describeConfig(config)}`);

let signals = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    signals++;
    if (signals === 1) {
      log("info", `${signal}: draining (grace ${graceSeconds} s; send it again to stop at once)`);
      void worker.drain(graceSeconds * 1000);
    } else {
      log("warn", `${signal} again: stopping running commands now`);
      void worker.drain(0);
    }
  });
}

worker.start().then(
  () => process.exit(0),
  (error: unknown) => {
    log("error", `worker stopped: ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  },
);
