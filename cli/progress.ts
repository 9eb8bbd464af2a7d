/**
 * A one-line progress bar on stderr for bulk commands, drawn only when stderr is a terminal (so
 * pipes, CI logs and `--json` consumers see nothing of it), at most ten times a second.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Progress {
  private done = 0;
  private failed = 0;
  private note = "";
  private drawnAt = 0;
  private readonly startedAt = Date.now();
  private readonly enabled: boolean;
  private readonly stream: ProgressStream;
  private readonly total: number;
  private readonly label: string;

  constructor(stream: ProgressStream, total: number, label: string) {
    this.stream = stream;
    this.total = total;
    this.label = label;
    this.enabled = stream.isTTY === true && total > 0;
    this.draw(true);
  }

  /** `count` more items finished (`failed` of them failed). */
  advance(count = 1, failed = 0): void {
    this.done += count;
    this.failed += failed;
    this.note = "";
    this.draw(this.done >= this.total);
  }

  /** A passing remark, such as "rate limited, retrying in 3 s"; cleared by the next advance. */
  say(note: string): void {
    this.note = note;
    this.draw(true);
  }

  /** Erases the bar, leaving the line to whatever is printed next. */
  finish(): void {
    if (this.enabled) this.stream.write("\r\x1b[2K");
  }

  /** The bar as text (exported for tests through `render`). */
  render(width: number): string {
    const ratio = this.total ? Math.min(1, this.done / this.total) : 1;
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? Math.ceil((this.total - this.done) / rate) : undefined;
    const tail = [
      `${this.done}/${this.total}`,
      `${Math.floor(ratio * 100)}%`,
      ...(this.failed ? [`${this.failed} failed`] : []),
      ...(eta !== undefined && this.done < this.total ? [`eta ${formatSeconds(eta)}`] : []),
      ...(this.note ? [this.note] : []),
    ].join(" ");
    const barWidth = Math.max(10, Math.min(40, width - this.label.length - tail.length - 5));
    const filled = Math.round(ratio * barWidth);
    return `${this.label} [${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${tail}`;
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.drawnAt < 100) return;
    this.drawnAt = now;
    const width = this.stream.columns || 80;
    this.stream.write(`\r\x1b[2K${this.render(width).slice(0, width - 1)}`);
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m${seconds % 60}s`
    : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

/**
 * Runs `work` for every item, `concurrency` at a time, advancing `progress`; never throws. The
 * results keep the items' order.
 */
export async function forEachLimited<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
  progress?: Progress,
): Promise<({ item: T; ok: true; value: R } | { item: T; ok: false; error: unknown })[]> {
  const results: ({ item: T; ok: true; value: R } | { item: T; ok: false; error: unknown })[] =
    new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i] as T;
      try {
        results[i] = { item, ok: true, value: await work(item) };
        progress?.advance(1);
      } catch (error) {
        results[i] = { item, ok: false, error };
        progress?.advance(1, 1);
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
  );
  return results;
}
