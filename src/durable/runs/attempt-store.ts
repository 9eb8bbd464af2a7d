/**
 * Attempts of runs. The current attempt lives on its run row (`attempt_record`), written by the
 * same statements that move the run (claim, report), so a run that succeeds at once writes no
 * attempt row. When a later attempt starts, the previous one moves to the `attempts` table.
 * Runs from before this layout keep their attempts in the table; both are read the same way.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { AttemptOutcome } from "../../contract/run";
import type { Database } from "../storage/database";
import { type AttemptRecord, type AttemptRow, attempts, type RunRow } from "../storage/schema";

export interface AttemptEnd {
  outcome: Exclude<AttemptOutcome, "running">;
  statusCode: number | null;
  finishedAt: number;
  durationMs: number | null;
  responseBody: string | null;
  error: string | null;
}

export class AttemptStore {
  private readonly byKey;

  constructor(private readonly db: Database) {
    this.byKey = this.db
      .select()
      .from(attempts)
      .where(
        and(
          eq(attempts.runId, sql.placeholder("runId")),
          eq(attempts.attempt, sql.placeholder("attempt")),
        ),
      )
      .prepare();
  }

  /**
   * Run fields that start attempt `attempt`; the previous attempt, if on the run, moves to the
   * table first. The caller writes the fields with the run's own change.
   */
  begin(
    run: RunRow,
    attempt: number,
    now: number,
    workerId: string | null,
  ): { attemptRecord: AttemptRecord } {
    const previous = run.attemptRecord;
    if (previous && previous.attempt < attempt) {
      this.db
        .insert(attempts)
        .values({ ...previous, runId: run.id })
        .onConflictDoNothing()
        .run();
    }
    return {
      attemptRecord: {
        attempt,
        outcome: "running",
        statusCode: null,
        startedAt: now,
        finishedAt: null,
        durationMs: null,
        responseBody: null,
        error: null,
        workerId,
      },
    };
  }

  /**
   * Run fields that record the end of attempt `attempt`, or null when that attempt is not running
   * (a duplicate or stale report changes nothing). An attempt of the older layout is finished in
   * its table row here, and the run needs no fields ({}).
   */
  end(run: RunRow, attempt: number, end: AttemptEnd): Partial<RunRow> | null {
    const current = run.attemptRecord;
    if (current && current.attempt === attempt) {
      return current.outcome === "running" ? { attemptRecord: { ...current, ...end } } : null;
    }
    const row = this.byKey.get({ runId: run.id, attempt });
    if (row?.outcome !== "running") return null;
    this.db
      .update(attempts)
      .set(end)
      .where(and(eq(attempts.runId, run.id), eq(attempts.attempt, attempt)))
      .run();
    return {};
  }

  /** Every attempt of `run`, first to last. */
  of(run: RunRow): AttemptRow[] {
    const rows = this.db
      .select()
      .from(attempts)
      .where(eq(attempts.runId, run.id))
      .orderBy(asc(attempts.attempt))
      .all();
    const current = run.attemptRecord;
    if (current && !rows.some((r) => r.attempt === current.attempt))
      rows.push({ ...current, runId: run.id });
    return rows;
  }
}
