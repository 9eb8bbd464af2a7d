/**
 * Runs in progress per job (pending, queued, running, retrying; graph tasks are not the job's
 * runs), in memory. Overlap policies, the per-job cap, cancel, pause and resume ask for them on
 * every occurrence; keeping them here instead of in a partial index saves the two index writes
 * every run made (entering and leaving the set). The table is loaded from the rows when the
 * object starts (the same kind of scan as the lease table's), and changes made inside a
 * transaction are undone if it rolls back.
 */
import { ACTIVE_RUN_STATUSES, type RunStatus } from "../../domain/run-status";
import { UndoJournal } from "../storage/undo-journal";

export function isActiveStatus(status: RunStatus): boolean {
  return (ACTIVE_RUN_STATUSES as readonly string[]).includes(status);
}

export class ActiveRuns {
  private readonly byJob = new Map<string, Set<string>>();
  readonly journal = new UndoJournal<[op: "add" | "remove", jobId: string, runId: string]>(
    ([op, jobId, runId]) => (op === "add" ? this.delete(jobId, runId) : this.insert(jobId, runId)),
  );

  /** Replaces the table with the stored active runs (object start). */
  load(rows: Iterable<{ id: string; jobId: string }>): void {
    this.byJob.clear();
    for (const row of rows) this.insert(row.jobId, row.id);
  }

  add(jobId: string, runId: string): void {
    if (this.byJob.get(jobId)?.has(runId)) return;
    this.insert(jobId, runId);
    this.journal.record(["add", jobId, runId]);
  }

  remove(jobId: string, runId: string): void {
    if (!this.byJob.get(jobId)?.has(runId)) return;
    this.delete(jobId, runId);
    this.journal.record(["remove", jobId, runId]);
  }

  /** Every run in progress with its job: for checks (the simulation), not the hot path. */
  entries(): { id: string; jobId: string }[] {
    return [...this.byJob].flatMap(([jobId, ids]) => [...ids].map((id) => ({ id, jobId })));
  }

  /** The job's runs in progress, oldest id first (at most `LIMITS.maxActiveRunsPerJob`). */
  of(jobId: string): string[] {
    return [...(this.byJob.get(jobId) ?? [])].sort();
  }

  private insert(jobId: string, runId: string): void {
    const set = this.byJob.get(jobId) ?? new Set<string>();
    set.add(runId);
    this.byJob.set(jobId, set);
  }

  private delete(jobId: string, runId: string): void {
    const set = this.byJob.get(jobId);
    set?.delete(runId);
    if (set && set.size === 0) this.byJob.delete(jobId);
  }
}
