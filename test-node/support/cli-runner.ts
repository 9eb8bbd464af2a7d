/**
 * Runs the CLI as a person or a script does: a child process of bin/edge-scheduler.js against the
 * running `npm run dev`, in its copy of the project (whose .dev.vars holds the admin token).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { inject } from "vitest";
import { ROOT } from "./dev-system.ts";
import { uniqueId } from "./fixtures.ts";

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** SCHEDULER_TOKEN. */
  token?: string | undefined;
  /** Default: the dev system's copy. */
  cwd?: string;
  /** Default: node bin/edge-scheduler.js. */
  command?: string[];
  /** More environment (SCHEDULER_URL is the dev system's unless given here). */
  env?: Record<string, string>;
}

export function cli(args: string[], options: CliOptions = {}): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env, SCHEDULER_URL: inject("baseUrl") };
  delete env.SCHEDULER_TOKEN;
  delete env.SCHEDULER_ADMIN_TOKEN;
  if (options.token) env.SCHEDULER_TOKEN = options.token;
  Object.assign(env, options.env);
  const [command, ...prefix] = options.command ?? [
    process.execPath,
    join(ROOT, "bin/edge-scheduler.js"),
  ];
  return new Promise<Ran>((resolve) => {
    const child = spawn(command as string, [...prefix, ...args], {
      cwd: options.cwd ?? inject("devDir"),
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

/** Runs the CLI with --json and parses stdout (failing the test on a non-zero exit). */
export async function cliJson<T = any>(args: string[], token?: string): Promise<T> {
  const ran = await cli([...args, "--json"], { token });
  if (ran.code !== 0)
    throw new Error(`edge-scheduler ${args.join(" ")}: exit ${ran.code}\n${ran.stderr}`);
  return JSON.parse(ran.stdout) as T;
}

/** A new tenant's token, created through the CLI. */
export async function tenantToken(): Promise<string> {
  const tenant = await cliJson([
    "tenants",
    "create",
    "--name",
    "CLI test",
    "--id",
    uniqueId("cli"),
  ]);
  return tenant.token as string;
}
