/**
 * Where the CLI sends requests and with which token: flags first, then the environment
 * (SCHEDULER_URL, SCHEDULER_TOKEN, SCHEDULER_ADMIN_TOKEN), then, for a local URL only, the
 * ADMIN_TOKEN that `npm run dev` wrote to `.dev.vars`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "./output.ts";

export const DEFAULT_URL = "http://localhost:8787";

export type Auth = "admin" | "tenant" | "none";

export interface Settings {
  baseUrl: string;
  token: string | undefined;
}

/** `KEY=value` lines of a dotenv file (quotes removed); {} when the file is absent. */
export function readDotenv(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return {};
  }
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match?.[1]) continue;
    const raw = match[2] ?? "";
    values[match[1]] = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return values;
}

function isLocal(url: URL): boolean {
  return ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

export function resolveSettings(
  auth: Auth,
  flags: { url?: string | undefined; token?: string | undefined },
  env: Record<string, string | undefined>,
  cwd: string,
): Settings {
  const baseUrl = flags.url ?? env.SCHEDULER_URL ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`not a URL: ${baseUrl} (--url or SCHEDULER_URL)`);
  }
  if (auth === "none") return { baseUrl, token: flags.token };
  if (flags.token) return { baseUrl, token: flags.token };
  if (auth === "admin") {
    const token =
      env.SCHEDULER_ADMIN_TOKEN ??
      (isLocal(url) ? readDotenv(join(cwd, ".dev.vars")).ADMIN_TOKEN : undefined) ??
      env.SCHEDULER_TOKEN;
    if (!token)
      throw new UsageError(
        "this command needs the admin token: --token or SCHEDULER_ADMIN_TOKEN (locally `npm run dev` writes it to .dev.vars)",
      );
    return { baseUrl, token };
  }
  if (!env.SCHEDULER_TOKEN)
    throw new UsageError(
      "this command needs a tenant token: --token or SCHEDULER_TOKEN (`tenants create` prints one)",
    );
  return { baseUrl, token: env.SCHEDULER_TOKEN };
}
