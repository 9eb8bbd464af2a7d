/** Cursor pagination: a list call as pages, or as every item across pages. */
import type { Page } from "./types.ts";

/**
 * A list that is fetched lazily. `for await (const job of client.jobs.list())` walks every page;
 * `.page()` fetches only the first. Pages filtered on common statuses may be short, even empty,
 * while `next_cursor` is set (the API scans at most 5,000 rows a page): iteration follows the
 * cursor until it is null, so callers never see that.
 */
export class Paginated<T> implements AsyncIterable<T> {
  private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>;
  private readonly firstCursor: string | undefined;

  constructor(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, firstCursor?: string) {
    this.fetchPage = fetchPage;
    this.firstCursor = firstCursor;
  }

  /** One page: the first, or the one `cursor` names. */
  page(cursor: string | undefined = this.firstCursor): Promise<Page<T>> {
    return this.fetchPage(cursor);
  }

  /** Every page in order, empty ones included, until `next_cursor` is null. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.firstCursor;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.fetchPage(cursor);
      yield page;
      if (page.next_cursor === null) return;
      // A cursor that repeats would loop for ever: a server bug, reported rather than followed.
      if (seen.has(page.next_cursor)) throw new Error(`the cursor ${page.next_cursor} repeated`);
      seen.add(page.next_cursor);
      cursor = page.next_cursor;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Every item, or the first `max`. */
  async toArray(max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const items: T[] = [];
    if (max <= 0) return items;
    for await (const item of this) {
      items.push(item);
      if (items.length >= max) break;
    }
    return items;
  }
}
