/** A run's life on the worker: taken into the held runs, its handler called, given up on when deaf to abort, its outcome reported. */
import type { Heartbeats } from "./heartbeats.ts";
import { type AbortReason, type Active, keyOf } from "./held-runs.ts";
import { reportOutcome } from "./run-reports.ts";
import { type ClaimedRun, LIMITS, type RunContext } from "./worker-api.ts";
import type { WorkerContext } from "./worker-context.ts";

/** A handler that ignores its aborted signal is given up on after this long. */
const ABORT_WAIT_MS = 10_000;

/** JSON text of `value` when it is JSON and at most `maxBytes` long; throws otherwise. */
function jsonWithin(value: unknown, maxBytes: number, what: string): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${what} must be JSON`);
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) throw new RangeError(`${what} is ${bytes} bytes, more than ${maxBytes}`);
  return text;
}

function message(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
}

export class RunExecution {
  private readonly ctx: WorkerContext;
  private readonly heartbeats: Heartbeats;

  constructor(ctx: WorkerContext, heartbeats: Heartbeats) {
    this.ctx = ctx;
    this.heartbeats = heartbeats;
  }

  /** Holds a claimed run and starts its handler; the run leaves the held runs once reported. */
  startRun(run: ClaimedRun) {
    const { held } = this.ctx;
    const { log } = this.ctx.settings;
    const key = keyOf(run);
    if (held.byKey.has(key)) {
      log("warn", `run ${run.run_id} attempt ${run.attempt} claimed twice; ignored`);
      return;
    }
    // A newer attempt of a run still running here: the older one is not current any more.
    for (const other of held.values()) {
      if (other.run.run_id === run.run_id)
        this.heartbeats.lostRun(other, `attempt ${run.attempt} was claimed`);
    }
    const controller = new AbortController();
    const a: Active = {
      run,
      controller,
      abortReason: null,
      cancelReason: null,
      leaseEndsAt: Date.now() + 30_000,
      beatEveryMs: 10_000,
      nextBeatAt: Date.now() + 10_000,
      checkpoint: run.checkpoint ?? null,
      checkpointVersion: 0,
      sentCheckpoint: 0,
      progress: null,
      progressVersion: 0,
      sentProgress: 0,
      done: Promise.resolve(),
      settled: false,
    };
    this.heartbeats.applyLease(a, run.lease_expires_at);
    held.byKey.set(key, a);
    log(
      "info",
      `claimed run ${run.run_id} attempt ${run.attempt} (job ${run.job_id}, pool ${run.pool})`,
      {
        run_id: run.run_id,
        attempt: run.attempt,
        job_id: run.job_id,
      },
    );
    a.done = this.execute(a)
      .catch((error) => log("error", `run ${run.run_id}: ${String(error)}`))
      .finally(() => {
        held.byKey.delete(key);
        held.wakeSlotWaiters();
        this.heartbeats.schedule();
      });
    this.heartbeats.schedule();
  }

  private async execute(a: Active): Promise<void> {
    const { log, handler } = this.ctx.settings;
    const { run } = a;
    const ctx: RunContext = {
      get checkpoint() {
        return a.checkpoint;
      },
      saveCheckpoint(value: unknown) {
        a.checkpoint = JSON.parse(jsonWithin(value, LIMITS.maxCheckpointBytes, "checkpoint"));
        a.checkpointVersion++;
      },
      progress(value: unknown) {
        a.progress = JSON.parse(jsonWithin(value, LIMITS.maxProgressBytes, "progress"));
        a.progressVersion++;
      },
      signal: a.controller.signal,
    };
    let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
    const handled = Promise.resolve()
      .then(() => handler(run, ctx))
      .then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      );
    // A handler that ignores its aborted signal is given up on after ABORT_WAIT_MS.
    const givenUp = new Promise<null>((resolve) => {
      a.controller.signal.addEventListener(
        "abort",
        () => setTimeout(() => resolve(null), ABORT_WAIT_MS).unref(),
        { once: true },
      );
    });
    const settled = await Promise.race([handled, givenUp]);
    a.settled = true;
    // Its slot is free now: the report goes with the next claim (or a batch) meanwhile.
    this.ctx.held.wakeSlotWaiters();
    if (this.ctx.phase() === "stopped" || a.abortReason === "stop") return;
    if (a.abortReason === "lost") {
      log("info", `run ${run.run_id} attempt ${run.attempt} dropped (no longer ours)`);
      return;
    }
    if (settled === null) {
      outcome = {
        ok: false,
        error: new Error("the handler did not stop after its signal was aborted"),
      };
    } else outcome = settled;

    if (outcome.ok && a.abortReason !== "drain") {
      let resultText: string | undefined;
      try {
        resultText =
          outcome.result === undefined
            ? undefined
            : jsonWithin(outcome.result, LIMITS.maxResultBytes, "result");
      } catch (error) {
        return reportOutcome(this.ctx, a, "fail", {
          error: `invalid result: ${message(error)}`,
          retryable: false,
        });
      }
      return reportOutcome(
        this.ctx,
        a,
        "complete",
        resultText === undefined ? {} : { result: JSON.parse(resultText) },
      );
    }
    const error = outcome.ok ? null : outcome.error;
    let text: string;
    let retryable = true;
    if (a.abortReason === "drain")
      text = "worker drained: the grace period ended before the run did";
    else if (a.abortReason === "cancel") text = `stopped: ${a.cancelReason ?? "cancelled"}`;
    else {
      text = message(error);
      retryable = !(
        error &&
        typeof error === "object" &&
        (error as { retryable?: unknown }).retryable === false
      );
    }
    // The next attempt starts from the last checkpoint: make sure the scheduler has it.
    if (retryable && a.checkpointVersion !== a.sentCheckpoint) {
      await this.heartbeats
        .runHeartbeat(a)
        .catch((e) => log("warn", `checkpoint not sent: ${String(e)}`));
      if ((a.abortReason as AbortReason | null) === "lost") return;
    }
    return reportOutcome(this.ctx, a, "fail", { error: text, retryable });
  }
}
