/**
 * A page of a filter that has no index: the caller scans at most `budget` rows in cursor order and
 * says which match; the page holds up to `limit` of those. When the budget ran out first, the page
 * may be short (even empty) and its cursor continues after the last row scanned, so every request
 * reads a bounded number of rows however rare the matches are.
 */
/** Rows a filter without an index may scan for one page. */
export const LIST_SCAN_BUDGET = 5_000;

export interface RowPage<T> {
  rows: T[];
  nextCursor: string | null;
}

export function pageFromScan<T>(
  scanned: { id: string; matches: boolean }[],
  budget: number,
  limit: number,
  load: (id: string) => T | undefined,
): RowPage<T> {
  const matching = scanned.filter((r) => r.matches);
  const rows = matching
    .slice(0, limit)
    .map((r) => load(r.id))
    .filter((r): r is T => r !== undefined);
  if (matching.length > limit) return { rows, nextCursor: matching[limit - 1]?.id ?? null };
  const exhausted = scanned.length < budget;
  return { rows, nextCursor: exhausted ? null : (scanned[scanned.length - 1]?.id ?? null) };
}
