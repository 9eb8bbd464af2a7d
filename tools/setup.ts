/**
 * `npm run setup`: takes a Cloudflare account (after `npx wrangler login`) to a deployed scheduler,
 * and is safe to run again:
 *   1. checks that wrangler.toml's run queue sections match its QUEUE_SHARDS (npm run queues:config),
 *      then creates each queue it names (producers, consumers, dead-letter queues: every shard of
 *      every lane) that `wrangler queues list` does not show;
 *   2. for each of the secrets ADMIN_TOKEN and TOKEN_SIGNING_KEY (which signs tenant tokens) the
 *      Worker lacks (or all, before its first deploy), generates a strong one and deploys it with
 *      the code (`wrangler deploy --secrets-file`), so no deployed version runs without it; an
 *      existing secret is never replaced;
 *   3. deploys, and prints the URL, the new admin token (once), and the next command.
 * Generated secrets reach wrangler in a file of a private temporary folder, removed however
 * setup ends: done, failed, or interrupted (SIGINT, SIGTERM; its wrangler is stopped too).
 * Every Cloudflare call goes through the `wrangler` on PATH (npm run puts the project's first).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { queueSectionsCurrent } from "./queue-config.ts";

export interface SetupOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Lines for the person running it. */
  log: (line: string) => void;
  /** wrangler's own output while it deploys (echoed as it comes). */
  echo: (chunk: string) => void;
}

export interface SetupResult {
  createdQueues: string[];
  /** The generated admin token, when this run set the secret. */
  adminToken: string | undefined;
  /** Whether this run generated TOKEN_SIGNING_KEY. */
  signingKeySet: boolean;
  url: string | undefined;
}

/** The secrets setup generates when the Worker lacks them (never printed but the admin token). */
const GENERATED_SECRETS = ["ADMIN_TOKEN", "TOKEN_SIGNING_KEY"] as const;
type GeneratedSecret = (typeof GENERATED_SECRETS)[number];

export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The wrangler processes running now: stopped with setup when it is interrupted. */
const running = new Set<ChildProcess>();

