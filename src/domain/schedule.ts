/**
 * Schedules: when a job fires. All instants are UTC milliseconds; a time zone is used only to
 * evaluate cron expressions.
 *
 * DST rule: a local time skipped by a spring-forward runs once, shifted forward by the size of
 * the gap (02:30 becomes 03:30; in Australia/Lord_Howe's 30-minute gap 02:00 becomes 02:30 and
 * 02:15 becomes 02:45). All matches skipped by one gap collapse into one run, the first shifted;
 * when that lands on a real match it is the same run. A local time repeated by a fall-back runs
 * once, at its first instance, for expressions with a fixed hour (a number, list or range).
 * Expressions whose hour field starts with `*` (every hour, or every n hours) follow elapsed time
 * and fire in both repeated instances, as Vixie cron does. Asked from inside the repeat, after a
 * time's first instance, a fixed-hour expression fires at its second one (a job created then has
 * not seen the first).
 *
 * cron-parser only finds matching wall-clock times (evaluated in UTC, free of DST); mapping them
 * to instants is zoned-cron.ts, with offsets from Intl, so every answer is strictly after (or
 * before) its input and costs a bounded amount of work.
 */
import { parseWallCron } from "./cron-wall";
import { DEFAULTS, LIMITS } from "./limits";
import { fail } from "./problem";
import { canonicalTimeZone } from "./zone-names";
import { nextFireTime, previousFireTime } from "./zoned-cron";

export { canonicalTimeZone } from "./zone-names";

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

/**
 * Throws a 400 problem at `path` unless `timezone` is an accepted zone name: an IANA
 * Area/Location name in any case, or UTC (see zone-names.ts).
 */
export function assertTimeZone(timezone: string, path: string): void {
  if (canonicalTimeZone(timezone) === null) {
    throw fail.invalid(
      path,
      `unknown time zone "${timezone}"; use an IANA name such as Europe/Berlin, or UTC ` +
        "(not an abbreviation such as EST or an offset such as +02:00)",
    );
  }
}

/** Validates a cron schedule, naming the failing field. */
export function assertCron(expression: string, timezone: string, pathPrefix = "schedule"): void {
  assertTimeZone(timezone, `${pathPrefix}.timezone`);
  const cron = parseWallCron(expression, `${pathPrefix}.cron`);
  if (nextFireTime(cron, timezone, Date.now()) === null)
    throw fail.invalid(`${pathPrefix}.cron`, "the expression never fires");
}

/** The first fire time of `expression` strictly after `after`, or null when it never fires again. */
export function nextCronTime(expression: string, timezone: string, after: number): number | null {
  return nextFireTime(parseWallCron(expression), timezone, after);
}

/**
 * The last fire time of `expression` strictly before `before`, or null: the last time before
 * `before` of the sequence that nextCronTime walks (so a repeated local time counts once for a
 * fixed-hour expression, and a shifted spring-forward run counts).
 */
export function previousCronTime(
  expression: string,
  timezone: string,
  before: number,
): number | null {
  return previousFireTime(parseWallCron(expression), timezone, before);
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
