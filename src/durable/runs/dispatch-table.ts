/**
 * Runs waiting to be sent to the queues (pending or retrying with a dispatch time, no pool), in
 * memory, by priority then dispatch time. The dispatch time is stored on the run row, written by
 * the statements that move the run anyway; keeping the "next runs to send" lookup here instead of
 * in an index saves the two index writes (entry in, entry out) of every run that waits for
 * capacity, which is most of a burst. Loaded from the rows when the object starts (one scan, like
 * the lease table); changes made inside a transaction are undone if it rolls back.
 *
 * Each priority has a min-heap of (dispatch time, id) entries. The map is the truth: a heap entry
 * that no longer matches it (sent, held, rescheduled, rolled back) is dropped when it surfaces.
 */
import { UndoJournal } from "../storage/undo-journal";

interface Waiting {
  rank: number;
  at: number;
}

interface HeapEntry {
  at: number;
  id: string;
}

const RANKS = 3;

export class DispatchTable {
  private readonly waiting = new Map<string, Waiting>();
  private readonly heaps: HeapEntry[][] = Array.from({ length: RANKS }, () => []);
  readonly journal = new UndoJournal<[runId: string, before: Waiting | undefined]>(
    ([runId, before]) =>
      before === undefined ? this.waiting.delete(runId) : this.put(runId, before),
  );

  /** Replaces the table with the stored waiting runs (object start). */
  load(rows: Iterable<{ id: string; rank: number; at: number }>): void {
    this.waiting.clear();
    for (const heap of this.heaps) heap.length = 0;
    for (const row of rows) this.put(row.id, { rank: row.rank, at: row.at });
  }

  /** Records that run `runId` waits to be sent from `at` (null: it no longer waits). */
  set(runId: string, rank: number, at: number | null): void {
    const before = this.waiting.get(runId);
    if (at === null && before === undefined) return;
    if (before !== undefined && at !== null && before.at === at && before.rank === rank) return;
    this.journal.record([runId, before]);
    if (at === null) this.waiting.delete(runId);
    else this.put(runId, { rank, at });
  }

  /** Every waiting run in sending order (priority, dispatch time, id): for checks, not the hot path. */
  entries(): { id: string; rank: number; at: number }[] {
    return [...this.waiting]
      .map(([id, w]) => ({ id, rank: w.rank, at: w.at }))
      .sort((a, b) => a.rank - b.rank || a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Up to `limit` runs ready at `now`, oldest dispatch time first, from the highest priority that
   * has any, down to `maxRank`. Nothing is removed: sending the runs clears their entries.
   */
  ready(now: number, limit: number, maxRank: number): string[] {
    for (let rank = 0; rank <= Math.min(maxRank, RANKS - 1); rank++) {
      const ids = this.peekReady(rank, now, limit);
      if (ids.length) return ids;
    }
    return [];
  }

  /**
   * The priority rank `ready` would read from, and how many runs of it are ready (at most
   * `limit`), without reading anything else; null when none is ready.
   */
  readyCount(now: number, limit: number, maxRank: number): { rank: number; count: number } | null {
    for (let rank = 0; rank <= Math.min(maxRank, RANKS - 1); rank++) {
      const count = this.peekReady(rank, now, limit).length;
      if (count) return { rank, count };
    }
    return null;
  }

  /** Up to `limit` runs of priority `rank` ready at `now`, oldest dispatch time first. */
  readyOfRank(now: number, limit: number, rank: number): string[] {
    return this.peekReady(rank, now, limit);
  }

  /** The earliest dispatch time of ranks 0..maxRank, or null. */
  earliest(maxRank: number): number | null {
    let earliest: number | null = null;
    for (let rank = 0; rank <= Math.min(maxRank, RANKS - 1); rank++) {
      const top = this.top(rank);
      if (top && (earliest === null || top.at < earliest)) earliest = top.at;
    }
    return earliest;
  }

  private put(runId: string, entry: Waiting): void {
    this.waiting.set(runId, entry);
    const heap = this.heaps[entry.rank];
    if (heap) push(heap, { at: entry.at, id: runId });
  }

  private isCurrent(rank: number, entry: HeapEntry): boolean {
    const waiting = this.waiting.get(entry.id);
    return waiting !== undefined && waiting.rank === rank && waiting.at === entry.at;
  }

  /** The heap's first current entry, dropping stale ones on the way. */
  private top(rank: number): HeapEntry | undefined {
    const heap = this.heaps[rank] ?? [];
    while (heap.length) {
      const first = heap[0] as HeapEntry;
      if (this.isCurrent(rank, first)) return first;
      pop(heap);
    }
    return undefined;
  }

  /** Takes ready entries off the heap to read them, then puts them back. */
  private peekReady(rank: number, now: number, limit: number): string[] {
    const heap = this.heaps[rank] ?? [];
    const taken: HeapEntry[] = [];
    const seen = new Set<string>();
    while (taken.length < limit) {
      const first = this.top(rank);
      if (!first || first.at > now) break;
      pop(heap);
      // A run set twice to the same time has two heap entries; one is enough.
      if (seen.has(first.id)) continue;
      seen.add(first.id);
      taken.push(first);
    }
    for (const entry of taken) push(heap, entry);
    return taken.map((e) => e.id);
  }
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
