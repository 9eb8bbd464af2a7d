/** Sending a finished attempt's outcome: through the report buffer, in batches, and logging the scheduler's answer. */
import type { Active } from "./held-runs.ts";
import type { ReportItem, ReportResult } from "./report-buffer.ts";
import { describeProblem, isTransient, type SchedulerClient } from "./scheduler-client.ts";
import { LIMITS } from "./worker-api.ts";
import type { WorkerContext } from "./worker-context.ts";

/** Retries of one request on network errors, 408, 429 and 5xx before it counts as failed. */
const REPORT_TRIES = 8;

/**
 * The report buffer's batch sender: one `POST /v1/workers/{id}/reports` (retried like any
 * report); a refused request refuses each item.
 */
export function reportBatchSender(client: SchedulerClient, workerId: string) {
  return async (items: ReportItem[]): Promise<ReportResult[]> => {
    const path = `/v1/workers/${encodeURIComponent(workerId)}/reports`;
    const answer = await client.send(path, { reports: items }, REPORT_TRIES);
    if (answer.status === 200) return (answer.body as { reports: ReportResult[] }).reports;
    if (isTransient(answer.status)) throw new Error(describeProblem(answer));
    const problem = { ...(answer.body as object), status: answer.status };
    return items.map((item) => ({
      run_id: item.run_id,
      attempt: item.attempt,
      recorded: false,
      run_status: null,
      problem,
    }));
  };
}

/** Reports the attempt's outcome and logs what became of it; never throws. */
export async function reportOutcome(
  ctx: WorkerContext,
  a: Active,
  kind: "complete" | "fail",
  fields: Record<string, unknown>,
) {
  const { log } = ctx.settings;
  const { run } = a;
  const item =
    kind === "complete"
      ? { kind, run_id: run.run_id, attempt: run.attempt, ...fields }
      : {
          kind,
          run_id: run.run_id,
          attempt: run.attempt,
          error: clip(String(fields.error), LIMITS.maxErrorLength),
          retryable: fields.retryable !== false,
        };
  let answer: ReportResult;
  try {
    answer = await ctx.reports.add(item as ReportItem);
  } catch (error) {
    log(
      ctx.phase() === "stopped" ? "debug" : "error",
      `could not report run ${run.run_id} (${kind}): ${String(error)}; its lease will expire`,
    );
    return;
  }
  if (answer.recorded) {
    const status = answer.run_status;
    if (kind === "complete") {
      log("info", `completed run ${run.run_id} attempt ${run.attempt}`, {
        run_id: run.run_id,
        status,
      });
    } else {
      log(
        "info",
        `failed run ${run.run_id} attempt ${run.attempt}${fields.retryable === false ? " (not retryable)" : ""}: ${String(fields.error).split("\n")[0]}`,
        { run_id: run.run_id, status },
      );
    }
    return;
  }
  const refusal = { status: answer.problem?.status ?? 0, body: answer.problem };
  if (refusal.status === 409) {
    log(
      a.abortReason === "cancel" ? "info" : "warn",
      `report of run ${run.run_id} attempt ${run.attempt} refused, no longer current: ${describeProblem(refusal)}`,
    );
    return;
  }
  log("error", `report of run ${run.run_id} (${kind}) refused: ${describeProblem(refusal)}`);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
