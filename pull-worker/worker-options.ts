/** createWorker's options checked and given their defaults (bad options throw before anything starts). */
import { hostname } from "node:os";
import { sendsTokenInClear } from "./plain-http.ts";
import { type Handler, LIMITS, type Logger, type WorkerOptions } from "./worker-api.ts";

const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const POOL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The options as the worker uses them: every default applied, every bound checked. */
export interface WorkerSettings {
  /** The scheduler's base URL without trailing slashes. */
  base: string;
  token: string;
  workerId: string;
  pools: string[];
  concurrency: number;
  waitSeconds: number;
  leaseSeconds: number | undefined;
  lingerMs: number;
  log: Logger;
  handler: Handler;
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

/** Applies the defaults and checks the bounds; throws TypeError/RangeError naming the option. */
export function resolveOptions(options: WorkerOptions): WorkerSettings {
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
  return {
    base,
    token,
    workerId,
    pools,
    concurrency,
    waitSeconds,
    leaseSeconds,
    lingerMs,
    log,
    handler,
  };
}
