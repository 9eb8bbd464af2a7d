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
 * The API is section 10 of the product contract (src/contract/worker.ts on the server side).
 */
import { hostname } from "node:os";
import { sendsTokenInClear } from "./plain-http.ts";
import { ReportBuffer, type ReportItem, type ReportResult } from "./report-buffer.ts";

/** A run as the claim hands it over. */
export interface ClaimedRun {
  run_id: string;
  attempt: number;
  job_id: string;
  pool: string;
  payload: unknown;
  /** The last checkpoint any attempt of this run saved, or null. */
  checkpoint: unknown;
  lease_expires_at: string;
  timeout_seconds: number;
  scheduled_for: string;
  priority: string;
}

export interface RunContext {
  /** The last checkpoint of this run: the claim's, or the last one saved by this attempt. */
  readonly checkpoint: unknown;
  /** Keeps `value` (JSON, at most 64 KiB) as the run's checkpoint; sent with the next heartbeat. */
  saveCheckpoint(value: unknown): void;
  /** Reports progress (JSON, at most 4 KiB) with the next heartbeat. */
  progress(value: unknown): void;
  /** Aborted when the run is cancelled, no longer this worker's, or the drain grace ends. */
  readonly signal: AbortSignal;
}

/** What the handler returns becomes the run's result (JSON, at most 64 KiB); a throw fails the attempt. */
export type Handler = (run: ClaimedRun, ctx: RunContext) => Promise<unknown>;

export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export interface WorkerOptions {
  /** The scheduler's base URL, e.g. `https://scheduler.example.com`. */
  url: string;
  /** A tenant token with the `worker` (or `write`) scope. */
  token: string;
  pools: string[];
  /** Defaults to `<hostname>-<pid>`. */
  workerId?: string;
  /** Runs executed at once (1..100). */
  concurrency?: number;
  /** How long one claim waits for work when none is ready (0..25 s). */
  waitSeconds?: number;
  /**
   * How long a claim or heartbeat keeps a run (1..600 s; the scheduler's default, 30 s, when
   * absent). Heartbeats go every third of it.
   */
  leaseSeconds?: number;
  /**
   * How long a finished run's report may wait to go with others (0..1000 ms, default 200): the
   * next claim carries it, or one batch sends every report that waited this long. After a claim
   * that brought runs, the next claim waits this long too, so a busy worker claims (and reports)
   * several runs per request.
   */
  reportLingerMs?: number;
  handler: Handler;
  /** Where the worker's own lines go; by default warnings and errors to stderr. */
  log?: Logger;
}

export interface Worker {
  readonly workerId: string;
  /** Claims and runs until drained (by `drain`, or by `POST /v1/workers/:id/drain`) or stopped. */
  start(): Promise<void>;
  /**
   * Graceful shutdown: tells the scheduler, stops claiming, lets running handlers finish for up to
   * `graceMs`, then aborts them and reports them failed (retryable). Calling it again with a
   * shorter grace shortens the wait. Resolves when every run is reported.
   */
  drain(graceMs?: number): Promise<void>;
  /**
   * Abandons everything at once: no more requests, handlers aborted, nothing reported. The runs'
   * leases expire and the scheduler retries them from their last checkpoint (like a crash).
   */
  stop(): void;
}

/** Throw it (or any error with `retryable = false`) to fail the run without a further attempt. */
export class RunError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "RunError";
    this.retryable = options.retryable ?? true;
  }
}

export const LIMITS = {
  maxClaim: 100,
  maxWaitSeconds: 25,
  maxLeaseSeconds: 600,
  maxCheckpointBytes: 64 * 1024,
  maxResultBytes: 64 * 1024,
  maxProgressBytes: 4 * 1024,
  maxErrorLength: 4096,
  maxReportLingerMs: 1000,
} as const;

/** Bytes of checkpoints and progress one worker heartbeat carries; the rest go per run. */
const BEAT_NEWS_BYTES = 192 * 1024;
/** A claim carrying reports waits at most this long, so their answers are not held by a long poll. */
const CARRYING_WAIT_SECONDS = 1;

/** Retries of one request on network errors, 408, 429 and 5xx before it counts as failed. */
const REPORT_TRIES = 8;
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 30_000;
/** A handler that ignores its aborted signal is given up on after this long. */
const ABORT_WAIT_MS = 10_000;
const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const POOL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

