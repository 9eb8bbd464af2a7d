/**
 * Run lists: newest first, by cursor, with the index path of each filter. Worker, job, and the
 * statuses off the happy path have index paths (`runs_by_worker`, `runs_by_job`, `runs_by_status`);
 * a job's runs in progress come from memory (active-runs.ts). Happy-path statuses (pending, queued, running,
 * succeeded) have no index, to spare writes: those filters scan ids newest first, at most
 * `LIST_SCAN_BUDGET` rows a page, and a page may then hold fewer runs than asked with a
 * `next_cursor` to continue.
 */
import { and, desc, eq, isNotNull, lt, type SQL } from "drizzle-orm";
import type { RunListQuery } from "../contract/run";
import { ACTIVE_RUN_STATUSES, HAPPY_PATH_STATUSES } from "../domain/run-status";
import type { Database } from "./database";
import { LIST_SCAN_BUDGET, pageFromScan, type RowPage } from "./scan-page";
import { NOT_A_TASK, type RunRow, runs, UNUSUAL_RUNS } from "./schema";

export function listRuns(
  db: Database,
  query: RunListQuery & { job_id?: string | undefined },
  get: (id: string) => RunRow | undefined,
  activeOfJob: (jobId: string) => RunRow[],
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
  const where = and(
    // Tasks are listed with their occurrence (`GET /v1/runs/:id`), except a worker's runs, the
    // dead letters and `upstream_failed` (statuses of what one replays or looks into).
    query.worker_id || status === "dead" || status === "upstream_failed" ? undefined : NOT_A_TASK,
    query.job_id ? eq(runs.jobId, query.job_id) : undefined,
    query.worker_id ? and(eq(runs.workerId, query.worker_id), isNotNull(runs.workerId)) : undefined,
    query.cursor ? lt(runs.id, query.cursor) : undefined,
    status && !scanned ? and(eq(runs.status, status), UNUSUAL_RUNS) : undefined,
  );
  if (scanned) return scanForStatus(db, where, status, query.limit, get);
  const rows = db
    .select()
    .from(runs)
    .where(where)
    .orderBy(desc(runs.id))
    .limit(query.limit + 1)
    .all();
  const page = rows.slice(0, query.limit);
  return {
    rows: page,
    nextCursor: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
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
