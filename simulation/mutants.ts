/**
 * Deliberately broken copies of the object's code, one per invariant: each names the promise it
 * breaks and the source change that breaks it (most revert a fix the simulation or the review
 * prompted). `npm run simulate -- --mutants` builds each one and runs seeds until the simulation
 * reports a violation: a check that no mutant can make fail would be a check that cannot fail.
 */
export interface Mutant {
  invariant: string;
  /** What the broken copy does, in words. */
  change: string;
  /** Replacements in files under src/, each `from` found exactly once. */
  edits: { file: string; from: string; to: string }[];
}

const RUN_STORE = "src/durable/runs/run-store.ts";
const RUN_CONTROL = "src/durable/lifecycle/run-control.ts";

export const MUTANTS: Mutant[] = [
  {
    invariant: "an attempt starts at most once",
    change:
      "a duplicated message starts its attempt again (the claim accepts a run already running), without the status compare-and-set or the state-machine check",
    edits: [
      { file: RUN_STORE, from: "    assertTransition(run.status, to);\n", to: "" },
      {
        file: RUN_STORE,
        from: "this.updateColumns(run.id, { ...fields, status: to }, run.status);",
        to: "this.updateColumns(run.id, { ...fields, status: to });",
      },
      {
        file: "src/durable/lifecycle/attempt-lifecycle.ts",
        from: 'if (run?.status !== "queued" || run.attempt + 1 !== request.attempt) return null;',
        to: 'if (run === undefined || (run.status === "queued" ? run.attempt + 1 : run.attempt) !== request.attempt) return null;',
      },
    ],
  },
  {
    invariant: "no run is handed to a claim whose client has gone",
    change: "a waiting claim is served without asking whether its client is there (defect 6)",
    edits: [
      {
        file: "src/durable/workers/worker-claims.ts",
        from: "if (!(await stillConnected(claim))) {",
        to: "if (!(await stillConnected(claim)) && false) {",
      },
    ],
  },
  {
    invariant: "a finished run never changes",
    change: "a report moves a run that is no longer running (no state-machine check)",
    edits: [
      {
        file: RUN_STORE,
        from: "    assertTransition(run.status, to);\n",
        to: "",
      },
      {
        file: RUN_STORE,
        from: "this.updateColumns(run.id, { ...fields, status: to }, run.status);",
        to: "this.updateColumns(run.id, { ...fields, status: to });",
      },
      {
        file: "src/durable/lifecycle/attempt-lifecycle.ts",
        from: 'if (run.status !== "running" || run.attempt !== result.attempt) {',
        to: "if (run.attempt !== result.attempt) {",
      },
    ],
  },
  {
    invariant: "every status change is one the state machine allows",
    change: "cancelling marks a run `skipped` (no state-machine check)",
    edits: [
      { file: RUN_STORE, from: "    assertTransition(run.status, to);\n", to: "" },
      {
        file: RUN_CONTROL,
        from: 'return this.runs.transition(run, "cancelled", {',
        to: 'return this.runs.transition(run, "skipped", {',
      },
    ],
  },
  {
    invariant: "attempts only grow",
    change: "a replay starts the run's attempts from 0 again",
    edits: [
      {
        file: RUN_CONTROL,
        from: "      maxAttempts: run.attempt + job.maxAttempts,\n      dueAt: now,",
        to: "      attempt: 0,\n      maxAttempts: job.maxAttempts,\n      dueAt: now,",
      },
    ],
  },
  {
    invariant: "no run is lost",
    change: "retention prunes old runs whether or not they finished",
    edits: [
      {
        file: RUN_STORE,
        from: "          isNotNull(runs.finishedAt),\n          lt(runs.finishedAt, cutoff),\n",
        to: "",
      },
    ],
  },
  {
    invariant: "a finished run is never sent again",
    change: "a cancelled run keeps its dispatch time",
    edits: [
      {
        file: RUN_CONTROL,
        from: 'return this.runs.transition(run, "cancelled", {\n      dispatchAt: null,\n',
        to: 'return this.runs.transition(run, "cancelled", {\n',
      },
    ],
  },
  {
    invariant: "every gauge equals the count from the rows",
    change: "a status change adds to the new status's gauge without taking from the old one's",
    edits: [{ file: RUN_STORE, from: "    this.countIn(run, run.status, -1);\n", to: "" }],
  },
  {
    invariant: "the in-memory tables equal a fresh load from storage",
    change: "a run that ends stays among its job's runs in progress in memory",
    edits: [
      {
        file: RUN_STORE,
        from: "else this.active.remove(run.jobId, run.id);",
        to: "else void run;",
      },
    ],
  },
  {
    invariant: "every running attempt has a lease",
    change: "a worker's claim starts the attempt without a lease",
    edits: [
      {
        file: "src/durable/workers/worker-attempts.ts",
        from: "      leaseExpiresAt: lease,\n",
        to: "      leaseExpiresAt: null,\n",
      },
    ],
  },
  {
    invariant: "a running attempt keeps the lease it was given",
    change: "a restarted object gives running worker runs the default 30 s again (defect 3)",
    edits: [
      {
        file: "src/durable/runs/run-memory.ts",
        from: "const renewed = now + (r.leaseMs ?? defaultWorkerLeaseMs);",
        to: "const renewed = now + defaultWorkerLeaseMs;",
      },
    ],
  },
  {
    invariant: "no job has more runs in progress than its overlap policy allows",
    change: "overlap `skip` creates the run anyway",
    edits: [
      {
        file: "src/durable/lifecycle/occurrences.ts",
        from: 'case "skip":\n          return this.logCreated(',
        to: 'case "skip":\n          break;\n          return this.logCreated(',
      },
    ],
  },
  {
    invariant: "runs in flight never exceed the tenant's cap",
    change: "the send capacity ignores the in-flight cap",
    edits: [
      {
        file: "src/durable/dispatch-round.ts",
        from: "maxInFlight - queued - running",
        to: "maxInFlight * 50 - queued - running",
      },
    ],
  },
  {
    invariant: "a suspended tenant starts nothing",
    change: "a waiting claim is served after its tenant was suspended during the round (defect 12)",
    edits: [
      {
        file: "src/durable/worker-operations.ts",
        from: " || !parts.admits(claim.tokenId)",
        to: "",
      },
    ],
  },
  {
    invariant: "an unfinished occurrence keeps all its tasks",
    change: "retention prunes tasks on their own (defect 8)",
    edits: [
      {
        file: RUN_STORE,
        from: "          lt(runs.finishedAt, cutoff),\n          NOT_A_TASK_ROW,\n",
        to: "          lt(runs.finishedAt, cutoff),\n",
      },
      {
        file: RUN_STORE,
        from: "      if (run.parentId === run.id) doomed.push(...this.tasksOf(run.id));\n",
        to: "",
      },
    ],
  },
  {
    invariant: "a finished occurrence has no live task",
    change: "cancelling an occurrence leaves its tasks",
    edits: [
      {
        file: "src/durable/graphs/task-graph.ts",
        from: "cancelTasks(parent: RunRow, now: number, reason: string): void {",
        to: "cancelTasks(parent: RunRow, now: number, reason: string): void {\n    return;",
      },
    ],
  },
  {
    invariant: "no task starts before its dependencies succeed",
    change: "a task is ready when any of its dependencies succeeded",
    edits: [
      {
        file: "src/durable/graphs/task-graph.ts",
        from: 'deps.every((d) => d?.status === "succeeded")',
        to: 'deps.some((d) => d?.status === "succeeded") || deps.length === 0',
      },
    ],
  },
  {
    invariant: "memory of workers is bounded by the workers stored",
    change: "a worker's sighting is remembered before its row exists (defect 13)",
    edits: [
      {
        file: "src/durable/workers/worker-registry.ts",
        from: "const lastSeenAt = Math.max(now, this.seenAt.get(id) ?? 0);",
        to: "const lastSeenAt = Math.max(now, this.seenAt.get(id) ?? 0);\n    this.seenAt.set(id, lastSeenAt);",
      },
    ],
  },
  {
    invariant: "a heartbeat renews only the runs it names",
    change: "a worker's heartbeat renews every run under its id (defect 9)",
    edits: [
      {
        file: "src/durable/worker-operations.ts",
        from: "      for (const item of held) {",
        to: "      for (const item of [...held, ...this.poolRuns.runningOf(workerId).map((r) => ({ run_id: r.id, attempt: r.attempt }))]) {",
      },
    ],
  },
  {
    invariant: "a worker is told to stop only a run that was cancelled or moved on",
    change: "a paused job's running worker run is told to stop (defect 7)",
    edits: [
      {
        file: "src/durable/workers/worker-attempts.ts",
        from: "cancel: false, cancel_reason: null };",
        to: 'cancel: job.status === "paused", cancel_reason: null };',
      },
    ],
  },
  {
    invariant: "due jobs are turned into runs by the alarm",
    change: "the alarm does not wake for due jobs",
    edits: [{ file: "src/durable/dispatch-round.ts", from: "      jobs.nextDueAt(),\n", to: "" }],
  },
  {
    invariant: "a refused request changes nothing",
    change: "a refused change of a cancelled job bumps its version first",
    edits: [
      {
        file: "src/durable/job-operations.ts",
        from: '    if (job.status === "cancelled")\n      throw fail.conflict(`Job ${id} is cancelled and cannot change.`);',
        to: '    if (job.status === "cancelled") {\n      this.jobs.save({ ...job, version: job.version + 1 });\n      throw fail.conflict(`Job ${id} is cancelled and cannot change.`);\n    }',
      },
    ],
  },
  {
    invariant: "every run of a job that is not paused settles once everything answers",
    change: "a target change leaves the runs that wait where they were (defect 5)",
    edits: [
      {
        file: "src/durable/job-operations.ts",
        from: "      if (patch.target !== undefined || patch.flow_key !== undefined)\n",
        to: "      if (patch.flow_key !== undefined)\n",
      },
    ],
  },
  {
    invariant: "runs in flight never exceed a flow key's or destination's max_running",
    change: "admission forgets max_running (only the rate holds a key back)",
    edits: [
      {
        file: "src/durable/flow/flow-admission.ts",
        from: "    if (limits.max_running !== undefined && this.inFlight(kind, name) >= limits.max_running)\n      return true;\n",
        to: "",
      },
    ],
  },
  {
    invariant: "no rate period admits more than the burst plus the limit",
    change: "a run that starts takes no rate token",
    edits: [
      {
        file: "src/durable/flow/flow-admission.ts",
        from: "    if (rate) this.buckets.take(kind, name, rate, now);",
        to: "    if (rate) void now;",
      },
    ],
  },
  {
    invariant: "flow usage in memory equals the rows",
    change: "a run whose key changes keeps counting under its old key",
    edits: [
      {
        file: "src/durable/runs/flow-usage.ts",
        from: "    this.count(before, status, -1, true);\n    this.count(after, status, 1, true);",
        to: "    void after;\n    void status;",
      },
    ],
  },
];
