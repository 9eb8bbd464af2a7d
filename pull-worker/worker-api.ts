/** The worker library's public shapes: the run a claim hands over, the handler, options, limits. */

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