interface Answer {
  status: number;
  /** The parsed JSON body (a problem on errors); null when empty. */
  body: unknown;
  retryAfterMs: number | null;
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: { path?: string; message?: string }[];
}

interface LeaseAnswer {
  run_id: string;
  attempt: number;
  lease_expires_at: string | null;
  cancel: boolean;
  cancel_reason: string | null;
}

/** Why a run's signal was aborted: it decides what (if anything) is reported. */
type AbortReason = "cancel" | "lost" | "drain" | "stop";

interface Active {
  run: ClaimedRun;
  controller: AbortController;
  abortReason: AbortReason | null;
  cancelReason: string | null;
  /** Local time (skew corrected) the lease ends, and when the next heartbeat is due. */
  leaseEndsAt: number;
  beatEveryMs: number;
  nextBeatAt: number;
  checkpoint: unknown;
  /** Bumped on each save; `sentCheckpoint` is the version the scheduler has. */
  checkpointVersion: number;
  sentCheckpoint: number;
  progress: unknown;
  progressVersion: number;
  sentProgress: number;
  /** Settles when the run left the worker (reported, or given up). */
  done: Promise<void>;
  /** The handler settled (or was given up on). */
  settled: boolean;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Exponential backoff, jittered over its upper half: 125-250 ms, then 250-500 ms, ... at most 30 s. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Seconds or an HTTP date, as milliseconds from now; null when absent or unreadable. */
function retryAfter(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

const isTransient = (status: number) => status === 408 || status === 429 || status >= 500;

/** `status title: detail (path: message, ...)` of a problem answer. */
export function describeProblem(answer: { status: number; body: unknown }): string {
  if (!answer.body || typeof answer.body !== "object") return `HTTP ${answer.status}`;
  const p = answer.body as Problem;
  const errors = Array.isArray(p.errors)
    ? p.errors.map((e) => `${e?.path ?? ""}: ${e?.message ?? ""}`).join("; ")
    : "";
  return `HTTP ${answer.status} ${p.title ?? ""}${p.detail ? `: ${p.detail}` : ""}${errors ? ` (${errors})` : ""}`;
}

/** JSON text of `value` when it is JSON and at most `maxBytes` long; throws otherwise. */
function jsonWithin(value: unknown, maxBytes: number, what: string): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${what} must be JSON`);
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) throw new RangeError(`${what} is ${bytes} bytes, more than ${maxBytes}`);
  return text;
}

const defaultLog: Logger = (level, message, fields) => {
  if (level === "warn" || level === "error") {
    console.error(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}`);
  }
};

/** A worker id from the host name and process id, within the scheduler's worker id syntax. */
export function defaultWorkerId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9_.-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "");
  return `${(host || "worker").slice(0, 100)}-${process.pid}`;
}

