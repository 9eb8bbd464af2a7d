/**
 * `npm run dev`: a working local system with no copy step. When no local ADMIN_TOKEN is configured
 * (no `.dev.vars`, or one without ADMIN_TOKEN), writes `.dev.vars` with a generated token and
 * prints it once; a missing TOKEN_SIGNING_KEY (which signs tenant tokens) is generated the same
 * way. Then runs `wrangler dev` with the arguments given (`npm run dev -- --port 9000`).
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
  /** True when this call added a TOKEN_SIGNING_KEY to a `.dev.vars` that had none. */
  signingKeyAdded: boolean;
}

/** A token as strong as a production one: 32 random bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The value of `name` in a `.dev.vars` text, if set. */
function devVar(text: string | undefined, name: string): string | undefined {
  if (!text) return undefined;
  return new RegExp(`^\\s*${name}\\s*=\\s*["']?([^"'\\s]+)["']?\\s*$`, "m").exec(text)?.[1];
}

/**
 * The ADMIN_TOKEN of `.dev.vars` in `dir`, written first if there is none; a TOKEN_SIGNING_KEY is
 * added when missing too (a file written before tenant tokens were signed has none).
 */
export function ensureDevVars(dir: string): DevVars {
  const path = join(dir, ".dev.vars");
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    text = undefined;
  }
  const existing = devVar(text, "ADMIN_TOKEN");
  const token = existing ?? generateToken();
  if (text === undefined) {
    writeFileSync(
      path,
      [
        "# Local secrets for `npm run dev`, written by tools/dev.ts. Ignored by git; never commit it.",
        `ADMIN_TOKEN=${token}`,
        "# Signs tenant tokens, so the Worker refuses forged ones itself (README, Security model).",
        `TOKEN_SIGNING_KEY=${generateToken()}`,
        "# Lets webhook targets use http: and private addresses (local sinks). Never set in production.",
        "ALLOW_INSECURE_TARGETS=true",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    return { path, token, created: true, signingKeyAdded: false };
  }
  const missing = [
    ...(existing ? [] : [`ADMIN_TOKEN=${token}`]),
    ...(devVar(text, "TOKEN_SIGNING_KEY") ? [] : [`TOKEN_SIGNING_KEY=${generateToken()}`]),
  ];
  if (missing.length)
    appendFileSync(
      path,
      `${text.endsWith("\n") || text === "" ? "" : "\n"}${missing.map((line) => `${line}\n`).join("")}`,
    );
  return {
    path,
    token,
    created: !existing,
    // Only news for a file that had an admin token, and so perhaps tenants with older tokens.
    signingKeyAdded: Boolean(existing) && missing.length > 0,
  };
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
      ...(vars.signingKeyAdded
        ? [
            "Added TOKEN_SIGNING_KEY to .dev.vars: tenant tokens are now signed. Tokens issued before",
            "are refused; issue new ones (or set ACCEPT_UNTAGGED_TOKENS=true in .dev.vars meanwhile).",
          ]
        : []),
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
