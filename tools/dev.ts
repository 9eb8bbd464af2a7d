/**
 * `npm run dev`: a working local system with no copy step. When no local ADMIN_TOKEN is configured
 * (no `.dev.vars`, or one without ADMIN_TOKEN), writes `.dev.vars` with a generated token and
 * prints it once; then runs `wrangler dev` with the arguments given (`npm run dev -- --port 9000`).
 * Only local development reads `.dev.vars`: a deployed Worker without the ADMIN_TOKEN secret still
 * refuses every admin call (src/api/auth.ts).
 *
 * wrangler's dev registry (for service bindings between several `wrangler dev` sessions) is turned
 * off: this Worker binds no other, and the registry reprinted the bindings table whenever any dev
 * session on the machine started or stopped. WRANGLER_REGISTRY_PATH set by the caller wins.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface DevVars {
  path: string;
  token: string;
  /** True when this call generated the token. */
  created: boolean;
}

/** A token as strong as a production one: 32 random bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The ADMIN_TOKEN of `.dev.vars` in `dir`, written first if there is none. */
export function ensureDevVars(dir: string): DevVars {
  const path = join(dir, ".dev.vars");
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    text = undefined;
  }
  const existing = text && /^\s*ADMIN_TOKEN\s*=\s*["']?([^"'\s]+)["']?\s*$/m.exec(text)?.[1];
  if (existing) return { path, token: existing, created: false };
  const token = generateToken();
  if (text === undefined) {
    writeFileSync(
      path,
      [
        "# Local secrets for `npm run dev`, written by tools/dev.ts. Ignored by git; never commit it.",
        `ADMIN_TOKEN=${token}`,
        "# Lets webhook targets use http: and private addresses (local sinks). Never set in production.",
        "ALLOW_INSECURE_TARGETS=true",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
  } else {
    appendFileSync(path, `${text.endsWith("\n") || text === "" ? "" : "\n"}ADMIN_TOKEN=${token}\n`);
  }
  return { path, token, created: true };
}

/** The address `wrangler dev` will serve with these arguments (`--port`, `--ip`). */
export function devAddress(args: string[]): string {
  const value = (name: string) => {
    const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    const arg = args[i] as string;
    return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[i + 1];
  };
  return `http://${value("ip") ?? "localhost"}:${value("port") ?? "8787"}`;
}

function main(): void {
  const args = process.argv.slice(2);
  const vars = ensureDevVars(process.cwd());
  const address = devAddress(args);
  console.log(
    [
      ...(vars.created
        ? [
            "Generated a local admin token and saved it in .dev.vars (shown once here):",
            "",
            `  ADMIN_TOKEN=${vars.token}`,
            "",
          ]
        : ["Local admin token: ADMIN_TOKEN in .dev.vars."]),
      "In another terminal, in this directory, the CLI finds it there (README, Quick start):",
      "  export SCHEDULER_TOKEN=$(npx edge-scheduler tenants create --name Acme --field token)",
      `Once wrangler says Ready: the console is ${address}/console, the API ${address}/docs.`,
      "",
    ].join("\n"),
  );
  const child = spawn("wrangler", ["dev", ...args], {
    stdio: "inherit",
    env: { ...process.env, WRANGLER_REGISTRY_PATH: process.env.WRANGLER_REGISTRY_PATH ?? "" },
  });
  // Ctrl-C reaches wrangler from the terminal itself: this process only waits for it to finish.
  process.on("SIGINT", () => {});
  for (const signal of ["SIGTERM", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on("error", (error) => {
    console.error(`could not start wrangler: ${error.message} (run \`npm ci\` first)`);
    process.exit(1);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
