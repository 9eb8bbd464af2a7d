/**
 * Property tests of cron evaluation around DST changes: random expressions, zones and instants
 * from a seeded PRNG (reproducible), checked against an independent oracle (a small cron field
 * matcher and Intl-only zone helpers written here, not cron-parser or src/domain/zoned-time).
 */
import { describe, expect, it } from "vitest";
import { nextCronTime, previousCronTime } from "../src/domain/schedule";

const ZONES: [zone: string, from: string, to: string][] = [
  ["Australia/Lord_Howe", "2025-01-01", "2028-01-01"], // 30-minute shifts
  ["Pacific/Chatham", "2025-01-01", "2028-01-01"], // +12:45 / +13:45, changes at 02:45 and 03:45
  ["America/New_York", "2025-01-01", "2028-01-01"],
  ["Europe/Berlin", "2025-01-01", "2028-01-01"],
  ["Europe/London", "2025-01-01", "2028-01-01"],
  ["America/Sao_Paulo", "2016-01-01", "2020-01-01"], // midnight changes until 2019
  ["Asia/Kathmandu", "1985-06-01", "1986-06-01"], // +05:30 → +05:45 at midnight: a 15-minute gap
  ["Africa/Casablanca", "2025-01-01", "2028-01-01"], // Ramadan changes
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// --- Zone facts from Intl alone -------------------------------------------------------------

const fieldFormats = new Map<string, Intl.DateTimeFormat>();

/** Local calendar fields of `instant` in `zone`. */
function localFields(zone: string, instant: number) {
  let format = fieldFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    fieldFormats.set(zone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) parts[part.type] = Number(part.value);
  const { year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0 } = parts;
  return { year, month, day, hour, minute, second };
}

type Fields = ReturnType<typeof localFields>;

/** The UTC offset of `zone` at `instant`, from its local fields. */
function offsetOf(zone: string, instant: number): number {
  const f = localFields(zone, instant);
  const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/** The local fields of a wall time given as UTC milliseconds. */
function fieldsOfWall(wall: number): Fields {
  const d = new Date(wall);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

interface Change {
  at: number;
  before: number;
  after: number;
}

const iso = (t: number): string => new Date(t).toISOString();

/** Every offset change of `zone` between two dates, by a daily scan and bisection. */
function changesOf(zone: string, from: string, to: string): Change[] {
  const changes: Change[] = [];
  const end = Date.parse(to);
  for (let t = Date.parse(from); t < end; t += DAY) {
    const before = offsetOf(zone, t);
    const after = offsetOf(zone, t + DAY);
    if (before === after) continue;
    let lo = t;
    let hi = t + DAY;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offsetOf(zone, mid) === after) hi = mid;
      else lo = mid;
    }
    changes.push({ at: hi, before, after });
  }
  return changes;
}

// --- An independent cron matcher -------------------------------------------------------------

type FieldName = "second" | "minute" | "hour" | "day" | "month" | "weekday";
const RANGES: Record<FieldName, [number, number]> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  day: [1, 31],
  month: [1, 12],
  weekday: [0, 7],
};

/** The values of one field: lists of `*`, `a`, `a-b`, each optionally stepped (`a/n` = a-max/n). */
function valuesOf(text: string, name: FieldName): Set<number> {
  const [min, max] = RANGES[name];
  const values = new Set<number>();
  for (const item of text.split(",")) {
    const [range = "", stepText] = item.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let [lo, hi] = [min, max];
    if (range !== "*") {
      const [a, b] = range.split("-").map(Number);
      lo = a as number;
      hi = b ?? (stepText === undefined ? lo : max);
    }
    for (let v = lo; v <= hi; v += step) values.add(name === "weekday" && v === 7 ? 0 : v);
  }
  return values;
}

interface Matcher {
  matches(fields: Fields): boolean;
  fixedHour: boolean;
}

