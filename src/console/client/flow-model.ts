/**
 * Flow limits in the console: the limits form's state and the body it sends (`{max_running,
 * rate}`), where the API's messages go, and limits and usage in words. The API does the
 * validating; the form only reports what it cannot even send (text that is not a number).
 */
import type {
  Destination,
  FieldError,
  FlowKey,
  FlowLimits,
  FlowLimitsInput,
  WaitingReason,
} from "../../client/index.ts";

export type FlowUsage = FlowKey | Destination;

export interface LimitsForm {
  /** The key or host (new limits only; an existing one's name is fixed). */
  name: string;
  maxRunning: string;
  rateLimit: string;
  periodSeconds: string;
  burst: string;
}

export function emptyLimitsForm(name = ""): LimitsForm {
  return { name, maxRunning: "", rateLimit: "", periodSeconds: "1", burst: "" };
}

/** The form of limits already set (null: none yet). */
export function limitsFormOf(name: string, limits: FlowLimits | null | undefined): LimitsForm {
  const form = emptyLimitsForm(name);
  if (!limits) return form;
  return {
    name,
    maxRunning: limits.max_running === undefined ? "" : String(limits.max_running),
    rateLimit: limits.rate ? String(limits.rate.limit) : "",
    periodSeconds: limits.rate ? String(limits.rate.period_seconds) : "1",
    burst: limits.rate?.burst === undefined ? "" : String(limits.rate.burst),
  };
}

/** Undefined for an empty field; NaN for text that is not a number. */
function numberOf(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : Number.NaN;
}

/**
 * The body of `PUT /v1/flow-keys/{key}` (or a destination's, or a tenant's default): the running
 * limit when given, a rate when its limit or burst is given. Ranges are the API's to judge.
 */
export function buildLimits(form: LimitsForm): { limits: FlowLimitsInput; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const read = (text: string, path: string) => {
    const n = numberOf(text);
    if (n !== undefined && Number.isNaN(n)) {
      errors.push({ path, message: "must be a number" });
      return undefined;
    }
    return n;
  };
  const maxRunning = read(form.maxRunning, "max_running");
  const limit = read(form.rateLimit, "rate.limit");
  const period = read(form.periodSeconds, "rate.period_seconds");
  const burst = read(form.burst, "rate.burst");
  const wantsRate = form.rateLimit.trim() !== "" || form.burst.trim() !== "";
  const limits = {
    ...(maxRunning === undefined ? {} : { max_running: maxRunning }),
    ...(wantsRate
      ? {
          rate: {
            ...(limit === undefined ? {} : { limit }),
            ...(period === undefined ? {} : { period_seconds: period }),
            ...(burst === undefined ? {} : { burst }),
          },
        }
      : {}),
  } as FlowLimitsInput;
  return { limits, errors };
}

/** Which control of the limits form (ids `${prefix}-…`) an API path belongs to. */
const FIELDS: [string, string][] = [
  ["key", "name"],
  ["host", "name"],
  ["max_running", "max-running"],
  ["rate.limit", "rate-limit"],
  ["rate.period_seconds", "period"],
  ["rate.burst", "burst"],
  ["rate", "rate-limit"],
];

/**
 * Messages by control (`${prefix}-max-running`, …) and those no control owns, such as "give
 * max_running, rate or both" (shown above the fields). `strip` drops a leading path, e.g.
 * `default_flow_limits` of a tenant's PATCH.
 */
export function placeLimitErrors(
  errors: FieldError[],
  prefix: string,
  strip = "",
): { byField: Record<string, string[]>; unplaced: string[] } {
  const byField: Record<string, string[]> = {};
  const unplaced: string[] = [];
  for (const error of errors) {
    const path =
      strip && error.path.startsWith(`${strip}.`) ? error.path.slice(strip.length + 1) : error.path;
    const entry = FIELDS.find(([p]) => path === p || path.startsWith(`${p}.`));
    if (entry) {
      const id = `${prefix}-${entry[1]}`;
      byField[id] = [...(byField[id] ?? []), error.message];
    } else
      unplaced.push(
        path === "(body)" || path === strip ? error.message : `${path}: ${error.message}`,
      );
  }
  return { byField, unplaced };
}

/** `at most 2 running · 10 per 1 s, burst 10`; "none" without limits. */
export function limitsText(limits: FlowLimits | null | undefined): string {
  if (!limits) return "none";
  const parts: string[] = [];
  if (limits.max_running !== undefined) parts.push(`at most ${limits.max_running} running`);
  if (limits.rate)
    parts.push(
      `${limits.rate.limit} per ${periodText(limits.rate.period_seconds)}, burst ${limits.rate.burst ?? limits.rate.limit}`,
    );
  return parts.join(" · ");
}

/** `1 s`, `30 s`, `1 min`, `1 h`. */
export function periodText(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Where a key's limits come from. */
export function limitsSource(usage: FlowUsage): "own" | "default" | "none" {
  if (usage.own_limits) return "own";
  return usage.limits ? "default" : "none";
}

/** A run's waiting reason as a sentence about what holds it. */
export function waitingText(reason: WaitingReason, flowKey: string | null): string {
  switch (reason) {
    case "flow_key":
      return `its flow key ${flowKey ?? ""} is at its limits`.replace("  ", " ");
    case "destination":
      return "its destination host is at its limits";
    case "tenant_cap":
      return "the tenant's runs in flight are at its cap";
  }
}

/** The short form for tables. */
export const WAITING_SHORT: Record<WaitingReason, string> = {
  flow_key: "flow key",
  destination: "destination",
  tenant_cap: "tenant cap",
};
