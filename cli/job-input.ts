/** Jobs from flags or from a file: the `jobs create` and `jobs update` inputs. */
import { readFileSync } from "node:fs";
import type { JobInput, JobPatch, Schedule } from "../src/client/index.ts";
import { choice, int, list, num, type OptionSpec, str, type Values } from "./command.ts";
import { UsageError } from "./output.ts";

const PRIORITIES = ["high", "medium", "low"] as const;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const OVERLAPS = ["skip", "allow", "buffer_one", "cancel_other"] as const;
const RETRY_ON = ["any", "transient"] as const;

/** The flags that describe a job (create: all of them; update: those given change). */
export const JOB_OPTIONS: Record<string, OptionSpec> = {
  name: {
    type: "string",
    value: "<name>",
    description: "default: the target's method, host and path",
  },
  target: { type: "string", value: "<url>", description: "the webhook's URL (https:)" },
  method: {
    type: "string",
    value: "<method>",
    description: "GET, POST (default), PUT, PATCH, DELETE",
  },
  header: {
    type: "string",
    multiple: true,
    value: "<name: value>",
    description: "a header sent with each delivery (repeatable)",
  },
  body: {
    type: "string",
    value: "<json|@file>",
    description: "the JSON body sent with each delivery, inline or @path",
  },
  cron: {
    type: "string",
    value: "<expr>",
    description: "5 fields (minute first) or 6 (second first)",
  },
  timezone: { type: "string", value: "<zone>", description: "IANA zone of --cron (default UTC)" },
  at: { type: "string", value: "<time>", description: "run once at this RFC 3339 time" },
  delay: {
    type: "string",
    value: "<duration>",
    description: "run once after 90, 90s, 5m, 2h or 1d",
  },
  priority: { type: "string", value: "<priority>", description: "high, medium (default), low" },
  "max-attempts": { type: "string", value: "<n>", description: "attempts before dead (default 3)" },
  "initial-backoff": {
    type: "string",
    value: "<seconds>",
    description: "first retry delay (default 2)",
  },
  "max-backoff": {
    type: "string",
    value: "<seconds>",
    description: "longest retry delay (default 600)",
  },
  "retry-on": {
    type: "string",
    value: "<any|transient>",
    description: "transient: no retry of 4xx but 408/429",
  },
  timeout: { type: "string", value: "<seconds>", description: "per attempt (default 30)" },
  overlap: {
    type: "string",
    value: "<policy>",
    description: "skip (default), allow, buffer_one, cancel_other",
  },
  "catchup-window": {
    type: "string",
    value: "<seconds>",
    description: "late occurrences inside it still run (default 300)",
  },
  metadata: {
    type: "string",
    multiple: true,
    value: "<key=value>",
    description: "a metadata entry (repeatable)",
  },
  "flow-key": {
    type: "string",
    value: "<key>",
    description: "count its runs under this flow key's limits (flow-keys set), e.g. a customer id",
  },
};

const TARGET_FLAGS = ["target", "method", "header", "body"];

/** Whether the flags change the target without a new --target (the current one is needed). */
export function changesTargetWithoutUrl(values: Values): boolean {
  return values.target === undefined && TARGET_FLAGS.some((name) => values[name] !== undefined);
}

/** `90`, `90s`, `5m`, `2h`, `1d` in seconds. */
export function parseDuration(text: string, name: string): number {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!match)
    throw new UsageError(`--${name} must be seconds or a duration such as 90s, 5m, 2h, 1d`);
  const factor = { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? "s") as "s"];
  return Number(match[1]) * factor;
}

/** Reads `@path` or inline text as JSON. */
export function jsonArgument(text: string, name: string, cwd: string): unknown {
  const source = text.startsWith("@") ? readText(text.slice(1), cwd) : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new UsageError(`--${name} is not JSON: ${(error as Error).message}`);
  }
}

