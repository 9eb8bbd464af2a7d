/**
 * A pull worker as a library (Node 22, built-ins only): claims runs of its pools from the scheduler
 * by long polling, runs a handler per run (up to `concurrency` at once), keeps the leases alive
 * with one heartbeat per worker (carrying saved checkpoints and progress), aborts a handler when
 * its run is cancelled or no longer ours, and reports outcomes in batches: the next claim carries
 * them, or one request sends those that waited `reportLingerMs` (report-buffer.ts).
 *
 *   const worker = createWorker({ url, token, pools: ["video"], handler: async (run, ctx) => … });
 *   process.on("SIGTERM", () => void worker.drain(30_000));
 *   await worker.start();              // resolves once drained (or stopped)
 *
 * The API is section 10 of the product contract (src/contract/worker.ts on the server side). This
 * file puts the parts together: worker-options.ts (checked options), claim-loop.ts, run-execution.ts
 * (a run's life), heartbeats.ts, run-reports.ts and report-buffer.ts (outcomes), drain.ts.
 */
import { ClaimLoop } from "./claim-loop.ts";
import { Drain } from "./drain.ts";
import { Heartbeats } from "./heartbeats.ts";
import { abortRun, HeldRuns } from "./held-runs.ts";
import { ReportBuffer } from "./report-buffer.ts";
import { RunExecution } from "./run-execution.ts";
import { reportBatchSender } from "./run-reports.ts";
import { SchedulerClient } from "./scheduler-client.ts";
import type { Worker, WorkerOptions } from "./worker-api.ts";
import type { Phase, WorkerContext } from "./worker-context.ts";
import { resolveOptions } from "./worker-options.ts";

export { backoffMs, describeProblem } from "./scheduler-client.ts";
export {
  type ClaimedRun,
  type Handler,
  LIMITS,
  type Logger,
  type LogLevel,
  type RunContext,
  RunError,
  type Worker,
  type WorkerOptions,
} from "./worker-api.ts";
export { defaultWorkerId } from "./worker-options.ts";

export function createWorker(options: WorkerOptions): Worker {
  const settings = resolveOptions(options);
  const { workerId, pools, concurrency, log } = settings;

  /** Aborted by drain() and stop(): wakes sleeps and waits of the claim loop. */
  const lifecycle = new AbortController();
  /** Aborted by stop() only: cancels requests in flight. */
  const halt = new AbortController();
  let phase: Phase = "idle";
  const client = new SchedulerClient(settings.base, settings.token, halt.signal, log);
  const ctx: WorkerContext = {
    settings,
    client,
    held: new HeldRuns(),
    reports: new ReportBuffer(settings.lingerMs, reportBatchSender(client, workerId)),
    lifecycle,
    halt,
    phase: () => phase,
    setPhase: (next) => {
      phase = next;
    },
  };
  const heartbeats = new Heartbeats(ctx);
  const execution = new RunExecution(ctx, heartbeats);
  const claims = new ClaimLoop(ctx, (run) => execution.startRun(run));
  const drain = new Drain(ctx, claims);
  let startPromise: Promise<void> | null = null;

  return {
    workerId,
    start() {
      if (startPromise) return startPromise;
      if (phase !== "idle") return Promise.resolve();
      phase = "running";
      log(
        "info",
        `worker ${workerId} claiming pools ${pools.join(", ")} (concurrency ${concurrency})`,
      );
      startPromise = (async () => {
        const stopped = new Promise<void>((resolve) =>
          halt.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        let fatal: unknown = null;
        try {
          await claims.run();
        } catch (error) {
          fatal = error;
          if (ctx.phase() === "running") phase = "draining";
          log("error", `${String((error as Error).message ?? error)}; finishing runs in flight`);
        }
        // Drained by the scheduler or a fatal claim error: the runs in flight finish normally.
        await Promise.race([drain.promise ?? ctx.held.settleAll(), stopped]);
        heartbeats.cancel();
        if (fatal) throw fatal;
      })();
      return startPromise;
    },
    drain(graceMs = 30_000) {
      return drain.begin(graceMs);
    },
    stop() {
      if (phase === "stopped") return;
      phase = "stopped";
      for (const a of ctx.held.values()) abortRun(a, "stop");
      lifecycle.abort();
      halt.abort();
      claims.controller?.abort();
      heartbeats.cancel();
      ctx.reports.close();
    },
  };
}