function matcherOf(expression: string): Matcher {
  const texts = expression.split(" ");
  if (texts.length === 5) texts.unshift("0");
  const names: FieldName[] = ["second", "minute", "hour", "day", "month", "weekday"];
  const sets = names.map((name, i) => valuesOf(texts[i] as string, name));
  const [seconds, minutes, hours, days, months, weekdays] = sets as Set<number>[] as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const dayStar = texts[3] === "*";
  const weekdayStar = texts[5] === "*";
  return {
    fixedHour: !(texts[2] as string).startsWith("*"),
    matches(f) {
      const weekday = new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay();
      const dayOk = days.has(f.day);
      const weekdayOk = weekdays.has(weekday);
      // Day of month and day of week: either, when both are restricted (cron-parser and Vixie).
      const dateOk =
        dayStar && weekdayStar
          ? true
          : dayStar
            ? weekdayOk
            : weekdayStar
              ? dayOk
              : dayOk || weekdayOk;
      return (
        seconds.has(f.second) &&
        minutes.has(f.minute) &&
        hours.has(f.hour) &&
        months.has(f.month) &&
        dateOk
      );
    },
  };
}

// --- Random cases ----------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so every failure is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomExpression(random: () => number): string {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  const field = (lo: number, hi: number, star = 0.3): string => {
    if (random() < star) return "*";
    const a = int(lo, hi);
    const b = int(a, hi);
    return pick([
      `*/${int(1, 7)}`,
      `${a}`,
      `${a}-${b}`,
      `${a},${b !== a ? b : a === hi ? lo : hi}`,
      `${a}/${int(1, 20)}`,
      `${a}-${b}/${int(1, 4)}`,
    ]);
  };
  // Hours near the changes (they happen between 23:00 and 04:00) half of the time.
  const hour = random() < 0.5 ? field(0, 4, 0.4) : field(0, 23, 0.4);
  const fields = [
    field(0, 59, 0.2),
    hour,
    random() < 0.85 ? "*" : field(1, 28, 0),
    random() < 0.9 ? "*" : field(1, 12, 0),
    random() < 0.85 ? "*" : pick(["7", `${int(0, 6)}`, `${int(0, 2)}-${int(3, 6)}`, "1-5", "0,6"]),
  ];
  if (random() < 0.3) fields.unshift(field(0, 59, 0.3));
  return fields.join(" ");
}

const YEAR = 366 * DAY;
const zoneCases = ZONES.map(([zone, from, to]) => ({
  zone,
  from: Date.parse(from),
  to: Date.parse(to),
  // Fire times of sparse expressions fall well past the range of the instants.
  changes: changesOf(zone, iso(Date.parse(from) - YEAR), iso(Date.parse(to) + 3 * YEAR)),
}));

/** Whether `instant` is in the second pass of a fall-back (its local time was already shown). */
function inRepeat(changes: Change[], instant: number): boolean {
  return changes.some(
    (c) => c.after < c.before && c.at <= instant && instant < c.at + c.before - c.after,
  );
}

/** Whether `instant` is a skipped local time's shifted run whose original time matches. */
function isShiftedMatch(changes: Change[], matcher: Matcher, instant: number): boolean {
  return changes.some(
    (c) =>
      c.after > c.before &&
      c.at <= instant &&
      instant < c.at + c.after - c.before &&
      matcher.matches(fieldsOfWall(instant + c.before)),
  );
}

/** The one run of each gap: its first matching local time, shifted forward by the gap. */
function shiftedRuns(
  changes: Change[],
  matcher: Matcher,
  resolution: number,
  from: number,
  to: number,
): number[] {
  const runs: number[] = [];
  for (const c of changes) {
    if (c.at > to || c.at + c.after - c.before <= from) continue;
    for (let wall = c.at + c.before; wall < c.at + c.after; wall += resolution) {
      if (matcher.matches(fieldsOfWall(wall))) {
        runs.push(wall - c.before);
        break;
      }
    }
  }
  return runs;
}

