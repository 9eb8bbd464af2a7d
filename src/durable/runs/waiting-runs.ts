/**
 * Runs waiting to start (pending or retrying with a dispatch time), in memory: webhook runs wait in
 * the queues' lane (""), a worker target's runs in the lane of their pool. Inside a lane, by
 * priority, then by flow key in turn (each key with a ready run gets one per pass, so a key with
 * 10,000 waiting runs and a key with one each get a turn), then by dispatch time inside a key. The dispatch time is stored on
 * the run row, written by the statements that move the run anyway; keeping "the next runs to start"
 * here instead of in indexes saves the index writes of every run that waits. Loaded from the rows
 * when the object starts; changes made inside a transaction are undone if it rolls back.
 *
 * Each (lane, priority, key) has a min-heap of (dispatch time, id). The map is the truth: a heap
 * entry that no longer matches it (started, held, rescheduled, rolled back) is dropped when it
 * surfaces, and a key whose heap empties is dropped then.
 */
import { UndoJournal } from "../storage/undo-journal";

/** Where and when a run waits. `key` is its flow key ("" for runs without one). */
export interface WaitingEntry {
  lane: string;
  rank: number;
  key: string;
  destination: string | null;
  at: number;
}

interface HeapEntry {
  at: number;
  id: string;
}

/** The keys of one lane and priority, each with its heap. */
interface Turns {
  lane: string;
  heaps: Map<string, HeapEntry[]>;
}

/** What `pick` asks of each run it offers: started, or blocked (then its key is skipped). */
export type Offer = (id: string, entry: WaitingEntry) => "taken" | "blocked";

const RANKS = 3;

export class WaitingRuns {
  private readonly waiting = new Map<string, WaitingEntry>();
  private readonly lanes = new Map<string, Turns[]>();
  /** When each (priority, key) last had a run taken, in pick order: whose turn is next. */
  private readonly served = new Map<string, number>();
  private turn = 0;
  readonly journal = new UndoJournal<[runId: string, before: WaitingEntry | undefined]>(
    ([runId, before]) =>
      before === undefined ? this.waiting.delete(runId) : this.put(runId, before),
  );

  /** Replaces the table with the stored waiting runs (object start). */
  load(rows: Iterable<{ id: string } & WaitingEntry>): void {
    this.waiting.clear();
    this.lanes.clear();
    for (const { id, ...entry } of rows) this.put(id, entry);
  }

  /** Records that run `runId` waits as `entry` (null: it no longer waits). */
  set(runId: string, entry: WaitingEntry | null): void {
    const before = this.waiting.get(runId);
    if (entry === null && before === undefined) return;
    if (entry !== null && before !== undefined && sameEntry(before, entry)) return;
    this.journal.record([runId, before]);
    if (entry === null) this.waiting.delete(runId);
    else this.put(runId, entry);
  }

  get(runId: string): WaitingEntry | undefined {
    return this.waiting.get(runId);
  }

  /** Every waiting run (for checks and the start-up comparison, not the hot path). */
  entries(): ({ id: string } & WaitingEntry)[] {
    return [...this.waiting].map(([id, entry]) => ({ id, ...entry }));
  }

  /**
   * Offers ready runs of `lanes` to `offer`, up to `limit` taken: highest priority first (down to
   * `maxRank`); inside a priority, in passes: each pass offers every key with a ready run one run,
   * its oldest across the lanes, the key served longest ago first (so keys take turns across
   * picks too), then by the age of those runs. A key whose run is blocked is
   * skipped for the rest of this pick (its younger runs wait behind it). With `onePriority`, a
   * priority that had runs taken ends the pick (the queues' strict priority); a worker's claim
   * fills up from lower priorities. Returns how many were taken and whether a ready run was left
   * blocked.
   */
  pick(
    lanes: readonly string[],
    now: number,
    limit: number,
    maxRank: number,
    offer: Offer,
    onePriority = false,
  ): { taken: number; blocked: boolean } {
    let taken = 0;
    let blocked = false;
    for (let rank = 0; rank <= Math.min(maxRank, RANKS - 1) && taken < limit; rank++) {
      const turns = lanes.map((lane) => this.turns(lane, rank));
      const skipped = new Set<string>();
      const before = taken;
      for (;;) {
        const heads = this.readyHeads(turns, rank, now, skipped);
        if (!heads.length) break;
        for (const head of heads) {
          if (taken >= limit) break;
          if (offer(head.id, this.waiting.get(head.id) as WaitingEntry) === "taken") {
            taken++;
            this.served.set(`${rank}:${head.key}`, ++this.turn);
          } else {
            blocked = true;
            skipped.add(head.key);
          }
        }
        if (taken >= limit) break;
      }
      if (onePriority && taken > before) break;
    }
    return { taken, blocked };
  }

