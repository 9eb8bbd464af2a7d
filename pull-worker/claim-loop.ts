/** The claim loop: long-polls for as many runs as there are free slots, carrying finished runs' reports, backing off on failure. */
import type { ReportResult } from "./report-buffer.ts";
import { type Answer, backoffMs, describeProblem, isTransient, sleep } from "./scheduler-client.ts";
import { type ClaimedRun, LIMITS } from "./worker-api.ts";
import type { WorkerContext } from "./worker-context.ts";

/** A claim carrying reports waits at most this long, so their answers are not held by a long poll. */
const CARRYING_WAIT_SECONDS = 1;

export class ClaimLoop {
  /** The claim waiting for its answer (settles, never rejects); drain waits for it. */
  inFlight: Promise<unknown> | null = null;
  /** Aborts the current claim (drain, stop). */
  controller: AbortController | null = null;

  private readonly ctx: WorkerContext;
  private readonly startRun: (run: ClaimedRun) => void;

  constructor(ctx: WorkerContext, startRun: (run: ClaimedRun) => void) {
    this.ctx = ctx;
    this.startRun = startRun;
  }

  /**
   * Claims while the worker runs; returns when drained (by the scheduler, drain() or stop()),
   * throws when the scheduler refuses the claim for good.
   */
  async run(): Promise<void> {
    const { ctx } = this;
    const { held, reports, lifecycle } = ctx;
    const { log, workerId, pools, concurrency, waitSeconds, leaseSeconds, lingerMs } = ctx.settings;
    let failures = 0;
    while (ctx.phase() === "running") {
      const free = concurrency - held.busy();
      if (free <= 0) {
        await Promise.race([held.slotFreed(), sleep(60_000, lifecycle.signal)]);
        continue;
      }
      const began = Date.now();
      let answer: Answer;
      const controller = new AbortController();
      this.controller = controller;
      // The reports of runs finished meanwhile ride along; such a claim waits only briefly, so
      // their answers (and the slots' next runs) are not held by a long poll.
      const carried = reports.takeForClaim();
      const claim = ctx.client.request(
        "POST",
        "/v1/workers/claim",
        {
          worker_id: workerId,
          pools,
          max: Math.min(free, LIMITS.maxClaim),
          wait_seconds: carried.length ? Math.min(waitSeconds, CARRYING_WAIT_SECONDS) : waitSeconds,
          ...(leaseSeconds === undefined ? {} : { lease_seconds: leaseSeconds }),
          ...(carried.length ? { reports: carried.map((p) => p.item) } : {}),
        },
        controller.signal,
      );
      this.inFlight = claim.catch(() => {});
      try {
        answer = await claim;
      } catch (error) {
        // Whether the scheduler saw them is unknown: they go again (idempotent per attempt).
        reports.giveBack(carried, false);
        if (ctx.phase() === "stopped" || controller.signal.aborted) break;
        failures++;
        const wait = backoffMs(failures);
        log(
          "warn",
          `claim failed: ${String((error as Error)?.cause ?? error)}; again in ${wait} ms`,
        );
        await sleep(wait, lifecycle.signal);
        continue;
      } finally {
        this.inFlight = null;
      }
      if (answer.status !== 200) {
        // Not recorded: they go by a batch of their own, whose answer says what is wrong.
        reports.giveBack(carried, !isTransient(answer.status));
      }
      if (answer.status === 200) {
        failures = 0;
        const claimed = answer.body as {
          runs?: ClaimedRun[];
          draining?: boolean;
          reports?: ReportResult[];
        } | null;
        reports.answered(carried, claimed?.reports);
        const runs = claimed?.runs ?? [];
        // Runs a claim brings are this worker's, even while draining: they run under the grace.
        for (const run of runs) this.startRun(run);
        if (claimed?.draining && ctx.phase() === "running") {
          log(
            "warn",
            `worker ${workerId} is drained (POST /v1/workers/${workerId}/drain): a drained id gets no runs again; finishing the ${held.size} in flight, then stopping`,
          );
          ctx.setPhase("draining");
          break;
        }
        // A claim that answers at once with nothing (wait_seconds 0) must not spin.
        if (runs.length === 0 && Date.now() - began < 1000 && !carried.length)
          await sleep(1000, lifecycle.signal);
        // Runs are coming: let more become ready (and these finish) so the next claim takes
        // and reports several at once.
        if (runs.length > 0 && lingerMs > 0) await sleep(lingerMs, lifecycle.signal);
        continue;
      }
      if (isTransient(answer.status)) {
        failures++;
        const wait = Math.min(60_000, answer.retryAfterMs ?? backoffMs(failures));
        log(
          answer.status === 429 ? "info" : "warn",
          `claim: ${describeProblem(answer)}; again in ${wait} ms`,
        );
        await sleep(wait, lifecycle.signal);
        continue;
      }
      if (carried.length && (answer.status === 400 || answer.status === 413)) continue;
      if (answer.status === 403) {
        // A suspended tenant (or a token without the scope): may change, so wait and try again.
        failures++;
        log("error", `claim refused: ${describeProblem(answer)}; again in 30 s`);
        await sleep(30_000, lifecycle.signal);
        continue;
      }
      throw new Error(`claim refused: ${describeProblem(answer)}`);
    }
  }
}
