/** Helpers for the schedule tests: instants as ISO strings, fire-time lists, local dates, problems. */
import { type Problem, ProblemError } from "../../src/domain/problem";
import { previewFireTimes } from "../../src/domain/schedule";

export const ms = (iso: string): number => Date.parse(iso);
export const iso = (t: number | null): string | null =>
  t === null ? null : new Date(t).toISOString();

/** The fire times of `cron` in `timezone`, starting after `from`, as ISO strings. */
export function fireTimes(cron: string, timezone: string, from: string, count: number): string[] {
  return previewFireTimes({ cron, timezone }, ms(from), count).map((t) =>
    new Date(t).toISOString(),
  );
}

/** The local calendar date of an ISO instant in `timezone` (YYYY-MM-DD). */
export function localDate(instant: string, timezone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(ms(instant));
}

export function problemOf(fn: () => unknown): Problem {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProblemError) return error.problem;
    throw error;
  }
  throw new Error("expected a ProblemError");
}
