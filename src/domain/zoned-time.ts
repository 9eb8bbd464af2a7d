/**
 * Wall-clock times in an IANA zone, from `Intl` alone: UTC offsets, offset transitions, and the
 * instants of a local time. A "wall" time is a local date and time encoded as UTC milliseconds
 * (2026-03-29 02:30 local is Date.UTC(2026, 2, 29, 2, 30)); an "instant" is a real UTC time.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Offsets are looked up this far before and after a wall time; no two transitions are closer. */
const OFFSET_PROBE_MS = DAY_MS;

/** Counts offset look-ups, so tests can bound the work of an evaluation without timing it. */
export const zoneWork = { offsetLookups: 0 };

/** One formatter per zone; bounded because only canonical IANA names get here (about 600). */
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The UTC offset in milliseconds of `zone` at `instant` (east positive). */
export function offsetAt(zone: string, instant: number): number {
  zoneWork.offsetLookups++;
  let format = offsetFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    offsetFormats.set(zone, format);
  }
  // "1/1/2026, GMT+10:30"; historical local mean times carry seconds ("GMT+00:53:28").
  const match = /GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(format.format(instant));
  if (!match?.[1]) return 0;
  const ms = (Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0)) * 1000;
  return match[1] === "-" ? -ms : ms;
}

/** The wall time of `instant` in `zone`. */
export function wallAt(zone: string, instant: number): number {
  return instant + offsetAt(zone, instant);
}

/** A change of UTC offset: `at` is the first instant with `offsetAfter`. */
export interface Transition {
  at: number;
  offsetBefore: number;
  offsetAfter: number;
}

/** How many milliseconds a transition skips (spring-forward, > 0) or repeats (fall-back, < 0). */
export const shiftOf = (transition: Transition): number =>
  transition.offsetAfter - transition.offsetBefore;

/** The transition in (`from`, `to`], whose end offsets differ; bisection, about 30 look-ups. */
function transitionWithin(zone: string, from: number, to: number): Transition {
  const offsetBefore = offsetAt(zone, from);
  const offsetAfter = offsetAt(zone, to);
  let lo = from;
  let hi = to;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(zone, mid) === offsetAfter) hi = mid;
    else lo = mid;
  }
  return { at: hi, offsetBefore, offsetAfter };
}

/**
 * The last transition at or before `instant` and the first after it, each only if within
 * `radius` of it. `radius` must exceed the largest shift of interest (a transition influences
 * fire times no further than its own size away).
 */
export function transitionsNear(
  zone: string,
  instant: number,
  radius = DAY_MS + HOUR_MS,
): { previous: Transition | null; next: Transition | null } {
  const offset = offsetAt(zone, instant);
  const previous =
    offsetAt(zone, instant - radius) === offset
      ? null
      : transitionWithin(zone, instant - radius, instant);
  const next =
    offsetAt(zone, instant + radius) === offset
      ? null
      : transitionWithin(zone, instant, instant + radius);
  return { previous, next };
}

/** How a wall time maps to instants. */
export type WallInstants =
  | { kind: "unique"; at: number }
  /** A fall-back repeats the wall time: first at `first` (old offset), again at `second`. */
  | { kind: "repeated"; first: number; second: number }
  /** A spring-forward skips the wall time: the skipped walls are [gapStart, gapEnd). */
  | { kind: "skipped"; transition: Transition; gapStart: number; gapEnd: number };

/** The instants at which `zone` shows the wall time `wall`. */
export function instantsOfWall(zone: string, wall: number): WallInstants {
  const offsetBefore = offsetAt(zone, wall - OFFSET_PROBE_MS);
  const offsetAfter = offsetAt(zone, wall + OFFSET_PROBE_MS);
  const valid = [wall - offsetBefore, wall - offsetAfter].filter(
    (instant) => wallAt(zone, instant) === wall,
  );
  const [first, second] = valid.sort((a, b) => a - b);
  if (first === undefined) {
    // Every instant in (wall - offsetAfter, wall - offsetBefore] is past or before the jump.
    const transition = transitionWithin(zone, wall - offsetAfter, wall - offsetBefore);
    return {
      kind: "skipped",
      transition,
      gapStart: transition.at + transition.offsetBefore,
      gapEnd: transition.at + transition.offsetAfter,
    };
  }
  if (second === undefined || second === first) return { kind: "unique", at: first };
  return { kind: "repeated", first, second };
}
