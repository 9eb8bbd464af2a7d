/** What the CLI prints: aligned tables and key/value blocks for people, JSON for scripts. */
import { SchedulerConnectionError, SchedulerProblem } from "../src/client/index.ts";

export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/** Exit codes scripts can rely on (README, "CLI"). */
export const EXIT = {
  ok: 0,
  /** Unknown command, bad flags, an unreadable file, no token. */
  usage: 1,
  /** The API refused the request (4xx problem); nothing was changed by that request. */
  refused: 2,
  /** The API failed (5xx) or did not answer. */
  failed: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake in how the CLI was called (exit 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `--wait` gave up before the run finished (exit 3, like a scheduler that did not answer). */
export class WaitTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WaitTimeout";
  }
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof SchedulerProblem) return error.status < 500 ? EXIT.refused : EXIT.failed;
  return EXIT.failed;
}

/** The worse of two exit codes: a bulk command exits with its worst item's (failed over refused). */
export function worse(a: ExitCode, b: ExitCode): ExitCode {
  return Math.max(a, b) as ExitCode;
}

/**
 * One error as text: the status, the detail, and every failing field on its own line. A detail
 * that only lists the fields (as a validation problem's does) is not printed again above them.
 * `baseUrl` is where the CLI sent the request, named when nothing answered.
 */
export function describeError(error: unknown, baseUrl?: string): string {
  if (error instanceof SchedulerProblem) {
    const fieldLines = error.errors.map((field) => `${field.path}: ${field.message}`);
    const detailIsFields =
      fieldLines.length > 0 && fieldLines.every((line) => error.detail.includes(line));
    const lines = [
      `${error.request}: ${error.status} ${error.title}${detailIsFields ? "" : `: ${error.detail}`}`,
    ];
    for (const line of fieldLines) lines.push(`  ${line}`);
    if (error.retryAfter !== undefined) lines.push(`  retry after ${error.retryAfter} s`);
    return lines.join("\n");
  }
  if (error instanceof SchedulerConnectionError && baseUrl !== undefined)
    return describeNoAnswer(error, baseUrl);
  if (error instanceof SchedulerConnectionError) return error.message;
  if (error instanceof UsageError || error instanceof WaitTimeout) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Why a connection failed, in words: Node's fetch hides the reason in `cause.cause.code`. */
export function connectionReason(error: unknown): string {
  let cause: unknown = error instanceof SchedulerConnectionError ? error.cause : error;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (code === "ECONNREFUSED") return "connection refused: nothing listens there";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name does not resolve";
    if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT")
      return "the connection timed out";
    if (code === "ECONNRESET") return "the connection was reset";
    if (typeof code === "string" && /CERT|TLS|SSL/.test(code)) return `TLS: ${cause.message}`;
    if (!cause.cause) return cause.message;
    cause = cause.cause;
  }
  return String(cause);
}

function isLocalUrl(baseUrl: string): boolean {
  try {
    return ["localhost", "127.0.0.1", "[::1]"].includes(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}

/** No answer at all: which address was tried, why it failed, and how to start or point at one. */
export function describeNoAnswer(error: SchedulerConnectionError, baseUrl: string): string {
  const hint = isLocalUrl(baseUrl)
    ? "Is the scheduler running? Start it with `npm run dev` in the project directory, or point the CLI at another one with SCHEDULER_URL (or --url)."
    : "Check that the address is right and reachable, or point the CLI at another scheduler with SCHEDULER_URL (or --url).";
  return `no answer from ${baseUrl} (${error.request}: ${connectionReason(error)}).\n${hint}`;
}

/** The error as JSON (`--json`): the problem document, or `{ "error": message }`. */
export function errorJson(error: unknown, baseUrl?: string): unknown {
  if (error instanceof SchedulerProblem) return { ...error.toJSON(), request: error.request };
  if (error instanceof SchedulerConnectionError && baseUrl !== undefined)
    return { error: describeNoAnswer(error, baseUrl), url: baseUrl };
  return { error: error instanceof Error ? error.message : String(error) };
}

/** Trims an ISO time to seconds: `2026-11-24T02:00:00Z`. */
export function time(value: string | null | undefined): string {
  if (!value) return "-";
  return value.replace(/\.\d{3}Z$/, "Z");
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export type Column<T> = [header: string, value: (row: T) => unknown];

/** An aligned table; cells are cut at `max` characters so one long URL cannot wrap every row. */
export function table<T>(rows: T[], columns: Column<T>[], max = 48): string {
  const cells = rows.map((row) =>
    columns.map(([, value]) => {
      const text = cell(value(row)).replace(/\s+/g, " ");
      return text.length > max ? `${text.slice(0, max - 1)}…` : text;
    }),
  );
  const headers = columns.map(([header]) => header);
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...cells.map((row) => (row[i] ?? "").length)),
  );
  const line = (parts: string[]) =>
    parts
      .map((part, i) => (i === parts.length - 1 ? part : part.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...cells.map(line)].join("\n");
}

/** `key  value` lines, keys aligned. */
export function fields(entries: [string, unknown][]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${cell(value)}`).join("\n");
}
