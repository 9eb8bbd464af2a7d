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

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof SchedulerProblem) return error.status < 500 ? EXIT.refused : EXIT.failed;
  return EXIT.failed;
}

/** The worse of two exit codes: a bulk command exits with its worst item's (failed over refused). */
export function worse(a: ExitCode, b: ExitCode): ExitCode {
  return Math.max(a, b) as ExitCode;
}

/** One error as text: the status, the detail, and every failing field on its own line. */
export function describeError(error: unknown): string {
  if (error instanceof SchedulerProblem) {
    const lines = [`${error.request}: ${error.status} ${error.title}: ${error.detail}`];
    for (const field of error.errors) lines.push(`  ${field.path}: ${field.message}`);
    if (error.retryAfter !== undefined) lines.push(`  retry after ${error.retryAfter} s`);
    return lines.join("\n");
  }
  if (error instanceof SchedulerConnectionError) return error.message;
  if (error instanceof UsageError) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The error as JSON (`--json`): the problem document, or `{ "error": message }`. */
export function errorJson(error: unknown): unknown {
  if (error instanceof SchedulerProblem) return { ...error.toJSON(), request: error.request };
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