export function createWorker(options: WorkerOptions): Worker {
  const base = options.url.replace(/\/+$/, "");
  const workerId = options.workerId ?? defaultWorkerId();
  const concurrency = options.concurrency ?? 1;
  const waitSeconds = options.waitSeconds ?? 20;
  const { leaseSeconds } = options;
  const lingerMs = options.reportLingerMs ?? 200;
  const log = options.log ?? defaultLog;
  const { handler, token } = options;
  const pools = [...options.pools];

  if (!/^https?:\/\//.test(base)) throw new TypeError(`url must be http(s): ${options.url}`);
  if (!token) throw new TypeError("token is required");
  if (!WORKER_ID.test(workerId)) throw new TypeError(`workerId ${workerId} is not a valid id`);
  if (pools.length === 0 || pools.some((p) => !POOL.test(p)))
    throw new TypeError(`pools must be 1-63 letters, digits, '_', '.', '-': ${pools.join(",")}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > LIMITS.maxClaim)
    throw new RangeError(`concurrency must be an integer 1..${LIMITS.maxClaim}`);
  if (!(waitSeconds >= 0 && waitSeconds <= LIMITS.maxWaitSeconds))
    throw new RangeError(`waitSeconds must be 0..${LIMITS.maxWaitSeconds}`);
  if (
    leaseSeconds !== undefined &&
    !(Number.isInteger(leaseSeconds) && leaseSeconds >= 1 && leaseSeconds <= LIMITS.maxLeaseSeconds)
  )
    throw new RangeError(`leaseSeconds must be an integer 1..${LIMITS.maxLeaseSeconds}`);
  if (!(lingerMs >= 0 && lingerMs <= LIMITS.maxReportLingerMs))
    throw new RangeError(`reportLingerMs must be 0..${LIMITS.maxReportLingerMs}`);
  if (sendsTokenInClear(base))
    log(
      "warn",
      `${base} is plain http to another machine: the token travels unencrypted and anyone on the way can read it and use it; use https`,
    );

  const active = new Map<string, Active>();
  /** Aborted by drain() and stop(): wakes sleeps and waits of the claim loop. */
  const lifecycle = new AbortController();
  /** Aborted by stop() only: cancels requests in flight. */
  const halt = new AbortController();
  let state: "idle" | "running" | "draining" | "stopped" = "idle";
  /** `state` read anew (TypeScript keeps a narrowed `state` across awaits). */
  const stateNow = () => state;
  let claimInFlight: Promise<unknown> | null = null;
  let claimController: AbortController | null = null;
  let drainPromise: Promise<void> | null = null;
  let graceDeadline = 0;
  let graceWake: (() => void) | null = null;
  let slotWaiters: (() => void)[] = [];
  /** Server clock minus ours, from the Date header; applied only beyond 2 s. */
  let skewMs = 0;
  let beatTimer: NodeJS.Timeout | null = null;
  let beating = false;
  const reports = new ReportBuffer(lingerMs, sendReports);
  /** Runs whose handler has not settled: they hold slots (a run waiting for its report does not). */
  const busy = () => [...active.values()].filter((a) => !a.settled).length;

  // ---------------------------------------------------------------- HTTP

  async function request(method: string, path: string, body?: unknown, signal?: AbortSignal) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        "user-agent": "edge-scheduler-worker/0.1",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, halt.signal]) : halt.signal,
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { title: text.slice(0, 200) };
    }
    const date = Date.parse(response.headers.get("date") ?? "");
    if (!Number.isNaN(date)) {
      // The Date header has whole seconds: the server's clock is within [date, date + 1 s).
      const skew = date + 500 - Date.now();
      skewMs = Math.abs(skew) > 2000 ? skew : 0;
    }
    return {
      status: response.status,
      body: parsed,
      retryAfterMs: retryAfter(response.headers.get("retry-after")),
    } satisfies Answer;
  }

  /**
   * A request retried on network errors, 408, 429 (after Retry-After) and 5xx with bounded backoff,
   * `tries` times at most; throws the last network error, or returns the last transient answer.
   */
  async function send(path: string, body: unknown, tries: number): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      let answer: Answer | null = null;
      let failure: unknown = null;
      try {
        answer = await request("POST", path, body);
        if (!isTransient(answer.status)) return answer;
      } catch (error) {
        if (halt.signal.aborted) throw error;
        failure = error;
      }
      if (attempt >= tries) {
        if (answer) return answer;
        throw failure;
      }
      const wait = Math.min(60_000, answer?.retryAfterMs ?? backoffMs(attempt));
      log("debug", `retrying ${path} in ${wait} ms`, {
        reason: answer ? describeProblem(answer) : String(failure),
      });
      await sleep(wait, halt.signal);
    }
  }

  // ---------------------------------------------------------------- leases and heartbeats

  function applyLease(a: Active, leaseExpiresAt: string | null) {
    if (!leaseExpiresAt) {
      a.nextBeatAt = Date.now() + a.beatEveryMs;
      return;
    }
    const remaining = Date.parse(leaseExpiresAt) - (Date.now() + skewMs);
    a.leaseEndsAt = Date.now() + remaining;
    // A third of the lease, measured when it was granted (at least 1 s, at most 5 min).
    a.beatEveryMs = Math.min(300_000, Math.max(1000, remaining / 3));
    a.nextBeatAt = Date.now() + a.beatEveryMs;
  }

  function applyCancel(a: Active, answer: LeaseAnswer) {
    if (answer.cancel && !a.abortReason) {
      a.cancelReason = answer.cancel_reason ?? "cancelled";
      abortRun(a, "cancel");
      log("info", `run ${a.run.run_id} cancelled: ${a.cancelReason}`, { run_id: a.run.run_id });
    }
  }

  function abortRun(a: Active, reason: AbortReason) {
    if (a.abortReason) return;
    a.abortReason = reason;
    a.controller.abort(new Error(`run ${reason}`));
  }

  function lostRun(a: Active, why: string) {
    if (a.abortReason === "lost") return;
    log(
      a.settled ? "debug" : "warn",
      `run ${a.run.run_id} attempt ${a.run.attempt} is no longer ours: ${why}`,
      {
        run_id: a.run.run_id,
      },
    );
    a.abortReason = null;
    abortRun(a, "lost");
  }

  function scheduleBeat() {
    if (beatTimer) clearTimeout(beatTimer);
    beatTimer = null;
    if (state === "stopped" || beating || active.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const a of active.values()) next = Math.min(next, a.nextBeatAt);
    beatTimer = setTimeout(() => void beat(), Math.max(0, next - Date.now()));
  }

  /** Sends the checkpoint/progress not yet sent (and extends the lease) with a per-run heartbeat. */
  async function runHeartbeat(a: Active): Promise<void> {
    const checkpointVersion = a.checkpointVersion;
    const progressVersion = a.progressVersion;
    const body: Record<string, unknown> = { worker_id: workerId, attempt: a.run.attempt };
    if (checkpointVersion !== a.sentCheckpoint) body.checkpoint = a.checkpoint;
    if (progressVersion !== a.sentProgress) body.progress = a.progress;
    const answer = await request(
      "POST",
      `/v1/runs/${encodeURIComponent(a.run.run_id)}/heartbeat`,
      body,
    );
    if (answer.status === 200) {
      a.sentCheckpoint = checkpointVersion;
      a.sentProgress = progressVersion;
      const lease = answer.body as LeaseAnswer;
      applyLease(a, lease.lease_expires_at ?? null);
      applyCancel(a, lease);
      if ("checkpoint" in body) {
        log("info", `checkpoint sent for run ${a.run.run_id}`, {
          run_id: a.run.run_id,
          attempt: a.run.attempt,
        });
      }
      return;
    }
    if (answer.status === 409 || answer.status === 404) return lostRun(a, describeProblem(answer));
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
  async function beat(): Promise<void> {
    if (beating || state === "stopped") return;
    beating = true;
    beatTimer = null;
    try {
      const now = Date.now();
      const due = [...active.values()].filter((a) => a.nextBeatAt <= now + 250);
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
          runHeartbeat(a).catch((error) => {
            failed.push(a);
            log("warn", `heartbeat of run ${a.run.run_id} failed: ${String(error)}`);
          }),
        ),
      );
      const rest = due.filter((a) => !alone.includes(a));
      if (rest.length > 0) {
        try {
          await workerHeartbeat(rest);
        } catch (error) {
          failed.push(...rest);
          log("warn", `worker heartbeat failed: ${String(error)}`);
        }
      }
      for (const a of failed) {
        // Try again soon, faster than a third of the lease; give up once the lease is long gone.
        const remaining = a.leaseEndsAt - Date.now();
        if (remaining < -a.beatEveryMs) lostRun(a, "lease expired without a heartbeat answer");
        else a.nextBeatAt = Date.now() + Math.min(5000, Math.max(500, remaining / 6));
      }
    } finally {
      beating = false;
      scheduleBeat();
    }
  }

  /** Bytes of the checkpoint and progress saved since the run's last heartbeat (0: none). */
  function newsBytes(a: Active): number {
    let bytes = 0;
    if (a.checkpointVersion !== a.sentCheckpoint) bytes += jsonBytes(a.checkpoint);
    if (a.progressVersion !== a.sentProgress) bytes += jsonBytes(a.progress);
    return bytes;
  }

  async function workerHeartbeat(runs: Active[]): Promise<void> {
    // The runs named are answered too: `cancel` for one that is no longer this worker's. Each
    // carries the checkpoint and progress saved since its last heartbeat.
    const sent = runs.map((a) => ({
      a,
      checkpointVersion: a.checkpointVersion,
      progressVersion: a.progressVersion,
    }));
    const answer = await request("POST", `/v1/workers/${encodeURIComponent(workerId)}/heartbeat`, {
      runs: sent.map(({ a, checkpointVersion, progressVersion }) => ({
        run_id: a.run.run_id,
        attempt: a.run.attempt,
        ...(checkpointVersion !== a.sentCheckpoint ? { checkpoint: a.checkpoint } : {}),
        ...(progressVersion !== a.sentProgress ? { progress: a.progress } : {}),
      })),
    });
    if (isTransient(answer.status)) throw new Error(describeProblem(answer));
    if (answer.status !== 200) {
      // The scheduler does not know this worker (any more): fall back to per-run heartbeats.
      log("warn", `worker heartbeat refused (${describeProblem(answer)}); beating per run`);
      await Promise.all(runs.map((a) => runHeartbeat(a)));
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
        applyLease(a, lease.lease_expires_at);
        applyCancel(a, lease);
      } else missing.push(a);
    }
    // Not listed: the per-run heartbeat's answer decides (a 409 means the attempt is not ours).
    await Promise.all(missing.map((a) => runHeartbeat(a)));
  }

  // ---------------------------------------------------------------- runs

  function startRun(run: ClaimedRun) {
    const key = keyOf(run);
    if (active.has(key)) {
      log("warn", `run ${run.run_id} attempt ${run.attempt} claimed twice; ignored`);
      return;
    }
    // A newer attempt of a run still running here: the older one is not current any more.
    for (const other of active.values()) {
      if (other.run.run_id === run.run_id) lostRun(other, `attempt ${run.attempt} was claimed`);
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
    applyLease(a, run.lease_expires_at);
    active.set(key, a);
    log(
      "info",
      `claimed run ${run.run_id} attempt ${run.attempt} (job ${run.job_id}, pool ${run.pool})`,
      {
        run_id: run.run_id,
        attempt: run.attempt,
        job_id: run.job_id,
      },
    );
    a.done = execute(a)
      .catch((error) => log("error", `run ${run.run_id}: ${String(error)}`))
      .finally(() => {
        active.delete(key);
        wakeSlotWaiters();
        scheduleBeat();
      });
    scheduleBeat();
  }

  async function execute(a: Active): Promise<void> {
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
    wakeSlotWaiters();
    if (state === "stopped" || a.abortReason === "stop") return;
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
        return report(a, "fail", { error: `invalid result: ${message(error)}`, retryable: false });
      }
      return report(
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
      await runHeartbeat(a).catch((e) => log("warn", `checkpoint not sent: ${String(e)}`));
      if ((a.abortReason as AbortReason | null) === "lost") return;
    }
    return report(a, "fail", { error: text, retryable });
  }

  /** Sends one batch of reports (retried like any report); a refused request refuses each item. */
  async function sendReports(items: ReportItem[]): Promise<ReportResult[]> {
    const path = `/v1/workers/${encodeURIComponent(workerId)}/reports`;
    const answer = await send(path, { reports: items }, REPORT_TRIES);
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
  }

  async function report(a: Active, kind: "complete" | "fail", fields: Record<string, unknown>) {
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
      answer = await reports.add(item as ReportItem);
    } catch (error) {
      log(
        stateNow() === "stopped" ? "debug" : "error",
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

  // ---------------------------------------------------------------- claiming

  function slotFreed(): Promise<void> {
    return new Promise((resolve) => slotWaiters.push(resolve));
  }

  function wakeSlotWaiters() {
    const waiters = slotWaiters;
    slotWaiters = [];
    for (const wake of waiters) wake();
  }

  async function claimLoop(): Promise<void> {
    let failures = 0;
    while (state === "running") {
      const free = concurrency - busy();
      if (free <= 0) {
        await Promise.race([slotFreed(), sleep(60_000, lifecycle.signal)]);
        continue;
      }
      const began = Date.now();
      let answer: Answer;
      claimController = new AbortController();
      // The reports of runs finished meanwhile ride along; such a claim waits only briefly, so
      // their answers (and the slots' next runs) are not held by a long poll.
      const carried = reports.takeForClaim();
      const claim = request(
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
        claimController.signal,
      );
      claimInFlight = claim.catch(() => {});
      try {
        answer = await claim;
      } catch (error) {
        // Whether the scheduler saw them is unknown: they go again (idempotent per attempt).
        reports.giveBack(carried, false);
        if (stateNow() === "stopped" || claimController.signal.aborted) break;
        failures++;
        const wait = backoffMs(failures);
        log(
          "warn",
          `claim failed: ${String((error as Error)?.cause ?? error)}; again in ${wait} ms`,
        );
        await sleep(wait, lifecycle.signal);
        continue;
      } finally {
        claimInFlight = null;
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
        for (const run of runs) startRun(run);
        if (claimed?.draining && stateNow() === "running") {
          log(
            "warn",
            `worker ${workerId} is drained (POST /v1/workers/${workerId}/drain): a drained id gets no runs again; finishing the ${active.size} in flight, then stopping`,
          );
          state = "draining";
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

  // ---------------------------------------------------------------- lifecycle

  async function settleAll(): Promise<void> {
    while (active.size > 0) await Promise.all([...active.values()].map((a) => a.done));
  }

  /** Resolves once the drain's grace period is over; `graceDeadline` may move earlier meanwhile. */
  async function graceEnds(): Promise<void> {
    while (Date.now() < graceDeadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceDeadline - Date.now());
        graceWake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async function drainNow(graceMs: number): Promise<void> {
    const graceOver = graceEnds();
    log(
      "info",
      `draining: no new runs; ${active.size} running, grace ${Math.round(graceMs / 1000)} s`,
    );
    const told = send(`/v1/workers/${encodeURIComponent(workerId)}/drain`, undefined, 3).then(
      (answer) => {
        if (answer.status !== 200) log("warn", `drain refused: ${describeProblem(answer)}`);
      },
      (error) => log("warn", `drain not announced: ${String(error)}`),
    );
    // A claim in flight may still bring runs (the scheduler answers it at once once drained);
    // waiting for it rather than aborting it keeps such runs from waiting out a lease.
    if (claimInFlight) {
      const claim = claimInFlight;
      const timeout = sleep((waitSeconds + 5) * 1000, halt.signal);
      await Promise.race([claim, timeout, graceOver]);
      claimController?.abort();
    }
    await told;
    // Nothing claims any more: reports go by batch at once.
    reports.flushNow();
    await Promise.race([settleAll(), graceOver]);
    graceDeadline = 0;
    graceWake?.();
    if (active.size > 0) {
      log(
        "warn",
        `grace period over: stopping ${active.size} run(s), reported as failed (retryable)`,
      );
      for (const a of active.values()) abortRun(a, "drain");
      await settleAll();
    }
    log("info", "drained");
  }

  let startPromise: Promise<void> | null = null;

  return {
    workerId,
    start() {
      if (startPromise) return startPromise;
      if (state !== "idle") return Promise.resolve();
      state = "running";
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
          await claimLoop();
        } catch (error) {
          fatal = error;
          if (state === "running") state = "draining";
          log("error", `${String((error as Error).message ?? error)}; finishing runs in flight`);
        }
        // Drained by the scheduler or a fatal claim error: the runs in flight finish normally.
        await Promise.race([drainPromise ?? settleAll(), stopped]);
        if (beatTimer) clearTimeout(beatTimer);
        if (fatal) throw fatal;
      })();
      return startPromise;
    },
    drain(graceMs = 30_000) {
      if (drainPromise) {
        if (Date.now() + graceMs < graceDeadline) {
          graceDeadline = Date.now() + graceMs;
          graceWake?.();
        }
        return drainPromise;
      }
      if (state === "stopped") return Promise.resolve();
      state = "draining";
      graceDeadline = Date.now() + graceMs;
      lifecycle.abort();
      const waiters = slotWaiters;
      slotWaiters = [];
      for (const wake of waiters) wake();
      drainPromise = drainNow(graceMs);
      return drainPromise;
    },
    stop() {
      if (state === "stopped") return;
      state = "stopped";
      for (const a of active.values()) abortRun(a, "stop");
      lifecycle.abort();
      halt.abort();
      claimController?.abort();
      if (beatTimer) clearTimeout(beatTimer);
      beatTimer = null;
      reports.close();
    },
  };
}

const keyOf = (run: { run_id: string; attempt: number }) => `${run.run_id}#${run.attempt}`;

function message(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "null");

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
