/** The shape of a CLI command and the helpers commands share. */
import type { SchedulerClient } from "../src/client/index.ts";
import type { Auth } from "./config.ts";
import { type ExitCode, type Streams, UsageError } from "./output.ts";
import { Progress } from "./progress.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Shown in help, e.g. `<seconds>`. */
  value?: string;
  description: string;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Context {
  streams: Streams;
  env: Record<string, string | undefined>;
  cwd: string;
  /** `--json`: stdout carries exactly one JSON document. */
  json: boolean;
  /** `--field <path>`: stdout carries only this field of the answer; the text for people goes to stderr. */
  field?: string | undefined;
  /** The scheduler's address (for links such as the console's page of a run). */
  baseUrl: string;
  values: Values;
  positionals: string[];
  client: SchedulerClient;
  /** Prints `data` as JSON with --json, else `human` (text, or a function producing it). */
  print(data: unknown, human: string | (() => string)): void;
  /** A line for people on stderr (never with --json, never on stdout). */
  note(text: string): void;
  progress(total: number, label: string): Progress;
}

export interface Command {
  /** `jobs create` */
  name: string;
  /** Positional arguments in the usage line, e.g. `<id>...`. */
  args?: string;
  summary: string;
  /** Extra help text: examples, file formats. */
  help?: string;
  options?: Record<string, OptionSpec>;
  /** Which token the command needs; a function when a flag decides (`metrics --admin`). */
  auth: Auth | ((values: Values) => Auth);
  run(ctx: Context): Promise<ExitCode | undefined>;
}

/**
 * The value at a dotted path (`id`, `last_run.id`, `data.0.id`) of an answer; undefined when absent.
 */
export function fieldOf(data: unknown, path: string): unknown {
  let value: unknown = data;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function makeContext(base: Omit<Context, "print" | "note" | "progress">): Context {
  const { streams, json, field } = base;
  return {
    ...base,
    print(data, human) {
      if (json) {
        streams.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
        return;
      }
      const text = typeof human === "function" ? human() : human;
      if (field === undefined) {
        if (text) streams.stdout.write(`${text}\n`);
        return;
      }
      // A person still sees everything (a secret shown once among it); a script gets one value.
      if (text) streams.stderr.write(`${text}\n`);
      const value = fieldOf(data, field);
      if (value === undefined || value === null)
        throw new UsageError(
          `the answer has no ${field}${data && typeof data === "object" ? ` (its fields: ${Object.keys(data).join(", ")})` : ""}`,
        );
      streams.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value)}\n`);
    },
    note(text) {
      if (!json) streams.stderr.write(`${text}\n`);
    },
    progress(total, label) {
      return new Progress(streams.stderr, total, label);
    },
  };
}

export function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

export function list(values: Values, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
}

export function flag(values: Values, name: string): boolean {
  return values[name] === true;
}

/** An integer option within bounds, or undefined when absent. */
export function int(
  values: Values,
  name: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (
    !Number.isInteger(value) ||
    (bounds.min ?? -Infinity) > value ||
    value > (bounds.max ?? Infinity)
  )
    throw new UsageError(
      `--${name} must be an integer${bounds.min !== undefined ? ` from ${bounds.min}` : ""}${bounds.max !== undefined ? ` to ${bounds.max}` : ""}, not ${text}`,
    );
  return value;
}

/** A number option (fractions allowed), or undefined when absent. */
export function num(values: Values, name: string): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, not ${text}`);
  return value;
}

/** One of `choices`, or undefined when absent. */
export function choice<T extends string>(
  values: Values,
  name: string,
  choices: readonly T[],
): T | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text))
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, not ${text}`);
  return text as T;
}

/** The positional arguments, at least one (`what` names them in the error). */
export function ids(ctx: Context, what: string): string[] {
  if (ctx.positionals.length === 0) throw new UsageError(`give at least one ${what}`);
  return ctx.positionals;
}

/** Exactly `count` positional arguments. */
export function args(ctx: Context, names: string[]): string[] {
  if (ctx.positionals.length !== names.length)
    throw new UsageError(
      `expected ${names.map((n) => `<${n}>`).join(" ")}, got ${ctx.positionals.length ? ctx.positionals.join(" ") : "nothing"}`,
    );
  return ctx.positionals;
}

/** `--limit`, `--cursor`, `--all` of every list command. */
export const PAGING: Record<string, OptionSpec> = {
  limit: { type: "string", value: "<n>", description: "items per page (1 to 200)" },
  cursor: { type: "string", value: "<cursor>", description: "next_cursor of the previous page" },
  all: { type: "boolean", description: "follow next_cursor to the end" },
};

/** `--concurrency` of bulk commands. */
export const CONCURRENCY: Record<string, OptionSpec> = {
  concurrency: {
    type: "string",
    value: "<n>",
    description: "requests at a time for several ids (default 4)",
  },
};
