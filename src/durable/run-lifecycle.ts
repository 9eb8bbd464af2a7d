/**
 * A tenant's run modules wired together: occurrences create runs, dispatch queues them, attempts
 * move them on, control cancels, replays, holds and releases them, the task graph moves a graph
 * occurrence's tasks on. Every change is synchronous,
 * goes through `RunStore.transition`, and is wrapped in a transaction by the caller.
 */
import { AttemptLifecycle } from "./attempt-lifecycle";
import type { AttemptStore } from "./attempt-store";
import type { Counters } from "./counters";
import type { JobStore } from "./job-store";
import { Occurrences } from "./occurrences";
import { RunControl } from "./run-control";
import { RunDispatch } from "./run-dispatch";
import { RunLog } from "./run-log";
import type { RunStore } from "./run-store";
import { TaskGraph } from "./task-graph";

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