  /** Each key's oldest run ready at `now` across `turns` (not skipped), oldest first. */
  private readyHeads(
    turns: Turns[],
    rank: number,
    now: number,
    skipped: Set<string>,
  ): (HeapEntry & { key: string })[] {
    const heads = new Map<string, HeapEntry>();
    for (const t of turns) {
      for (const key of [...t.heaps.keys()]) {
        if (skipped.has(key)) continue;
        const top = this.top(t, key, rank);
        if (!top || top.at > now) continue;
        const best = heads.get(key);
        if (!best || before(top, best)) heads.set(key, top);
      }
    }
    // Keys served longest ago go first (a key never served, or not since it had runs waiting,
    // first of all): across picks, keys take turns; among equals, the oldest run first.
    const servedAt = (key: string) => this.served.get(`${rank}:${key}`) ?? 0;
    return [...heads]
      .map(([key, head]) => ({ ...head, key }))
      .sort((a, b) => servedAt(a.key) - servedAt(b.key) || (before(a, b) ? -1 : 1));
  }

  /**
   * The earliest moment a run of `lanes` (priorities up to `maxRank`) may start: the dispatch time
   * of each key's oldest run, moved by `delay` (null: blocked until something else changes, such
   * as a run of its key finishing; a later time: a rate limit's next token). Null when none can.
   */
  earliest(
    lanes: readonly string[],
    maxRank: number,
    delay: (entry: WaitingEntry) => number | null = (e) => e.at,
  ): number | null {
    let earliest: number | null = null;
    for (const lane of lanes) {
      for (let rank = 0; rank <= Math.min(maxRank, RANKS - 1); rank++) {
        const t = this.turns(lane, rank);
        for (const key of [...t.heaps.keys()]) {
          const top = this.top(t, key, rank);
          if (!top) continue;
          const at = delay(this.waiting.get(top.id) as WaitingEntry);
          if (at !== null && (earliest === null || at < earliest)) earliest = at;
        }
      }
    }
    return earliest;
  }

  /** The lanes that have waiting runs (pools, and "" for the queues). */
  laneNames(): string[] {
    return [...this.lanes.keys()];
  }

  /** Waiting runs per lane (ready now or later): for metrics. */
  countsByLane(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.waiting.values())
      counts.set(entry.lane, (counts.get(entry.lane) ?? 0) + 1);
    return counts;
  }

  private turns(lane: string, rank: number): Turns {
    let ranks = this.lanes.get(lane);
    if (!ranks) {
      ranks = Array.from({ length: RANKS }, () => ({
        lane,
        heaps: new Map<string, HeapEntry[]>(),
      }));
      this.lanes.set(lane, ranks);
    }
    return ranks[rank] as Turns;
  }

  private put(runId: string, entry: WaitingEntry): void {
    this.waiting.set(runId, entry);
    if (entry.rank < 0 || entry.rank >= RANKS) return;
    const t = this.turns(entry.lane, entry.rank);
    let heap = t.heaps.get(entry.key);
    if (!heap) {
      heap = [];
      t.heaps.set(entry.key, heap);
    }
    push(heap, { at: entry.at, id: runId });
  }

  /** The first current entry of a key's heap, dropping stale ones; a key left empty leaves. */
  private top(t: Turns, key: string, rank: number): HeapEntry | undefined {
    const heap = t.heaps.get(key);
    while (heap?.length) {
      const first = heap[0] as HeapEntry;
      const entry = this.waiting.get(first.id);
      if (
        entry?.lane === t.lane &&
        entry.rank === rank &&
        entry.key === key &&
        entry.at === first.at
      )
        return first;
      pop(heap);
    }
    t.heaps.delete(key);
    // A key with nothing left waiting loses its place in the turns (bounded memory).
    if (![...this.lanes.values()].some((ranks) => ranks[rank]?.heaps.has(key)))
      this.served.delete(`${rank}:${key}`);
    return undefined;
  }
}

function sameEntry(a: WaitingEntry, b: WaitingEntry): boolean {
  return (
    a.lane === b.lane &&
    a.rank === b.rank &&
    a.key === b.key &&
    a.destination === b.destination &&
    a.at === b.at
  );
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}

function push(heap: HeapEntry[], entry: HeapEntry): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i] as HeapEntry, heap[parent] as HeapEntry)) break;
    [heap[i], heap[parent]] = [heap[parent] as HeapEntry, heap[i] as HeapEntry];
    i = parent;
  }
}

function pop(heap: HeapEntry[]): void {
  const last = heap.pop();
  if (!heap.length || !last) return;
  heap[0] = last;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let smallest = i;
    if (left < heap.length && before(heap[left] as HeapEntry, heap[smallest] as HeapEntry))
      smallest = left;
    if (right < heap.length && before(heap[right] as HeapEntry, heap[smallest] as HeapEntry))
      smallest = right;
    if (smallest === i) return;
    [heap[i], heap[smallest]] = [heap[smallest] as HeapEntry, heap[i] as HeapEntry];
    i = smallest;
  }
}
