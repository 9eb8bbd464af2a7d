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
  "upstream_failed",
  "failed",
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
  "upstream_failed",
  "failed",
] as const;

/*
 * A task graph's occurrence (the parent run of a graph job) is `running` from the moment its tasks
 * exist (`pending` while buffered by `buffer_one`) until every task is final, then `succeeded`
 * (all tasks succeeded) or `failed`; replaying one of its dead tasks re-opens it (`failed` ->
 * `running`). It never executes itself and is never queued. Its tasks are runs like any other,
 * plus `upstream_failed`: a task downstream of a dead one, final and never executed, re-opened
 * (-> `pending`) when the dead task is replayed.
 */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  // dispatched; claimed by a pull worker (or a graph occurrence started); cancelled; superseded
  // by cancel_other; a task downstream of a dead task
  pending: ["queued", "running", "cancelled", "upstream_failed"],
  // claimed by a consumer; held back by pause or suspension; cancelled; message dead-lettered
  // (a failed attempt: retried or dead by the job's retry policy)
  queued: ["running", "pending", "cancelled", "retrying", "dead"],
  // attempt outcomes; lease expiry goes to retrying or dead; cancelled while executing; a graph
  // occurrence whose tasks are all final with one not succeeded
  running: ["succeeded", "retrying", "dead", "cancelled", "failed"],
  // backoff over (sent, or claimed by a pull worker); held back by pause; cancelled
  retrying: ["queued", "running", "pending", "cancelled"],
  // replay
  dead: ["pending"],
  succeeded: [],
  cancelled: [],
  skipped: [],
  missed: [],
  // a task: its dead upstream task was replayed
  upstream_failed: ["pending"],
  // a graph occurrence: one of its dead tasks was replayed
  failed: ["running"],
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