describe("cron fire times in DST zones (property)", () => {
  it("finds every zone's changes in the tested ranges", () => {
    for (const { zone, changes } of zoneCases) expect(changes.length, zone).toBeGreaterThan(0);
  });

  it("fires strictly later each step, at local times that match, missing none", () => {
    const random = prng(20261025);
    const CASES = 4000;
    const STEPS = 3;
    for (let n = 0; n < CASES; n++) {
      const { zone, from, to, changes } = zoneCases[n % zoneCases.length] as (typeof zoneCases)[0];
      const expression = randomExpression(random);
      const matcher = matcherOf(expression);
      const change = changes[Math.floor(random() * changes.length)] as Change;
      // Half of the instants within three hours of a change, half anywhere in the range.
      let at =
        random() < 0.5
          ? change.at + Math.floor((random() - 0.5) * 6 * HOUR)
          : from + Math.floor(random() * (to - from));
      if (random() < 0.5) at = Math.floor(at / MINUTE) * MINUTE; // on a boundary, too
      const label = `#${n} ${expression} in ${zone} after ${new Date(at).toISOString()}`;
      const fires: number[] = [];
      for (let step = 0, after = at; step < STEPS; step++) {
        const fire = nextCronTime(expression, zone, after);
        expect(fire, label).not.toBeNull();
        const t = fire as number;
        expect(t, `${label}: step ${step} not after ${after}`).toBeGreaterThan(after);
        expect(t % 1000, label).toBe(0);
        const matches = matcher.matches(localFields(zone, t));
        expect(
          matches || isShiftedMatch(changes, matcher, t),
          `${label}: ${new Date(t).toISOString()} does not match`,
        ).toBe(true);
        if (matcher.fixedHour && inRepeat(changes, t) && !inRepeat(changes, after))
          throw new Error(`${label}: a fixed hour fired in the repeat at ${iso(t)}`);
        // Nothing in between was due: scan short spans second by second or minute by minute.
        const resolution = expression.split(" ").length === 6 ? 1000 : MINUTE;
        if (t - after <= 240 * resolution) {
          for (
            let s = Math.floor(after / resolution) * resolution + resolution;
            s < t;
            s += resolution
          ) {
            const skippable =
              matcher.fixedHour && inRepeat(changes, s) && !inRepeat(changes, after);
            if (!skippable && matcher.matches(localFields(zone, s)))
              throw new Error(
                `${label}: missed ${new Date(s).toISOString()} before ${new Date(t).toISOString()}`,
              );
          }
          for (const run of shiftedRuns(changes, matcher, resolution, after, t)) {
            if (run > after && run < t)
              throw new Error(`${label}: missed the shifted run at ${new Date(run).toISOString()}`);
          }
        }
        fires.push(t);
        after = t;
      }
      // previousCronTime walks the same sequence back (a fixed-hour repeat that was due only
      // because the walk started inside it is not part of the sequence).
      for (let i = 1; i < fires.length; i++) {
        const previous = previousCronTime(expression, zone, fires[i] as number);
        const earlier = fires[i - 1] as number;
        if (matcher.fixedHour && inRepeat(changes, earlier))
          expect(previous as number, label).toBeLessThanOrEqual(earlier);
        else expect(previous, `${label}: previous of step ${i}`).toBe(earlier);
      }
    }
  });
});

describe("every change of every zone", () => {
  it("runs a skipped local time once at the change, and a repeated one at its first instance", () => {
    for (const { zone, changes } of zoneCases) {
      for (const change of changes) {
        const shift = change.after - change.before;
        const firstWall = change.at + (shift > 0 ? change.before : change.after);
        const { hour, minute } = fieldsOfWall(firstWall);
        const cron = `${minute} ${hour} * * *`;
        const label = `${cron} in ${zone} at ${new Date(change.at).toISOString()}`;
        const fire = nextCronTime(cron, zone, change.at - 2 * HOUR);
        // Skipped: the first skipped minute runs at the change itself (shifted by the gap).
        // Repeated: the first repeated minute runs at its first instance, before the change.
        expect(fire, label).toBe(shift > 0 ? change.at : change.at + shift);
        const following = nextCronTime(cron, zone, fire as number) as number;
        expect(following - (fire as number), label).toBeGreaterThan(20 * HOUR);
        // Every minute of the hour follows elapsed time: it fires in both instances.
        const hourly = `${minute} * * * *`;
        const second = nextCronTime(hourly, zone, fire as number) as number;
        if (shift < 0) expect(second, `${hourly}: ${label}`).toBe(change.at);
      }
    }
  });
});
