/** Shared by list and bulk commands: one page or all of them; one id or many with a progress bar. */
import type { Paginated } from "../src/client/index.ts";
import { type Context, flag, int } from "./command.ts";
import {
  type Column,
  describeError,
  EXIT,
  type ExitCode,
  errorJson,
  exitCodeOf,
  table,
  worse,
} from "./output.ts";
import { forEachLimited } from "./progress.ts";

/** Prints the first page (or with --all every item) as a table, or as `{ data, next_cursor }`. */
export async function printList<T>(
  ctx: Context,
  items: Paginated<T>,
  columns: Column<T>[],
  what: string,
): Promise<undefined> {
  if (flag(ctx.values, "all")) {
    const all = await items.toArray();
    ctx.print({ data: all, next_cursor: null }, () =>
      all.length ? table(all, columns) : `no ${what}`,
    );
    return;
  }
  const page = await items.page();
  ctx.print(page, () => (page.data.length ? table(page.data, columns) : `no ${what} on this page`));
  if (page.next_cursor) ctx.note(`more: --cursor ${page.next_cursor} (or --all)`);
}

/**
 * Applies `action` to every id, `--concurrency` at a time, with a progress bar when there are
 * several. One id: its answer is printed like a single command (and its problem thrown). Several:
 * one line each, failures on stderr; `--json` gives `{ data: [answers], failed: [{ id, problem }] }`.
 * The exit code is the worst item's.
 */
export async function bulk<T>(
  ctx: Context,
  ids: string[],
  label: string,
  action: (id: string) => Promise<T>,
  show: (value: T) => string,
  options: { single?: boolean } = {},
): Promise<ExitCode> {
  if (options.single ?? ids.length === 1) {
    const value = await action(ids[0] as string);
    ctx.print(value, () => show(value));
    return EXIT.ok;
  }
  const concurrency = int(ctx.values, "concurrency", { min: 1, max: 32 }) ?? 4;
  const progress = ctx.progress(ids.length, label);
  const results = await forEachLimited(ids, concurrency, action, progress);
  progress.finish();
  let code: ExitCode = EXIT.ok;
  const data: T[] = [];
  const failed: { id: string; problem: unknown }[] = [];
  const lines: string[] = [];
  for (const result of results) {
    if (result.ok) {
      data.push(result.value);
      lines.push(show(result.value));
    } else {
      code = worse(code, exitCodeOf(result.error));
      failed.push({ id: result.item, problem: errorJson(result.error) });
      ctx.note(`${result.item}: ${describeError(result.error, ctx.baseUrl)}`);
    }
  }
  ctx.print({ data, failed }, () => lines.join("\n"));
  ctx.note(`${label}: ${data.length} done, ${failed.length} failed`);
  return code;
}
