/**
 * Schedules: when a job fires. All instants are UTC milliseconds; a time zone is used only to
 * evaluate cron expressions.
 *
 * DST rule (cron-parser's, which we follow and test): a local time skipped by a spring-forward
 * runs once, shifted forward by the size of the gap (02:30 becomes 03:30); a local time repeated
 * by a fall-back runs once, at its first instance, for expressions with a fixed hour. Expressions
 * whose hour field is `*` follow elapsed time and fire in both repeated hours, as Vixie cron does.
 */
import { CronExpressionParser } from "cron-parser";
import { DEFAULTS, LIMITS } from "./limits";
import { fail } from "./problem";

/** Exactly one of `at`, `delay_seconds` or `cron` is set (the wire schema enforces it). */
export interface Schedule {
  at?: string | undefined;
  delay_seconds?: number | undefined;
  cron?: string | undefined;
  timezone?: string | undefined;
}

export function isCron(
  schedule: Schedule | undefined | null,
): schedule is Schedule & { cron: string } {
  return schedule?.cron !== undefined;
}

/** Throws a 400 problem at `path` unless `timezone` is an IANA zone this runtime knows. */
export function assertTimeZone(timezone: string, path: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw fail.invalid(
      path,
      `unknown time zone "${timezone}"; use an IANA name such as Europe/Berlin`,
    );
  }
}

function cronIterator(expression: string, timezone: string, after: number, path = "schedule.cron") {
  const trimmed = expression.trim();
  const fields = trimmed.split(/\s+/).length;
  if (!trimmed.startsWith("@") && (fields < 5 || fields > 6)) {
    throw fail.invalid(path, `expected 5 fields (minute first) or 6 (second first), got ${fields}`);
  }
  try {
    return CronExpressionParser.parse(trimmed, {
      currentDate: new Date(after),
      tz: timezone,
      strict: false,
    });
  } catch (error) {
    throw fail.invalid(path, `invalid cron expression: ${(error as Error).message}`);
  }
}

/** Validates a cron schedule, naming the failing field. */
export function assertCron(expression: string, timezone: string, pathPrefix = "schedule"): void {
  assertTimeZone(timezone, `${pathPrefix}.timezone`);
  const iterator = cronIterator(expression, timezone, Date.now(), `${pathPrefix}.cron`);
  if (!iterator.hasNext()) throw fail.invalid(`${pathPrefix}.cron`, "the expression never fires");
}

/** The first fire time of `expression` strictly after `after`, or null when it never fires again. */
export function nextCronTime(expression: string, timezone: string, after: number): number | null {
  // cron-parser can fail near unusual DST shifts (30-minute zones such as Australia/Lord_Howe);
  // searching again from an hour later finds the next fire time past the transition.
  for (let hours = 0; hours < 48; hours++) {
    const iterator = cronIterator(expression, timezone, after + hours * 3_600_000);
    try {
      return iterator.next().getTime();
    } catch {
      // try from the next hour
    }
  }
  return null;
}

/** Longer than any DST fall-back, so a repeat that prev() returned lies within it. */
const FALL_BACK_WINDOW_MS = 3 * 3600 * 1000;

/**
 * The last fire time of `expression` strictly before `before`, or null. cron-parser's prev()
 * disagrees with its next() around DST changes (it misses the shifted spring-forward run and
 * returns the second instance of a repeated time), so its answer is only a starting point: the
 * result is the last time before `before` of the sequence that nextCronTime walks.
 */
export function previousCronTime(
  expression: string,
  timezone: string,
  before: number,
): number | null {
  const iterator = cronIterator(expression, timezone, before);
  if (!iterator.hasPrev()) return null;
  let previous: number | null = iterator.prev().getTime();
  let from = previous;
  // Just after a fall-back, prev() may return a repeat that next() skips; walk from before the change.
  const fallBack = fallBackWithin(timezone, previous - FALL_BACK_WINDOW_MS, previous);
  if (fallBack !== null) {
    const beforeChange = cronIterator(expression, timezone, fallBack);
    previous = beforeChange.hasPrev() ? beforeChange.prev().getTime() : null;
    from = fallBack - 1;
  }
  for (
    let next = nextCronTime(expression, timezone, from);
    next !== null && next < before;
    next = nextCronTime(expression, timezone, next)
  ) {
    previous = next;
  }
  return previous;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC in `timezone` at instant `at`. */
function utcOffsetMinutes(timezone: string, at: number): number {
  let format = offsetFormats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: timezone, timeZoneName: "longOffset" });
    offsetFormats.set(timezone, format);
  }
  const name = format.formatToParts(at).find((part) => part.type === "timeZoneName")?.value ?? "";
  const match = /([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

/** The first instant of a UTC-offset decrease in (`from`, `to`], found by bisection, or null. */
function fallBackWithin(timezone: string, from: number, to: number): number | null {
  const earlier = utcOffsetMinutes(timezone, from);
  const later = utcOffsetMinutes(timezone, to);
  if (later >= earlier) return null;
  let lo = from;
  let hi = to;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (utcOffsetMinutes(timezone, mid) === later) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The first fire time of a new or changed schedule, evaluated at `now`. An absent schedule means
 * "run now". Throws 400 problems for instants too far in the past or future.
 */
export function firstFireTime(
  schedule: Schedule | undefined,
  now: number,
  pathPrefix = "schedule",
): number | null {
  if (!schedule) return now;
  if (schedule.at !== undefined) {
    const at = Date.parse(schedule.at);
    if (at < now - LIMITS.maxAtPastSeconds * 1000) {
      throw fail.invalid(
        `${pathPrefix}.at`,
        `is more than ${LIMITS.maxAtPastSeconds} seconds in the past`,
      );
    }
    if (at > now + LIMITS.maxScheduleAheadSeconds * 1000) {
      throw fail.invalid(
        `${pathPrefix}.at`,
        `is more than ${LIMITS.maxScheduleAheadSeconds} seconds ahead`,
      );
    }
    return Math.max(at, now);
  }
  if (schedule.delay_seconds !== undefined) return now + schedule.delay_seconds * 1000;
  if (schedule.cron === undefined) return now;
  const timezone = schedule.timezone ?? DEFAULTS.timezone;
  assertTimeZone(timezone, `${pathPrefix}.timezone`);
  // Fire times are whole seconds, so the first one is strictly after the current second.
  return nextCronTime(schedule.cron, timezone, now);
}

/** The next `count` fire times of a schedule from `now` (one for one-time schedules). */
export function previewFireTimes(
  schedule: Schedule | undefined,
  now: number,
  count: number,
): number[] {
  const first = firstFireTime(schedule, now);
  if (first === null) return [];
  if (!isCron(schedule)) return [first];
  const timezone = schedule.timezone ?? DEFAULTS.timezone;
  const times = [first];
  while (times.length < count) {
    const next = nextCronTime(schedule.cron, timezone, times[times.length - 1] as number);
    if (next === null) break;
    times.push(next);
  }
  return times;
}

/** The shortest gap in seconds between the next `samples` fire times (for tier minimums). */
export function shortestCronIntervalSeconds(
  expression: string,
  timezone: string,
  now: number,
  samples = 20,
): number {
  const times = previewFireTimes({ cron: expression, timezone }, now, samples);
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) {
    shortest = Math.min(shortest, ((times[i] as number) - (times[i - 1] as number)) / 1000);
  }
  return shortest;
}
