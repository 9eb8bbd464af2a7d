/**
 * Run lists: newest first, by cursor, with the index path of each filter. Worker, job, and the
 * statuses off the happy path have index paths (`runs_by_worker`, `runs_by_job`, `runs_by_status`);
 * a job's runs in progress come from memory (active-runs.ts), and the run a job names in place of an
 * index entry (a one-time job's scheduled run, `named_by_job`) is merged into its pages. Happy-path statuses (pending, queued, running,
 * succeeded) have no index, to spare writes: those filters scan ids newest first, at most
 * `LIST_SCAN_BUDGET` rows a page, and a page may then hold fewer runs than asked with a
 * `next_cursor` to continue.
 */
import { and, desc, eq, isNotNull, lt, type SQL } from "drizzle-orm";
import type { RunListQuery } from "../../contract/run";
import { ACTIVE_RUN_STATUSES, HAPPY_PATH_STATUSES } from "../../domain/run-status";
import type { Database } from "../storage/database";
import { LIST_SCAN_BUDGET, pageFromScan, type RowPage } from "../storage/scan-page";
import { INDEXED_BY_JOB, NOT_A_TASK, type RunRow, runs, UNUSUAL_RUNS } from "../storage/schema";

export function listRuns(
  db: Database,
  query: RunListQuery & { job_id?: string | undefined },
  get: (id: string) => RunRow | undefined,
  activeOfJob: (jobId: string) => RunRow[],
  /** The run the job names in place of an index entry, read only for the job's index path. */
  named: () => RunRow | undefined,
): RowPage<RunRow> {
  const status = query.status;
  // A job's runs in progress are known in memory (active-runs.ts), whatever their status.
  if (query.job_id !== undefined && status !== undefined && isActive(status)) {
    const rows = activeOfJob(query.job_id)
      .filter((r) => r.status === status && (!query.cursor || r.id < query.cursor))
      .filter((r) => !query.worker_id || r.workerId === query.worker_id)
      .reverse();
    const page = rows.slice(0, query.limit);
    return {
      rows: page,
      nextCursor: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  }
  const scanned =
    status !== undefined && (HAPPY_PATH_STATUSES as readonly string[]).includes(status);
  // The job's index path; other filters (a worker, an unusual status) have their own index, which
  // holds the job's named run too.
  const byJob = query.job_id !== undefined && !query.worker_id && (status === undefined || scanned);
  const where = and(
    // Tasks are listed with their occurrence (`GET /v1/runs/:id`), except a worker's runs, the
    // dead letters and `upstream_failed` (statuses of what one replays or looks into).
    query.worker_id || status === "dead" || status === "upstream_failed" ? undefined : NOT_A_TASK,
    query.job_id
      ? and(eq(runs.jobId, query.job_id), byJob ? INDEXED_BY_JOB : undefined)
      : undefined,
    query.worker_id ? and(eq(runs.workerId, query.worker_id), isNotNull(runs.workerId)) : undefined,
    query.cursor ? lt(runs.id, query.cursor) : undefined,
    status && !scanned ? and(eq(runs.status, status), UNUSUAL_RUNS) : undefined,
  );
  const page = scanned
    ? scanForStatus(db, where, status, query.limit, get)
    : indexedPage(db, where, query.limit);
  const run = byJob ? named() : undefined;
  return run && query.job_id === run.jobId ? withNamedRun(page, run, query) : page;
}

function indexedPage(db: Database, where: SQL | undefined, limit: number): RowPage<RunRow> {
  const rows = db
    .select()
    .from(runs)
    .where(where)
    .orderBy(desc(runs.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  return {
    rows: page,
    nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

/**
 * Adds the job's named run (no index entry) to the page whose id range holds it: below the
 * request's cursor and above the page's own. A page that grows past the limit gives its last row
 * back to the next page.
 */
function withNamedRun(page: RowPage<RunRow>, named: RunRow, query: RunListQuery): RowPage<RunRow> {
  const matches =
    (!query.status || named.status === query.status) &&
    (!query.worker_id || named.workerId === query.worker_id) &&
    (!query.cursor || named.id < query.cursor) &&
    (page.nextCursor === null || named.id > page.nextCursor);
  if (!matches) return page;
  const rows = [...page.rows, named].sort((a, b) => (a.id < b.id ? 1 : -1));
  if (rows.length <= query.limit) return { rows, nextCursor: page.nextCursor };
  const kept = rows.slice(0, query.limit);
  return { rows: kept, nextCursor: kept[kept.length - 1]?.id ?? null };
}

/** A status filter without an index: scans at most `LIST_SCAN_BUDGET` ids, newest first. */
function scanForStatus(
  db: Database,
  where: SQL | undefined,
  status: string,
  limit: number,
  get: (id: string) => RunRow | undefined,
): RowPage<RunRow> {
  const scanned = db
    .select({ id: runs.id, status: runs.status })
    .from(runs)
    .where(where)
    .orderBy(desc(runs.id))
    .limit(LIST_SCAN_BUDGET)
    .all();
  return pageFromScan(
    scanned.map((r) => ({ id: r.id, matches: r.status === status })),
    LIST_SCAN_BUDGET,
    limit,
    get,
  );
}

function isActive(status: string): boolean {
  return (ACTIVE_RUN_STATUSES as readonly string[]).includes(status);
}