function wrangler(args: string[], options: SetupOptions, echo = false): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn("wrangler", args, {
      cwd: options.cwd,
      env: { ...options.env, WRANGLER_SEND_METRICS: "false" },
      // Deploy may ask (say, to register a workers.dev subdomain on a fresh account).
      stdio: [echo ? "inherit" : "ignore", "pipe", "pipe"],
    });
    running.add(child);
    child.once("exit", () => running.delete(child));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (echo) options.echo(chunk.toString());
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (echo) options.echo(chunk.toString());
    });
    child.on("error", (error) =>
      reject(new SetupError(`cannot run wrangler: ${error.message} (run \`npm ci\` first)`)),
    );
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function failed(what: string, ran: Ran): SetupError {
  const output = `${ran.stdout}\n${ran.stderr}`.trim();
  const hint =
    /not authenticated|wrangler login|CLOUDFLARE_API_TOKEN|authentication error|\[code: 10000\]/i.test(
      output,
    )
      ? "\nLog in first: npx wrangler login (or set CLOUDFLARE_API_TOKEN)"
      : "";
  return new SetupError(`${what} failed (exit ${ran.code}):\n${output}${hint}`);
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const stripAnsi = (text: string) => text.replace(ANSI, "");

/** The `name` column of wrangler's queue table (`wrangler queues list`). */
export function queueNamesFromTable(output: string): string[] {
  const rows = stripAnsi(output)
    .split("\n")
    .filter((line) => line.includes("│"))
    .map((line) =>
      line
        .split("│")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  const header = rows.findIndex((cells) => cells.includes("name"));
  if (header < 0) return [];
  const column = (rows[header] as string[]).indexOf("name");
  return rows
    .slice(header + 1)
    .map((cells) => cells[column])
    .filter((name): name is string => Boolean(name));
}

/** Every queue of the account, page by page until a page adds nothing. */
async function existingQueues(options: SetupOptions): Promise<Set<string>> {
  const names = new Set<string>();
  for (let page = 1; page <= 100; page++) {
    const ran = await wrangler(["queues", "list", "--page", String(page)], options);
    if (ran.code !== 0) throw failed("wrangler queues list", ran);
    const found = queueNamesFromTable(ran.stdout);
    const fresh = found.filter((name) => !names.has(name));
    for (const name of found) names.add(name);
    if (fresh.length === 0) break;
  }
  return names;
}

/**
 * `secrets` in a file of a new private temporary folder, for `wrangler deploy --secrets-file`.
 * `dispose()` removes the folder (call it in a `finally`); until then an interruption (SIGINT,
 * SIGTERM) removes it at once, stops the wrangler processes and ends setup as the signal would,
 * and an exit by any other path removes it too.
 */
async function temporarySecrets(
  secrets: Record<string, string>,
): Promise<{ file: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "scheduler-setup-"));
  const removeNow = () => rmSync(dir, { recursive: true, force: true });
  const detach = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("exit", removeNow);
  };
  function onSignal(signal: NodeJS.Signals) {
    removeNow();
    for (const child of running) child.kill(signal);
    detach();
    // Our listener gone, the signal's default action ends the process as if we had not caught it.
    process.kill(process.pid, signal);
  }
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", removeNow);
  try {
    const file = join(dir, "secrets.json");
    await writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
    return {
      file,
      async dispose() {
        detach();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    detach();
    removeNow();
    throw error;
  }
}

/** The Worker's name and every queue it produces to, consumes or dead-letters into. */
async function readConfig(cwd: string): Promise<{ name: string; queues: string[] }> {
  const { unstable_readConfig } = await import("wrangler");
  const config = unstable_readConfig({ config: join(cwd, "wrangler.toml") });
  if (!config.name) throw new SetupError("wrangler.toml has no name");
  const queues = [
    ...config.queues.producers.map((p: { queue: string }) => p.queue),
    ...config.queues.consumers.flatMap((c: { queue: string; dead_letter_queue?: string }) => [
      c.queue,
      c.dead_letter_queue ?? "",
    ]),
  ].filter(Boolean);
  return { name: config.name, queues: [...new Set(queues)] };
}

/** The names of the Worker's secrets; `missing-worker` before its first deploy. */
async function secretNames(options: SetupOptions): Promise<Set<string> | "missing-worker"> {
  const ran = await wrangler(["secret", "list", "--format", "json"], options);
  if (ran.code !== 0) {
    if (/not found|does not exist|\[code: 10007\]/i.test(`${ran.stdout}\n${ran.stderr}`))
      return "missing-worker";
    throw failed("wrangler secret list", ran);
  }
  const start = ran.stdout.indexOf("[");
  let secrets: { name: string }[];
  try {
    secrets = JSON.parse(ran.stdout.slice(start)) as { name: string }[];
  } catch {
    throw new SetupError(`wrangler secret list answered something else than JSON:\n${ran.stdout}`);
  }
  return new Set(secrets.map((s) => s.name));
}

/** The workers.dev (or first https) URL in wrangler deploy's output. */
export function deployedUrl(output: string): string | undefined {
  const text = stripAnsi(output);
  return (
    /https:\/\/[^\s]+\.workers\.dev\b/.exec(text)?.[0] ?? /^\s+(https:\/\/\S+)/m.exec(text)?.[1]
  );
}

export async function setup(options: SetupOptions): Promise<SetupResult> {
  const { log } = options;
  // The run queues are `QUEUE_SHARDS` per lane; their sections must have been written from it.
  if (!queueSectionsCurrent(options.cwd))
    throw new SetupError(
      "wrangler.toml's run queue sections do not match its QUEUE_SHARDS: run npm run queues:config",
    );
  const config = await readConfig(options.cwd);

  log(`Queues named in wrangler.toml: ${config.queues.join(", ")}`);
  const existing = await existingQueues(options);
  const createdQueues: string[] = [];
  for (const queue of config.queues) {
    if (existing.has(queue)) {
      log(`  ${queue}: exists`);
      continue;
    }
    const ran = await wrangler(["queues", "create", queue], options);
    if (ran.code !== 0) throw failed(`wrangler queues create ${queue}`, ran);
    createdQueues.push(queue);
    log(`  ${queue}: created`);
  }

  const existingSecrets = await secretNames(options);
  const generated: Partial<Record<GeneratedSecret, string>> = {};
  for (const name of GENERATED_SECRETS) {
    if (existingSecrets !== "missing-worker" && existingSecrets.has(name)) {
      log(`${name}: already set on the Worker; left unchanged.`);
      continue;
    }
    generated[name] = randomBytes(32).toString("base64url");
    log(
      existingSecrets === "missing-worker"
        ? `${name}: ${config.name} is not deployed yet; a generated one goes with its first deploy.`
        : `${name}: not set; a generated one goes with this deploy.`,
    );
  }
  if (existingSecrets !== "missing-worker" && generated.TOKEN_SIGNING_KEY)
    log(
      '  Tenant tokens issued before it have no tag and are refused unless ACCEPT_UNTAGGED_TOKENS is "true" (README, Tokens).',
    );

  log(`Deploying ${config.name}…`);
  const names = Object.keys(generated);
  const args = ["deploy"];
  const secrets = names.length ? await temporarySecrets(generated) : undefined;
  if (secrets) args.push("--secrets-file", secrets.file);
  let ran: Ran;
  try {
    ran = await wrangler(args, options, true);
  } finally {
    await secrets?.dispose();
  }
  if (ran.code !== 0) {
    throw failed(
      names.length
        ? `wrangler deploy (the generated ${names.join(" and ")} ${names.length > 1 ? "were" : "was"} not stored)`
        : "wrangler deploy",
      ran,
    );
  }
  return {
    createdQueues,
    adminToken: generated.ADMIN_TOKEN,
    signingKeySet: generated.TOKEN_SIGNING_KEY !== undefined,
    url: deployedUrl(`${ran.stdout}\n${ran.stderr}`),
  };
}

async function main(): Promise<void> {
  try {
    const result = await setup({
      cwd: process.cwd(),
      env: process.env,
      log: (line) => console.log(line),
      echo: (chunk) => process.stdout.write(chunk),
    });
    const url = result.url ?? "<the Worker's URL, shown by wrangler above>";
    const lines = ["", `Deployed: ${url}`];
    if (result.adminToken) {
      lines.push(
        "",
        "Admin token, stored as the Worker's ADMIN_TOKEN secret. It is shown only now: keep it in your",
        "password manager (to replace it later: npx wrangler secret put ADMIN_TOKEN).",
        "",
        `  ${result.adminToken}`,
      );
    }
    lines.push(
      "",
      "Next, create a tenant:",
      "",
      `  export SCHEDULER_URL=${url}`,
      `  export SCHEDULER_ADMIN_TOKEN=${result.adminToken ?? "<your admin token>"}`,
      '  npx edge-scheduler tenants create --name "My team"',
      "",
    );
    console.log(lines.join("\n"));
  } catch (error) {
    console.error(`setup: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
