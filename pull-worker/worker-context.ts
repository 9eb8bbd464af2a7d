/** What the parts of one worker share: its settings, its connection, the runs it holds, its phase. */
import type { HeldRuns } from "./held-runs.ts";
import type { ReportBuffer } from "./report-buffer.ts";
import type { SchedulerClient } from "./scheduler-client.ts";
import type { WorkerSettings } from "./worker-options.ts";

export type Phase = "idle" | "running" | "draining" | "stopped";

export interface WorkerContext {
  readonly settings: WorkerSettings;
  readonly client: SchedulerClient;
  readonly held: HeldRuns;
  readonly reports: ReportBuffer;
  /** Aborted by drain() and stop(): wakes sleeps and waits of the claim loop. */
  readonly lifecycle: AbortController;
  /** Aborted by stop() only: cancels requests in flight. */
  readonly halt: AbortController;
  /** The phase read anew (a field would stay narrowed across awaits). */
  phase(): Phase;
  setPhase(phase: Phase): void;
}
