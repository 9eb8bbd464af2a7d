/**
 * Steps of the batched worker protocol: many reports in one request (with stale and foreign items
 * among them), reports carried by a claim, and one heartbeat for all of a worker's runs carrying
 * checkpoints. Each report is answered on its own; the checks here hold each answer to the rows.
 */
import type { ReportItem, ReportResult } from "../src/contract/worker-reports";
import { POOLS } from "./jobs";
import type { Random } from "./random";
import { checkStopIsDue } from "./worker-checks";
import { type SimWorker, Violation, type World } from "./world";

export type BatchAction =
  | { kind: "batchReport"; worker: number; pick: number; take: number; stale: boolean }
  | { kind: "claimCarrying"; worker: number; pick: number; take: number; max: number }
  | { kind: "heartbeatAll"; worker: number; pick: number };

export type BatchKind = BatchAction["kind"];

/** How often each step is chosen (relative weights, beside actions.ts's). */
export const BATCH_WEIGHTS: [BatchKind, number][] = [
  ["batchReport", 4],
  ["claimCarrying", 4],
  ["heartbeatAll", 3],
];

const KINDS = new Set<string>(BATCH_WEIGHTS.map(([kind]) => kind));

export function isBatchKind(kind: string): kind is BatchKind {
  return KINDS.has(kind);
}

export function isBatchAction(action: { kind: string }): action is BatchAction {
  return isBatchKind(action.kind);
}

export function randomBatchAction(kind: BatchKind, random: Random): BatchAction {
  const worker = random.int(3);
  const pick = random.float();
  switch (kind) {
    case "batchReport":
      return { kind, worker, pick, take: random.between(1, 4), stale: random.chance(0.5) };
    case "claimCarrying":
      return { kind, worker, pick, take: random.between(1, 4), max: random.between(1, 4) };
    case "heartbeatAll":
      return { kind, worker, pick };
  }
}

interface RunState {
  status: string;
  attempt: number;
  attempt_record: string | null;
  checkpoint: string | null;
}

function runState(world: World, runId: string): RunState | undefined {
  return world.storage.db
    .prepare("select status, attempt, attempt_record, checkpoint from runs where id = ?")
    .get(runId) as RunState | undefined;
}

/** Up to `take` of the runs the worker holds, starting at `pick`, each completed or failed. */
function reportsOf(worker: SimWorker, pick: number, take: number): ReportItem[] {
  const held = [...worker.held];
  const start = Math.floor(pick * held.length);
  return held
    .slice(start, start + take)
    .map(([run_id, attempt], i) =>
      (i + Math.floor(pick * 10)) % 3 === 2
        ? { kind: "fail", run_id, attempt, error: "simulated failure", retryable: i % 2 === 0 }
        : { kind: "complete", run_id, attempt, result: { i } },
    );
}

/** A report naming an attempt this worker does not hold: another worker's, or an old one. */
function staleItem(world: World, worker: SimWorker, pick: number): ReportItem | null {
  const others = world.storage.db
    .prepare("select id, attempt from runs where pool is not null and attempt > 0 order by id")
    .all() as { id: string; attempt: number }[];
  const candidates = others.filter((r) => !worker.held.has(r.id));
  const run = candidates[Math.floor(pick * candidates.length)];
  if (!run) return null;
  const attempt = pick < 0.5 ? run.attempt : Math.max(1, run.attempt - 1);
  return { kind: "complete", run_id: run.id, attempt };
}

/** Runs `action` against the world. */
export async function performBatch(world: World, action: BatchAction): Promise<void> {
  const worker = world.workers[action.worker % world.workers.length] as SimWorker;
  switch (action.kind) {
    case "batchReport": {
      const items = reportsOf(worker, action.pick, action.take);
      const stale = action.stale ? staleItem(world, worker, action.pick) : null;
      if (stale) items.splice(Math.floor(action.pick * items.length), 0, stale);
      if (!items.length) return;
      const before = new Map(items.map((item) => [item.run_id, runState(world, item.run_id)]));
      const results = await world.call(
        world.object.reportRuns(world.workerCredential, worker.id, items),
      );
      if (!results) return;
      checkAnswers(world, items, results, before);
      for (const item of items)
        if (worker.held.get(item.run_id) === item.attempt) world.release(worker, item.run_id);
      return;
    }
    case "claimCarrying": {
      if (worker.poll) return;
      const items = reportsOf(worker, action.pick, action.take);
      // The worker stops holding what it reports (a claim refused as a whole loses them: their
      // leases expire and the runs are retried).
      for (const item of items) world.release(worker, item.run_id);
      await world.claim(worker, {
        worker_id: worker.id,
        pools: [...POOLS],
        max: action.max,
        wait_seconds: 0,
        lease_seconds: 30,
        reports: items,
      });
      return;
    }
    case "heartbeatAll": {
      const held = [...worker.held].map(([run_id, attempt], i) => ({
        run_id,
        attempt,
        ...(i % 2 === 0 ? { checkpoint: { at: world.clock.now, i } } : {}),
      }));
      if (!held.length) return;
      const answers = await world.call(
        world.object.heartbeatWorker(world.workerCredential, worker.id, held),
      );
      for (const answer of answers ?? []) {
        if (!answer.cancel && answer.lease_expires_at !== null) {
          world.leaseAnswered(worker, answer);
          const sent = held.find((h) => h.run_id === answer.run_id);
          const stored = runState(world, answer.run_id)?.checkpoint ?? null;
          if (sent?.checkpoint && stored !== JSON.stringify(sent.checkpoint))
            throw new Violation(
              "a renewed heartbeat keeps the checkpoint it carried",
              `${answer.run_id}: sent ${JSON.stringify(sent.checkpoint)}, stored ${stored}`,
            );
          continue;
        }
        checkStopIsDue(world, answer.run_id, answer.attempt);
        world.release(worker, answer.run_id);
      }
      return;
    }
  }
}

/**
 * Each report is answered in order; one recorded named the run's current attempt, and one
 * refused left its run's attempt as it was.
 */
function checkAnswers(
  world: World,
  items: ReportItem[],
  results: ReportResult[],
  before: Map<string, RunState | undefined>,
): void {
  if (results.length !== items.length)
    throw new Violation(
      "every report is answered",
      `${items.length} reports, ${results.length} answers`,
    );
  items.forEach((item, i) => {
    const result = results[i] as ReportResult;
    const was = before.get(item.run_id);
    if (result.run_id !== item.run_id || result.attempt !== item.attempt)
      throw new Violation("reports are answered in order", `answer ${i} is for ${result.run_id}`);
    if (result.recorded && was?.attempt !== item.attempt)
      throw new Violation(
        "a report is recorded only for the run's current attempt",
        `${item.run_id} attempt ${item.attempt} recorded while the run was at attempt ${was?.attempt}`,
      );
    if (!result.recorded) {
      const now = runState(world, item.run_id);
      if (now?.attempt_record !== was?.attempt_record || now?.status !== was?.status)
        throw new Violation(
          "a refused report changes nothing",
          `${item.run_id}: ${JSON.stringify(was)} became ${JSON.stringify(now)} (${result.problem?.detail})`,
        );
      if (
        !result.problem?.errors?.some(
          (e) => e.path.startsWith(`reports[${i}].`) || !e.path.includes("["),
        )
      )
        throw new Violation("a refused report names its item", JSON.stringify(result.problem));
    }
  });
}
