/**
 * What a worker token may act on. A token limited to pools claims only in them and acts only as
 * workers whose pools are all among them (claim, heartbeat, drain); a token without pools (every
 * worker token issued without `pools`, and write tokens) acts for every pool. A run's attempt
 * belongs to the token that claimed it: its heartbeats and reports must come with that token.
 */
import { ProblemError, problem } from "../../domain/problem";
import type { RunRow, WorkerRow } from "../storage/schema";
import type { Caller } from "../tenant/tenant-store";

const list = (pools: string[]) => pools.join(", ");

/** 403 naming `pools` when a claim asks for pools outside the token's. */
export function assertServesPools(caller: Caller, pools: string[]): void {
  if (caller.pools === null) return;
  const allowed = new Set(caller.pools);
  const outside = pools.filter((pool) => !allowed.has(pool));
  if (!outside.length) return;
  const message = `this token serves only ${list(caller.pools)}`;
  throw new ProblemError(
    problem(
      403,
      `pools: ${list(outside)} ${outside.length > 1 ? "are" : "is"} not among the pools this token serves (${list(caller.pools)}).`,
      [{ path: "pools", message }],
    ),
  );
}

/**
 * 403 naming `worker_id` when a token limited to pools names a worker that serves other pools
 * too: it may neither claim as that worker, nor heartbeat it, nor drain it. A worker not seen yet
 * passes (its first claim registers it with pools the claim check allowed).
 */
export function assertMayActAs(caller: Caller, worker: WorkerRow | undefined): void {
  if (caller.pools === null || !worker) return;
  const allowed = new Set(caller.pools);
  if (worker.pools.every((pool) => allowed.has(pool))) return;
  throw new ProblemError(
    problem(
      403,
      `worker_id: worker ${worker.id} serves pools (${list(worker.pools)}) outside this token's (${list(caller.pools)}).`,
      [{ path: "worker_id", message: "a worker of pools this token does not serve" }],
    ),
  );
}

/** Whether the run's current attempt was claimed with the caller's token (older attempts: yes). */
export function claimedBy(run: RunRow, caller: Caller): boolean {
  const tokenId = run.attemptRecord?.tokenId;
  return tokenId === undefined || tokenId === caller.tokenId;
}

/** 403 when the run's current attempt was claimed with another token. */
export function assertClaimedBy(run: RunRow, caller: Caller): void {
  if (claimedBy(run, caller)) return;
  const attempt = run.attemptRecord?.attempt;
  throw new ProblemError(
    problem(
      403,
      `Attempt ${attempt} of run ${run.id} was claimed with another token; its heartbeats and reports must come with the token that claimed it.`,
      [{ path: "authorization", message: "not the token that claimed this attempt" }],
    ),
  );
}

/** 403 naming `run_id` when a token limited to pools reports on a run of another pool. */
export function assertRunInPools(run: RunRow, caller: Caller): void {
  if (caller.pools === null || (run.pool !== null && caller.pools.includes(run.pool))) return;
  throw new ProblemError(
    problem(
      403,
      `Run ${run.id} is of pool ${run.pool ?? "(none)"}, not among the pools this token serves (${list(caller.pools)}).`,
      [{ path: "run_id", message: "a run of a pool this token does not serve" }],
    ),
  );
}