export function readText(path: string, cwd: string): string {
  try {
    return readFileSync(path.startsWith("/") ? path : `${cwd}/${path}`, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function headers(values: Values): Record<string, string> | undefined {
  const entries = list(values, "header");
  if (!entries.length) return undefined;
  return Object.fromEntries(
    entries.map((entry) => {
      const at = entry.indexOf(":");
      if (at <= 0) throw new UsageError(`--header must be "Name: value", not ${entry}`);
      return [entry.slice(0, at).trim(), entry.slice(at + 1).trim()];
    }),
  );
}

function metadata(values: Values): Record<string, string> | undefined {
  const entries = list(values, "metadata");
  if (!entries.length) return undefined;
  return Object.fromEntries(
    entries.map((entry) => {
      const at = entry.indexOf("=");
      if (at <= 0) throw new UsageError(`--metadata must be key=value, not ${entry}`);
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

/** The schedule the flags give: cron (with zone), at, delay, or none (undefined). */
function schedule(values: Values): Schedule | undefined {
  const cron = str(values, "cron");
  const at = str(values, "at");
  const delay = str(values, "delay");
  const given = [cron, at, delay].filter((v) => v !== undefined).length;
  if (given > 1) throw new UsageError("give at most one of --cron, --at and --delay");
  const timezone = str(values, "timezone");
  if (timezone !== undefined && cron === undefined)
    throw new UsageError("--timezone applies to --cron only");
  if (cron !== undefined) return { cron, ...(timezone ? { timezone } : {}) };
  if (at !== undefined) return { at };
  if (delay !== undefined) return { delay_seconds: parseDuration(delay, "delay") };
  return undefined;
}

function retry(values: Values) {
  const retry = {
    max_attempts: int(values, "max-attempts"),
    initial_backoff_seconds: num(values, "initial-backoff"),
    max_backoff_seconds: num(values, "max-backoff"),
  };
  return Object.values(retry).some((v) => v !== undefined) ? retry : undefined;
}

/** Drops undefined members, so the API applies its defaults. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function commonFields(values: Values) {
  return {
    name: str(values, "name"),
    priority: choice(values, "priority", PRIORITIES),
    retry_on: choice(values, "retry-on", RETRY_ON),
    timeout_seconds: int(values, "timeout"),
    overlap: choice(values, "overlap", OVERLAPS),
    catchup_window_seconds: int(values, "catchup-window"),
    metadata: metadata(values),
    flow_key: str(values, "flow-key"),
  };
}

function target(values: Values, cwd: string, url: string) {
  const body = str(values, "body");
  return defined({
    type: "http" as const,
    url,
    method: choice(values, "method", METHODS),
    headers: headers(values),
    body: body === undefined ? undefined : jsonArgument(body, "body", cwd),
  });
}

export function jobFromFlags(values: Values, cwd: string): JobInput {
  const url = str(values, "target");
  if (!url) throw new UsageError("jobs create needs --target <url> (or --file <jobs.json>)");
  const retryInput = retry(values);
  return defined({
    ...commonFields(values),
    schedule: schedule(values),
    target: target(values, cwd, url),
    retry: retryInput && defined(retryInput),
  }) as JobInput;
}

/**
 * A change from flags. Target flags without --target are merged into `current` (the job as read),
 * because a change replaces the whole target. `--now` clears the schedule (run once now).
 */
export function patchFromFlags(
  values: Values,
  cwd: string,
  current: JobInput["target"] | undefined,
): JobPatch {
  const patch: JobPatch = defined({ ...commonFields(values) });
  if (values["no-flow-key"] === true) {
    if (patch.flow_key !== undefined)
      throw new UsageError("give --flow-key or --no-flow-key, not both");
    patch.flow_key = null;
  }
  const next = schedule(values);
  if (values.now === true) {
    if (next) throw new UsageError("--now replaces the schedule: give no --cron, --at or --delay");
    patch.schedule = null;
  } else if (next) patch.schedule = next;
  if (TARGET_FLAGS.some((name) => values[name] !== undefined)) {
    // Only a webhook target is merged; another kind is replaced by the new webhook target.
    const base = current?.type === "http" ? current : undefined;
    const url = str(values, "target") ?? base?.url;
    if (!url) throw new UsageError("--target <url> is required to change the target");
    patch.target = { ...base, ...target(values, cwd, url) };
  }
  const retryPatch = retry(values);
  if (retryPatch) patch.retry = defined(retryPatch);
  return patch;
}

/**
 * Jobs in a file: a JSON array of job objects, `{ "jobs": [...] }` (the batch body), or JSON lines
 * (one job per line).
 */
export function jobsFromFile(path: string, cwd: string): JobInput[] {
  const text = readText(path, cwd);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text
      .split(/\r?\n/)
      .map((line, i) => ({ line: line.trim(), i }))
      .filter(({ line }) => line !== "")
      .map(({ line, i }) => {
        try {
          return JSON.parse(line);
        } catch (error) {
          throw new UsageError(`${path}:${i + 1} is not JSON: ${(error as Error).message}`);
        }
      });
  }
  const jobs =
    parsed && typeof parsed === "object" && !Array.isArray(parsed) && "jobs" in parsed
      ? (parsed as { jobs: unknown }).jobs
      : Array.isArray(parsed)
        ? parsed
        : [parsed];
  if (!Array.isArray(jobs)) throw new UsageError(`${path}: "jobs" must be an array`);
  jobs.forEach((job, i) => {
    if (!job || typeof job !== "object" || Array.isArray(job))
      throw new UsageError(`${path}: entry [${i}] is not a job object`);
  });
  return jobs as JobInput[];
}
