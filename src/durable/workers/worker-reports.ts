/**
 * Batched reports of a pull worker: each item is checked and recorded in its own transaction, so
 * one stale, foreign or unknown item is answered with its problem and changes nothing, while the
 * others are stored. Paths of an item's problem name it (`reports[3].attempt`).
 */
import type { ReportItem, ReportResult } from "../../contract/worker-reports";
import { fail, type Problem, ProblemError } from "../../domain/problem";
import type { RunStore } from "../runs/run-store";
import type { Transaction } from "../storage/database";
import type { Caller } from "../tenant/tenant-store";
import type { WorkerAttempts, WorkerReport } from "./worker-attempts";
import { assertClaimedBy, assertRunInPools } from "./worker-token-checks";

export class WorkerReports {
  constructor(
    private readonly runs: RunStore,
    private readonly attempts: WorkerAttempts,
    private readonly transaction: Transaction,
  ) {}

  /** Records each of `items` for worker `workerId`, answering each in order. */
  record(
    workerId: string,
    items: readonly ReportItem[],
    caller: Caller,
    now: number,
  ): ReportResult[] {
    return items.map((item, i) => this.recordOne(workerId, item, `reports[${i}]`, caller, now));
  }

  private recordOne(
    workerId: string,
    item: ReportItem,
    at: string,
    caller: Caller,
    now: number,
  ): ReportResult {
    const answer = { run_id: item.run_id, attempt: item.attempt };
    try {
      return this.transaction(() => {
        const run = this.runs.require(item.run_id);
        if (run.pool === null) {
          throw fail.conflict(
            `Run ${run.id} is delivered by webhook; workers cannot report on it.`,
            [{ path: "run_id", message: "not a run of a worker target" }],
          );
        }
        assertRunInPools(run, caller);
        assertClaimedBy(run, caller);
        this.attempts.report(run, reportOf(workerId, item), now);
        const status = this.runs.require(run.id).status;
        return { ...answer, recorded: true, run_status: status, problem: null };
      });
    } catch (error) {
      // Anything else (a storage failure) fails the request; the items before it stay recorded.
      if (!(error instanceof ProblemError)) throw error;
      return {
        ...answer,
        recorded: false,
        run_status: null,
        problem: itemProblem(error.problem, at),
      };
    }
  }
}

function reportOf(workerId: string, item: ReportItem): WorkerReport {
  if (item.kind === "complete") {
    return {
      kind: "complete",
      worker_id: workerId,
      attempt: item.attempt,
      ...(item.result === undefined ? {} : { result: item.result }),
    };
  }
  return {
    kind: "fail",
    worker_id: workerId,
    attempt: item.attempt,
    error: item.error,
    retryable: item.retryable,
  };
}

/** Fields of an item; other paths (`worker_id`, `authorization`) are the request's. */
const ITEM_FIELDS = new Set(["kind", "run_id", "attempt", "result", "error", "retryable"]);

/** The problem with the item's field paths under it (`reports[3].attempt`; the run when none). */
function itemProblem(p: Problem, at: string): Problem {
  const errors = p.errors?.length ? p.errors : [{ path: "run_id", message: p.detail }];
  const { retry_after: _, ...rest } = p;
  return {
    ...rest,
    errors: errors.map((e) => (ITEM_FIELDS.has(e.path) ? { ...e, path: `${at}.${e.path}` } : e)),
  };
}
