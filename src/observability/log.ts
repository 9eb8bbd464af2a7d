/**
 * Structured logs: one JSON object per line, so Workers Logs (`[observability]` in wrangler.toml)
 * indexes every field. Each line names its event and, where they exist, the tenant, job, run and
 * attempt it is about.
 *
 * Security: callers pass only ids, counts, statuses, times and error messages. Tokens, their
 * secrets, signing secrets, Authorization headers and webhook bodies or headers never go into a
 * field; `redact` below is a second line of defence for values that might carry one by accident.
 */

export type LogLevel = "debug" | "info" | "error";

/**
 * Whether `debug` lines are written. The per-run success path (run created, dispatched, attempt
 * started, run succeeded) logs at debug: at thousands of runs a second those lines cost more CPU
 * than the scheduling itself, and `attempt.finished` already records every attempt at info.
 * Set the `LOG_LEVEL` var to `debug` to get them.
 */
let debugEnabled = false;

/** Applies the `LOG_LEVEL` var (`debug` or `info`); called where a request or alarm begins. */
export function configureLogging(level: string | undefined): void {
  debugEnabled = level === "debug";
}

/** Fields a line may carry; ids are snake_case like the wire. */
export interface LogFields {
  tenant_id?: string;
  job_id?: string;
  run_id?: string;
  attempt?: number;
  [field: string]: unknown;
}

/** Anything shaped like a token (`sched.`), a signing secret (`whsec_`) or a bearer header. */
const SECRET_PATTERN = /(sched\.[^\s"',;]+|whsec_[A-Za-z0-9+/=]+|Bearer\s+\S+)/g;

function redact(value: unknown): unknown {
  if (typeof value === "string") return value.replace(SECRET_PATTERN, "[redacted]");
  if (value instanceof Error) return redact(value.message);
  return value;
}

/** The JSON line of one event (exported for tests and for callers that batch lines). */
export function formatLine(level: LogLevel, event: string, fields: LogFields, now: Date): string {
  const line: Record<string, unknown> = { time: now.toISOString(), level, event };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) line[key] = redact(value);
  }
  return JSON.stringify(line);
}

/** Writes one debug line (console.log) when LOG_LEVEL is debug. */
export function logDebug(event: string, fields: LogFields = {}): void {
  if (debugEnabled) console.log(formatLine("debug", event, fields, new Date()));
}

/** Writes one info line (console.log). */
export function log(event: string, fields: LogFields = {}): void {
  console.log(formatLine("info", event, fields, new Date()));
}

/** Writes one error line (console.error). `error` may be anything thrown; only its message is kept. */
export function logError(event: string, fields: LogFields = {}, error?: unknown): void {
  const withError = error === undefined ? fields : { ...fields, error: errorMessage(error) };
  console.error(formatLine("error", event, withError, new Date()));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
