/**
 * A tenant's run modules wired together: occurrences create runs, dispatch queues them, attempts
 * move them on, control cancels, replays, holds and releases them, the task graph moves a graph
 * occurrence's tasks on. Every change is synchronous,
 * goes through `RunStore.transition`, and is wrapped in a transaction by the caller.
 */

import { RunDispatch } from "../dispatch/run-dispatch";
import { TaskGraph } from "../graphs/task-graph";
import type { JobStore } from "../jobs/job-store";
import type { Counters } from "../metrics/counters";
import type { AttemptStore } from "../runs/attempt-store";
import { RunLog } from "../runs/run-log";
import type { RunStore } from "../runs/run-store";
import { AttemptLifecycle } from "./attempt-lifecycle";
import { Occurrences } from "./occurrences";
import { RunControl } from "./run-control";

export class RunLifecycle {
  readonly control: RunControl;
  readonly dispatch: RunDispatch;
  readonly occurrences: Occurrences;
  readonly attempts: AttemptLifecycle;
  readonly graph: TaskGraph;

  /** `tenantId` is read when needed, not now: the object exists before its tenant does. */
  constructor(
    tenantId: () => string,
    jobs: JobStore,
    runs: RunStore,
    attemptStore: AttemptStore,
    counters: Counters,
  ) {
    const runLog = new RunLog(tenantId);
    this.graph = new TaskGraph(jobs, runs, runLog);
    this.control = new RunControl(tenantId, jobs, runs, runLog, this.graph);
    this.dispatch = new RunDispatch(tenantId, jobs, runs, runLog);
    this.occurrences = new Occurrences(jobs, runs, this.control, this.dispatch, runLog, this.graph);
    this.attempts = new AttemptLifecycle(
      jobs,
      runs,
      attemptStore,
      counters,
      this.control,
      runLog,
      this.graph,
    );
  }
}
