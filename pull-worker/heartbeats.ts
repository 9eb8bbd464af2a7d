/** Keeping held runs' leases: one worker heartbeat per round carrying checkpoints and progress, per-run beats as fallback. */
import { type Active, abortRun, keyOf } from "./held-runs.ts";
import { describeProblem, isTransient } from "./scheduler-client.ts";
import type { WorkerContext } from "./worker-context.ts";

/** Bytes of checkpoints and progress one worker heartbeat carries; the rest go per run. */
const BEAT_NEWS_BYTES = 192 * 1024;

interface LeaseAnswer {
  run_id: string;
  attempt: number;
  lease_expires_at: string | null;
  cancel: boolean;
  cancel_reason: string | null;
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "null");

export class Heartbeats {
  private readonly ctx: WorkerContext;
  private timer: NodeJS.Timeout | null = null;
  private beating = false;

  constructor(ctx: WorkerContext) {
    this.ctx = ctx;
  }

  /** Takes the lease the scheduler granted; the next beat is due a third of it later. */
  applyLease(a: Active, leaseExpiresAt: string | null) {
    if (!leaseExpiresAt) {
      a.nextBeatAt = Date.now() + a.beatEveryMs;
      return;
    }
    const remaining = Date.parse(leaseExpiresAt) - (Date.now() + this.ctx.client.skewMs);
    a.leaseEndsAt = Date.now() + remaining;
    // A third of the lease, measured when it was granted (at least 1 s, at most 5 min).
    a.beatEveryMs = Math.min(300_000, Math.max(1000, remaining / 3));
    a.nextBeatAt = Date.now() + a.beatEveryMs;
  }

  private applyCancel(a: Active, answer: LeaseAnswer) {
    if (answer.cancel && !a.abortReason) {
      a.cancelReason = answer.cancel_reason ?? "cancelled";
      abortRun(a, "cancel");
      this.ctx.settings.log("info", `run ${a.run.run_id} cancelled: ${a.cancelReason}`, {
        run_id: a.run.run_id,
      });
    }
  }

  /** The attempt is not this worker's any more: its handler is aborted and nothing is reported. */
  lostRun(a: Active, why: string) {
    if (a.abortReason === "lost") return;
    this.ctx.settings.log(
      a.settled ? "debug" : "warn",
      `run ${a.run.run_id} attempt ${a.run.attempt} is no longer ours: ${why}`,
      {
        run_id: a.run.run_id,
      },
    );
    a.abortReason = null;
    abortRun(a, "lost");
  }

