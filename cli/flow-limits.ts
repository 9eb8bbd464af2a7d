/**
 * Flow limits on the command line: `--max-running 2 --rate 10/1s --burst 10` to the API's
 * `{max_running, rate: {limit, period_seconds, burst}}`, and limits and usage back into words.
 */
import type { Destination, FlowKey, FlowLimits, FlowRate } from "../src/client/index.ts";
import { type OptionSpec, str, type Values } from "./command.ts";
import { UsageError } from "./output.ts";

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/**
 * `10/1s`, `10/s`, `600/1m`, `5/30` (seconds) as a rate's limit and period. Only the syntax is
 * checked here; the API checks the ranges (1 to 100,000 per 1 s to 1 h) and names the field.
 */
export function parseRate(
  text: string,
  flagName: string,
): { limit: number; period_seconds: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)?\s*(s|m|h)?\s*$/.exec(text);
  if (!match || (match[2] === undefined && match[3] === undefined))
    throw new UsageError(
      `--${flagName} must be LIMIT/PERIOD, e.g. 10/1s, 100/s, 600/1m or 5/30 (seconds), not ${text}`,
    );
  const count = match[2] === undefined ? 1 : Number(match[2]);
  const unit = (match[3] ?? "s") as keyof typeof UNIT_SECONDS;
  return { limit: Number(match[1]), period_seconds: count * UNIT_SECONDS[unit] };
}

/** A period as the flags take it: `1s`, `30s`, `1m`, `1h`. */
export function periodText(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function positiveInt(text: string, flagName: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value))
    throw new UsageError(`--${flagName} must be a whole number, not ${text}`);
  return value;
}

/** The limit flags, named with `prefix` (`default-` for a tenant's default). */
export function limitOptions(prefix = "", whose = "the key"): Record<string, OptionSpec> {
  return {
    [`${prefix}max-running`]: {
      type: "string",
      value: "<n>",
      description: `runs of ${whose} queued or running at once (1 to 10,000)`,
    },
    [`${prefix}rate`]: {
      type: "string",
      value: "<n/period>",
      description: `runs of ${whose} started per period: 10/1s, 600/1m (1 to 100,000 per 1 s to 1 h)`,
    },
    [`${prefix}burst`]: {
      type: "string",
      value: "<n>",
      description:
        "with --rate: runs that may start at once after a quiet time (default the limit)",
    },
  };
}

/** The limits the flags give, or undefined when none of them is given. */
export function limitsFromFlags(values: Values, prefix = ""): FlowLimits | undefined {
  const maxRunning = str(values, `${prefix}max-running`);
  const rate = str(values, `${prefix}rate`);
  const burst = str(values, `${prefix}burst`);
  if (burst !== undefined && rate === undefined)
    throw new UsageError(`--${prefix}burst goes with --${prefix}rate`);
  if (maxRunning === undefined && rate === undefined) return undefined;
  const parsedRate: FlowRate | undefined =
    rate === undefined
      ? undefined
      : {
          ...parseRate(rate, `${prefix}rate`),
          ...(burst === undefined ? {} : { burst: positiveInt(burst, `${prefix}burst`) }),
        };
  return {
    ...(maxRunning === undefined
      ? {}
      : { max_running: positiveInt(maxRunning, `${prefix}max-running`) }),
    ...(parsedRate ? { rate: parsedRate } : {}),
  };
}

/** `max 2 running, 10/1s burst 10`; `none` for no limits. */
export function limitsText(limits: FlowLimits | null | undefined): string {
  if (!limits) return "none";
  const parts: string[] = [];
  if (limits.max_running !== undefined) parts.push(`max ${limits.max_running} running`);
  if (limits.rate)
    parts.push(
      `${limits.rate.limit}/${periodText(limits.rate.period_seconds)} burst ${limits.rate.burst ?? limits.rate.limit}`,
    );
  return parts.join(", ");
}

/** Where a key's limits come from: its own, the tenant's default, or nowhere. */
export function limitsSource(usage: FlowKey | Destination): string {
  if (usage.own_limits) return "own";
  return usage.limits ? "tenant default" : "-";
}

/** `1 of 2` when a running limit applies, else the count. */
export function runningText(usage: FlowKey | Destination): string {
  const max = usage.limits?.max_running;
  return max === undefined ? String(usage.running) : `${usage.running} of ${max}`;
}

export function tokensText(usage: FlowKey | Destination): string {
  const rate = usage.limits?.rate;
  if (usage.rate_tokens === null || !rate) return "-";
  return `${usage.rate_tokens} of ${rate.burst ?? rate.limit}`;
}
