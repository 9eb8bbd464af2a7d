/**
 * Times as the console shows them: always with their zone. Pure functions over `Intl` (the browser
 * knows every IANA zone), so they are tested in Node too.
 */

const pad2 = (n: number) => String(n).padStart(2, "0");

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${zone}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, ...options });
    formatters.set(key, f);
  }
  return f;
}

/** The browser's zone, e.g. `Europe/Berlin`. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Every IANA zone the browser knows (for the zone picker). */
export function knownZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf;
  const zones = supported ? supported("timeZone") : [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

export function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(instant: number, zone: string): WallTime {
  const parts = formatter(zone, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour") % 24,
    minute: get("minute"),
    second: get("second"),
  };
}

/** The zone's offset from UTC at an instant, in minutes (Berlin in summer: 120). */
export function zoneOffsetMinutes(instant: number, zone: string): number {
  const w = wallTime(instant, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/**
 * `UTC+1`, `UTC+5:30`, `UTC-4`, or `UTC`: the offset in force, the same in every locale (the
 * browsers' zone abbreviations differ by language: `CET`, `MEZ`, `GMT+1`).
 */
export function zoneAbbreviation(instant: number, zone: string): string {
  const minutes = zoneOffsetMinutes(instant, zone);
  if (minutes === 0) return "UTC";
  const abs = Math.abs(minutes);
  const rest = abs % 60;
  return `UTC${minutes < 0 ? "-" : "+"}${Math.floor(abs / 60)}${rest ? `:${pad2(rest)}` : ""}`;
}

/** `+01:00` */
export function offsetText(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `2026-03-29 03:30:00 UTC+2` in `zone`. */
export function formatInZone(
  iso: string | number,
  zone: string,
  options: { seconds?: boolean } = {},
): string {
  const instant = typeof iso === "number" ? iso : Date.parse(iso);
  if (Number.isNaN(instant)) return String(iso);
  const w = wallTime(instant, zone);
  const time = `${pad2(w.hour)}:${pad2(w.minute)}${options.seconds === false ? "" : `:${pad2(w.second)}`}`;
  return `${w.year}-${pad2(w.month)}-${pad2(w.day)} ${time} ${zoneAbbreviation(instant, zone)}`;
}

export function formatUtc(iso: string | number, options: { seconds?: boolean } = {}): string {
  return formatInZone(iso, "UTC", options);
}

/** `Sun` in `zone`. */
export function weekday(instant: number, zone: string): string {
  return formatter(zone, { weekday: "short" }).format(instant);
}

export interface DstChange {
  /** Offsets before and after, e.g. `+01:00` and `+02:00`. */
  from: string;
  to: string;
  /** The same as labels, e.g. `UTC+1` and `UTC+2`. */
  fromName: string;
  toName: string;
}

/**
 * When the local day of `instant` in `zone` has a DST (or other offset) change, what it changes
 * from and to; null for an ordinary day. Compares the offset at the day's start with its end.
 */
export function dstChangeOnDay(instant: number, zone: string): DstChange | null {
  const w = wallTime(instant, zone);
  const midnightAsUtc = Date.UTC(w.year, w.month - 1, w.day);
  // Local midnight: first guessed with the offset in force at the instant, then corrected with
  // the offset in force at that guess (the one before a change later that day).
  const guess = midnightAsUtc - zoneOffsetMinutes(instant, zone) * 60_000;
  const start = midnightAsUtc - zoneOffsetMinutes(guess, zone) * 60_000;
  // 24 h less a second later is still this day, or the first hour of the next on a 23-hour day.
  const end = start + 86_399_000;
  const before = zoneOffsetMinutes(start, zone);
  const after = zoneOffsetMinutes(end, zone);
  if (before === after) return null;
  return {
    from: offsetText(before),
    to: offsetText(after),
    fromName: zoneAbbreviation(start, zone),
    toName: zoneAbbreviation(end, zone),
  };
}

/**
 * The UTC instant of a wall time (`2026-03-29T02:30`, as an `<input type="datetime-local">`
 * gives it) in `zone`. A time skipped by a DST gap moves forward by the gap; a repeated time is its
 * first instance. Null when the text is not a wall time.
 */
export function wallTimeToInstant(text: string, zone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  // Try the offsets in force around the wall time; the earliest that maps back to it wins.
  const candidates = [
    zoneOffsetMinutes(asUtc - 86_400_000, zone),
    zoneOffsetMinutes(asUtc, zone),
    zoneOffsetMinutes(asUtc + 86_400_000, zone),
  ];
  const instants = [...new Set(candidates)]
    .map((offset) => asUtc - offset * 60_000)
    .filter((instant) => {
      const w = wallTime(instant, zone);
      return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) === asUtc;
    })
    .sort((a, b) => a - b);
  if (instants[0] !== undefined) return instants[0];
  // In a gap: the offset before the gap, which lands after it.
  return asUtc - Math.min(...candidates) * 60_000;
}

/** The `datetime-local` text of an instant in `zone` (minutes precision). */
export function instantToWallTime(instant: number, zone: string): string {
  const w = wallTime(instant, zone);
  return `${w.year}-${pad2(w.month)}-${pad2(w.day)}T${pad2(w.hour)}:${pad2(w.minute)}`;
}

/** `in 5 min`, `3 h ago`, `just now`. */
export function relativeTime(iso: string | number, now = Date.now()): string {
  const instant = typeof iso === "number" ? iso : Date.parse(iso);
  const delta = instant - now;
  const abs = Math.abs(delta);
  if (abs < 5_000) return "just now";
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1_000, "s"],
  ];
  const [size, unit] = units.find(([size]) => abs >= size) ?? [1_000, "s"];
  const value = Math.floor(abs / size);
  return delta > 0 ? `in ${value} ${unit}` : `${value} ${unit} ago`;
}

/** `850 ms`, `2.4 s`, `3 min 20 s`. */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}
