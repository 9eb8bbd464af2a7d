/**
 * The simulation's time and randomness. While a simulation runs, `Date.now`, `setTimeout`,
 * `clearTimeout`, `Math.random` and `crypto.getRandomValues` are the world's: time moves only when
 * the world says, timers fire when it passes them, and every random choice comes from the seed,
 * so a seed replays exactly. `install` swaps them in and returns what puts the originals back.
 */
import { timingSafeEqual } from "node:crypto";
import type { Random } from "../random";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class SimClock {
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(public now: number) {}

  schedule(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.push({ id, at: this.now + Math.max(0, ms), fn });
    return id;
  }

  cancel(id: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** The earliest timer's time, or null. */
  nextTimerAt(): number | null {
    let at: number | null = null;
    for (const t of this.timers) if (at === null || t.at < at) at = t.at;
    return at;
  }

  /** Moves time to `to` (never back), firing every timer due by then in time order. */
  advanceTo(to: number): void {
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= to)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = Math.max(this.now, to);
  }

  /** Drops every timer (a restart: the old object's timers died with it). */
  clear(): void {
    this.timers = [];
  }
}

/** Puts the world's clock and randomness in place of the process's; returns the undo. */
export function install(clock: SimClock, random: Random): () => void {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = {
    now: Date.now,
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    random: Math.random,
  };
  Date.now = () => clock.now;
  g.setTimeout = (fn: () => void, ms?: number) => clock.schedule(fn, ms ?? 0);
  g.clearTimeout = (id: unknown) => clock.cancel(id);
  Math.random = () => random.float();
  const cryptoObject = crypto as unknown as Record<string, unknown>;
  cryptoObject.getRandomValues = <T extends ArrayBufferView>(array: T): T => {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let i = 0; i < bytes.length; i++) bytes[i] = random.int(256);
    return array;
  };
  // workerd's extension of WebCrypto, which Node lacks.
  const subtle = crypto.subtle as unknown as Record<string, unknown>;
  subtle.timingSafeEqual = (a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView) =>
    timingSafeEqual(asBytes(a), asBytes(b));
  return () => {
    Date.now = saved.now;
    g.setTimeout = saved.setTimeout;
    g.clearTimeout = saved.clearTimeout;
    Math.random = saved.random;
    delete cryptoObject.getRandomValues;
  };
}

function asBytes(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  return value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
