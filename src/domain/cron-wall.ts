/**
 * A cron expression evaluated on wall-clock time. cron-parser runs in UTC, where no day has a
 * DST change, so it only ever answers "the next/previous matching local date and time"; mapping
 * those to instants in a zone is zoned-cron.ts's job.
 */
import { type CronExpression, CronExpressionParser } from "cron-parser";
import { explainCronError } from "./cron-errors";
import { fail } from "./problem";

export interface WallCron {
  /** The first matching wall time strictly after `wall`, or null when there is none. */
  nextWall(wall: number): number | null;
  /** The last matching wall time strictly before `wall`, or null when there is none. */
  previousWall(wall: number): number | null;
  /**
   * Whether a repeated (fall-back) local time fires in both instances: true when the hour field
   * starts with `*` (every hour, or a step of it), like Vixie cron's HR_STAR; false for a fixed
   * hour, list or range.
   */
  readonly followsElapsedTime: boolean;
}

/** Parsing costs ~0.2 ms; a due job's expression is evaluated several times per round. */
const parsed = new Map<string, WallCron>();
const MAX_CACHED = 256;

/** Parses `expression` (5 fields minute first, 6 fields second first, or @daily etc.). */
export function parseWallCron(expression: string, path = "schedule.cron"): WallCron {
  const trimmed = expression.trim();
  const cached = parsed.get(trimmed);
  if (cached) return cached;
  const fields = trimmed.split(/\s+/);
  const predefined = trimmed.startsWith("@");
  if (!predefined && (fields.length < 5 || fields.length > 6)) {
    throw fail.invalid(
      path,
      `expected 5 fields (minute first) or 6 (second first), got ${fields.length}`,
    );
  }
  let iterator: CronExpression;
  try {
    // `H` (a hashed value) is derived from the expression itself: a random seed would move a
    // job's time whenever its expression is parsed again (a restart, a cache eviction).
    iterator = CronExpressionParser.parse(trimmed, { tz: "UTC", strict: false, hashSeed: trimmed });
  } catch (error) {
    throw fail.invalid(path, explainCronError(trimmed, (error as Error).message));
  }
  const hourField = predefined ? PREDEFINED_HOUR_FIELDS[trimmed] : fields[fields.length - 4];
  const cron = wallCron(iterator, hourField?.startsWith("*") ?? false);
  if (parsed.size >= MAX_CACHED) parsed.clear();
  parsed.set(trimmed, cron);
  return cron;
}

/** The hour field of cron-parser's predefined expressions whose hour is not fixed. */
const PREDEFINED_HOUR_FIELDS: Record<string, string> = {
  "@hourly": "*",
  "@minutely": "*",
  "@secondly": "*",
};

function wallCron(iterator: CronExpression, followsElapsedTime: boolean): WallCron {
  const search = (wall: number, forward: boolean): number | null => {
    try {
      iterator.reset(new Date(wall));
      const found = (forward ? iterator.next() : iterator.prev()).getTime();
      // cron-parser is strict in both directions; a violation would make callers loop.
      return (forward ? found > wall : found < wall) ? found : null;
    } catch {
      // Out of range, or no match within cron-parser's own step limit: never fires.
      return null;
    }
  };
  return {
    nextWall: (wall) => search(wall, true),
    previousWall: (wall) => search(wall, false),
    followsElapsedTime,
  };
}