  /** Sets the timer for the earliest beat due among the held runs. */
  schedule() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const { held } = this.ctx;
    if (this.ctx.phase() === "stopped" || this.beating || held.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const a of held.values()) next = Math.min(next, a.nextBeatAt);
    this.timer = setTimeout(() => void this.beat(), Math.max(0, next - Date.now()));
  }

  /** No more beats (the worker stopped or finished). */
  cancel() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Sends the checkpoint/progress not yet sent (and extends the lease) with a per-run heartbeat. */
  async runHeartbeat(a: Active): Promise<void> {
    const { log, workerId } = this.ctx.settings;
    const checkpointVersion = a.checkpointVersion;
    const progressVersion = a.progressVersion;
    const body: Record<string, unknown> = { worker_id: workerId, attempt: a.run.attempt };
    if (checkpointVersion !== a.sentCheckpoint) body.checkpoint = a.checkpoint;
    if (progressVersion !== a.sentProgress) body.progress = a.progress;
    const answer = await this.ctx.client.request(
      "POST",
      `/v1/runs/${encodeURIComponent(a.run.run_id)}/heartbeat`,
      body,
    );
    if (answer.status === 200) {
      a.sentCheckpoint = checkpointVersion;
      a.sentProgress = progressVersion;
      const lease = answer.body as LeaseAnswer;
      this.applyLease(a, lease.lease_expires_at ?? null);
      this.applyCancel(a, lease);
      if ("checkpoint" in body) {
        log("info", `checkpoint sent for run ${a.run.run_id}`, {
          run_id: a.run.run_id,
          attempt: a.run.attempt,
        });
      }
      return;
    }
    if (answer.status === 409 || answer.status === 404)
      return this.lostRun(a, describeProblem(answer));
    if (isTransient(answer.status)) throw new Error(describeProblem(answer));
    // 400/413: the checkpoint or progress was refused; drop it rather than resend it forever.
    log("error", `heartbeat of run ${a.run.run_id} refused: ${describeProblem(answer)}`);
    a.sentCheckpoint = checkpointVersion;
    a.sentProgress = progressVersion;
  }

  /**
   * One heartbeat round: one per-worker beat for every due run, carrying their new checkpoints and
   * progress (up to `BEAT_NEWS_BYTES`); runs whose news do not fit get a per-run beat.
   */
  private async beat(): Promise<void> {
    if (this.beating || this.ctx.phase() === "stopped") return;
    const { log } = this.ctx.settings;
    this.beating = true;
    this.timer = null;
    try {
      const now = Date.now();
      const due = [...this.ctx.held.values()].filter((a) => a.nextBeatAt <= now + 250);
      // Whatever the answers say (a refused checkpoint, say), the next beat is a third of a lease away.
      for (const a of due) a.nextBeatAt = now + a.beatEveryMs;
      let budget = BEAT_NEWS_BYTES;
      const alone: Active[] = [];
      for (const a of due) {
        const bytes = newsBytes(a);
        if (bytes <= budget) budget -= bytes;
        else alone.push(a);
      }
      const failed: Active[] = [];
      await Promise.all(
        alone.map((a) =>
          this.runHeartbeat(a).catch((error) => {
            failed.push(a);
            log("warn", `heartbeat of run ${a.run.run_id} failed: ${String(error)}`);
          }),
        ),
      );
      const rest = due.filter((a) => !alone.includes(a));
      if (rest.length > 0) {
        try {
          await this.workerHeartbeat(rest);
        } catch (error) {
          failed.push(...rest);
          log("warn", `worker heartbeat failed: ${String(error)}`);
        }
      }
      for (const a of failed) {
        // Try again soon, faster than a third of the lease; give up once the lease is long gone.
        const remaining = a.leaseEndsAt - Date.now();
        if (remaining < -a.beatEveryMs) this.lostRun(a, "lease expired without a heartbeat answer");
        else a.nextBeatAt = Date.now() + Math.min(5000, Math.max(500, remaining / 6));
      }
    } finally {
      this.beating = false;
      this.schedule();
    }
  }

  private async workerHeartbeat(runs: Active[]): Promise<void> {
    const { log, workerId } = this.ctx.settings;
    // The runs named are answered too: `cancel` for one that is no longer this worker's. Each
    // carries the checkpoint and progress saved since its last heartbeat.
    const sent = runs.map((a) => ({
      a,
      checkpointVersion: a.checkpointVersion,
      progressVersion: a.progressVersion,
    }));
    const answer = await this.ctx.client.request(
      "POST",
      `/v1/workers/${encodeURIComponent(workerId)}/heartbeat`,
      {
        runs: sent.map(({ a, checkpointVersion, progressVersion }) => ({
          run_id: a.run.run_id,
          attempt: a.run.attempt,
          ...(checkpointVersion !== a.sentCheckpoint ? { checkpoint: a.checkpoint } : {}),
          ...(progressVersion !== a.sentProgress ? { progress: a.progress } : {}),
        })),
      },
    );
    if (isTransient(answer.status)) throw new Error(describeProblem(answer));
    if (answer.status !== 200) {
      // The scheduler does not know this worker (any more): fall back to per-run heartbeats.
      log("warn", `worker heartbeat refused (${describeProblem(answer)}); beating per run`);
      await Promise.all(runs.map((a) => this.runHeartbeat(a)));
      return;
    }
    const byRun = new Map<string, LeaseAnswer>();
    const leases = (answer.body as { runs?: LeaseAnswer[] } | null)?.runs ?? [];
    for (const lease of leases) byRun.set(keyOf(lease), lease);
    const missing: Active[] = [];
    for (const { a, checkpointVersion, progressVersion } of sent) {
      const lease = byRun.get(keyOf(a.run));
      if (lease) {
        // Saved when the attempt is still current (no cancel); otherwise there is no next use.
        if (checkpointVersion !== a.sentCheckpoint && !lease.cancel) {
          log("info", `checkpoint sent for run ${a.run.run_id}`, {
            run_id: a.run.run_id,
            attempt: a.run.attempt,
          });
        }
        a.sentCheckpoint = checkpointVersion;
        a.sentProgress = progressVersion;
        this.applyLease(a, lease.lease_expires_at);
        this.applyCancel(a, lease);
      } else missing.push(a);
    }
    // Not listed: the per-run heartbeat's answer decides (a 409 means the attempt is not ours).
    await Promise.all(missing.map((a) => this.runHeartbeat(a)));
  }
}

/** Bytes of the checkpoint and progress saved since the run's last heartbeat (0: none). */
function newsBytes(a: Active): number {
  let bytes = 0;
  if (a.checkpointVersion !== a.sentCheckpoint) bytes += jsonBytes(a.checkpoint);
  if (a.progressVersion !== a.sentProgress) bytes += jsonBytes(a.progress);
  return bytes;
}
