/** Graceful shutdown: tell the scheduler, stop claiming, let held runs finish within the grace, then abort and report the rest. */
import type { ClaimLoop } from "./claim-loop.ts";
import { abortRun } from "./held-runs.ts";
import { describeProblem, sleep } from "./scheduler-client.ts";
import type { WorkerContext } from "./worker-context.ts";

export class Drain {
  /** Settles once drained; null until drain() is called. */
  promise: Promise<void> | null = null;

  private readonly ctx: WorkerContext;
  private readonly claims: ClaimLoop;
  private graceDeadline = 0;
  private graceWake: (() => void) | null = null;

  constructor(ctx: WorkerContext, claims: ClaimLoop) {
    this.ctx = ctx;
    this.claims = claims;
  }

  /** Worker.drain: starts draining, or shortens the grace of a drain under way. */
  begin(graceMs: number): Promise<void> {
    const { ctx } = this;
    if (this.promise) {
      if (Date.now() + graceMs < this.graceDeadline) {
        this.graceDeadline = Date.now() + graceMs;
        this.graceWake?.();
      }
      return this.promise;
    }
    if (ctx.phase() === "stopped") return Promise.resolve();
    ctx.setPhase("draining");
    this.graceDeadline = Date.now() + graceMs;
    ctx.lifecycle.abort();
    ctx.held.wakeSlotWaiters();
    this.promise = this.drainNow(graceMs);
    return this.promise;
  }

  /** Resolves once the drain's grace period is over; `graceDeadline` may move earlier meanwhile. */
  private async graceEnds(): Promise<void> {
    while (Date.now() < this.graceDeadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.graceDeadline - Date.now());
        this.graceWake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async drainNow(graceMs: number): Promise<void> {
    const { ctx } = this;
    const { held } = ctx;
    const { log, workerId, waitSeconds } = ctx.settings;
    const graceOver = this.graceEnds();
    log(
      "info",
      `draining: no new runs; ${held.size} running, grace ${Math.round(graceMs / 1000)} s`,
    );
    const told = ctx.client
      .send(`/v1/workers/${encodeURIComponent(workerId)}/drain`, undefined, 3)
      .then(
        (answer) => {
          if (answer.status !== 200) log("warn", `drain refused: ${describeProblem(answer)}`);
        },
        (error) => log("warn", `drain not announced: ${String(error)}`),
      );
    // A claim in flight may still bring runs (the scheduler answers it at once once drained);
    // waiting for it rather than aborting it keeps such runs from waiting out a lease.
    if (this.claims.inFlight) {
      const claim = this.claims.inFlight;
      const timeout = sleep((waitSeconds + 5) * 1000, ctx.halt.signal);
      await Promise.race([claim, timeout, graceOver]);
      this.claims.controller?.abort();
    }
    await told;
    // Nothing claims any more: reports go by batch at once.
    ctx.reports.flushNow();
    await Promise.race([held.settleAll(), graceOver]);
    this.graceDeadline = 0;
    this.graceWake?.();
    if (held.size > 0) {
      log(
        "warn",
        `grace period over: stopping ${held.size} run(s), reported as failed (retryable)`,
      );
      for (const a of held.values()) abortRun(a, "drain");
      await held.settleAll();
    }
    log("info", "drained");
  }
}
