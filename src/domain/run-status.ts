/** The run state machine: every status and every legal change between them. */

export const RUN_STATUSES = [
  "pending",
  "queued",
  "running",
  "retrying",
  "succeeded",
  "dead",
  "cancelled",
  "skipped",
  "missed",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses in which a run still occupies its job (for overlap policies). */
export const ACTIVE_RUN_STATUSES = ["pending", "queued", "running", "retrying"] as const;
/**
 * A run that goes well passes through these (born pending when it waits for capacity); they are
 * kept out of the status index, so a run's happy path rewrites no index entry for its status.
 */
export const HAPPY_PATH_STATUSES = ["pending", "queued", "running", "succeeded"] as const;
/** Statuses that count against the tenant's in-flight cap. */
export const IN_FLIGHT_STATUSES = ["queued", "running"] as const;
export const TERMINAL_RUN_STATUSES = [
  "succeeded",
  "dead",
  "cancelled",
  "skipped",
  "missed",
] as const;

const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  // dispatched; claimed by a pull worker; cancelled; superseded by cancel_other
  pending: ["queued", "running", "cancelled"],
  // claimed by a consumer; held back by pause or suspension; cancelled; message dead-lettered
  // (a failed attempt: retried or dead by the job's retry policy)
  queued: ["running", "pending", "cancelled", "retrying", "dead"],
  // attempt outcomes; lease expiry goes to retrying or dead; cancelled while executing
  running: ["succeeded", "retrying", "dead", "cancelled"],
  // backoff over (sent, or claimed by a pull worker); held back by pause; cancelled
  retrying: ["queued", "running", "pending", "cancelled"],
  // replay
  dead: ["pending"],
  succeeded: [],
  cancelled: [],
  skipped: [],
  missed: [],
};

export function isTerminal(status: RunStatus): boolean {
  return (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws when `from -> to` is not a legal change; every status write goes through this. */
export function assertTransition(from: RunStatus, to: RunStatus): void {
  if (!canTransition(from, to)) throw new Error(`illegal run transition ${from} -> ${to}`);
}
