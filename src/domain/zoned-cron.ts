/**
 * Fire times of a wall-clock cron in a time zone. The matching wall times come from cron-parser
 * in UTC (cron-wall.ts); this module maps them to instants with the DST rule of schedule.ts:
 *
 * - a wall time skipped by a spring-forward fires once, shifted by the size of the gap; all the
 *   matching wall times of one gap collapse into that one run (the first, shifted), and a run
 *   that lands on the instant of a real match is the same run;
 * - a wall time repeated by a fall-back fires at its first instance, and also at the second when
 *   the expression follows elapsed time (hour field `*`), or when asked from inside the repeat
 *   (a job created in the second pass has not seen the first one).
 *
 * Each answer examines at most MAX_WALLS wall times plus three fixed look-ups, each costing one
 * cron-parser search and a few dozen offset look-ups, however close or far a transition is.
 */
import type { WallCron } from "./cron-wall";
import {
  instantsOfWall,
  shiftOf,
  type Transition,
  transitionsNear,
  type WallInstants,
  wallAt,
} from "./zoned-time";

/** A hard bound on wall times examined per answer; a correct walk needs at most three. */
const MAX_WALLS = 8;

/** The first fire time strictly after `after`, or null when there is none. */
export function nextFireTime(cron: WallCron, zone: string, after: number): number | null {
  const wallAfter = wallAt(zone, after);
  const near = transitionsNear(zone, after);
  const candidates: number[] = [];
  // Wall times are searched forward from after's; they map to increasing instants except in
  // the two cases below, where a wall time not later than after's still fires after `after`.
  let wall = cron.nextWall(wallAfter);
  for (let walls = 0; wall !== null && walls < MAX_WALLS; walls++) {
    const instants = instantsOfWall(zone, wall);
    if (instants.kind === "skipped") {
      // After's wall time precedes the gap, so `wall` is the gap's first match: it runs,
      // shifted by up to the gap, so a real match just after the gap may still come first.
      candidates.push(wall - instants.transition.offsetBefore);
      wall = cron.nextWall(instants.gapEnd - 1);
      continue;
    }
    const fire = firstFireAfter(instants, after);
    if (fire !== null) {
      candidates.push(fire);
      break;
    }
    wall = cron.nextWall(wall);
  }
  // A spring-forward just before `after` whose shifted run is still ahead.
  if (near.previous && shiftOf(near.previous) > 0) {
    const shifted = shiftedRun(cron, near.previous);
    if (shifted !== null && shifted > after) candidates.push(shifted);
  }
  // A fall-back just ahead: wall times up to after's come again, and elapsed time fires them.
  const repeat = near.next;
  if (cron.followsElapsedTime && repeat && shiftOf(repeat) < 0) {
    const repeated = cron.nextWall(repeat.at + repeat.offsetAfter - 1);
    if (repeated !== null && repeated <= wallAfter) candidates.push(repeated - repeat.offsetAfter);
  }
  return earliest(candidates.filter((t) => t > after));
}

/** The first instance of a real wall time after `after`, if any. */
function firstFireAfter(
  instants: Exclude<WallInstants, { kind: "skipped" }>,
  after: number,
): number | null {
  if (instants.kind === "unique") return instants.at > after ? instants.at : null;
  // The second instance is after `after` only when `after` is in the repeat itself.
  if (instants.first > after) return instants.first;
  return instants.second > after ? instants.second : null;
}

/** The one run of the wall times skipped by `transition`: its first match, shifted. */
function shiftedRun(cron: WallCron, transition: Transition): number | null {
  const gapStart = transition.at + transition.offsetBefore;
  const first = cron.nextWall(gapStart - 1);
  if (first === null || first >= transition.at + transition.offsetAfter) return null;
  return first - transition.offsetBefore;
}

/** The last fire time strictly before `before` of the sequence nextFireTime walks, or null. */
export function previousFireTime(cron: WallCron, zone: string, before: number): number | null {
  const wallBefore = wallAt(zone, before);
  const candidates: number[] = [];
  // Wall times are searched backward from before's (inclusive: its earlier instance may count).
  let wall = cron.previousWall(wallBefore + 1);
  for (let walls = 0; wall !== null && walls < MAX_WALLS; walls++) {
    const instants = instantsOfWall(zone, wall);
    if (instants.kind === "skipped") {
      // Only the gap's first match runs, shifted; below it, continue before the gap.
      const shifted = shiftedRun(cron, instants.transition);
      if (shifted !== null && shifted < before) {
        candidates.push(shifted);
        break;
      }
      wall = cron.previousWall(instants.gapStart);
      continue;
    }
    if (instants.kind === "unique" && instants.at < before) {
      candidates.push(instants.at);
      break;
    }
    if (instants.kind === "repeated") {
      if (cron.followsElapsedTime && instants.second < before) {
        candidates.push(instants.second);
        break;
      }
      if (instants.first < before) {
        candidates.push(instants.first);
        // With elapsed time, when `before` is this wall time's second instance, the repeat of
        // the next lower wall time lies between the two: look at one more.
        if (!cron.followsElapsedTime || instants.second !== before) break;
      }
    }
    wall = cron.previousWall(wall);
  }
  // A gap's shifted run lands among the real matches just after the gap, maybe after them.
  const found = latest(candidates);
  const gap = found === null ? null : transitionsNear(zone, found).previous;
  if (found !== null && gap && shiftOf(gap) > 0 && found < gap.at + shiftOf(gap)) {
    const shifted = shiftedRun(cron, gap);
    if (shifted !== null) candidates.push(shifted);
  }
  // Inside the repeat of a fall-back, later wall times already fired in the first pass.
  const { previous } = transitionsNear(zone, before);
  if (previous && shiftOf(previous) < 0 && before < previous.at - shiftOf(previous)) {
    const repeated = cron.previousWall(previous.at + previous.offsetBefore);
    if (repeated !== null && repeated > wallBefore)
      candidates.push(repeated - previous.offsetBefore);
  }
  return latest(candidates.filter((t) => t < before));
}

const earliest = (times: number[]): number | null => (times.length ? Math.min(...times) : null);
const latest = (times: number[]): number | null => (times.length ? Math.max(...times) : null);
