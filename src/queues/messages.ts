/** What travels on the run queues, and what consumers and the object exchange about it. */
import type { HttpTarget } from "../contract/job";
import type { AttemptOutcome } from "../contract/run";
import type { Priority } from "../domain/priority";

/** One attempt of one run, sent to the queue of its priority. Small: ids and times only. */
export interface RunMessage {
  tenant_id: string;
  run_id: string;
  job_id: string;
  /** The attempt this message may start; a stale or duplicate message fails its claim. */
  attempt: number;
  /** Occurrence key (job id and scheduled time). */
  key: string;
  scheduled_for: number;
  priority: Priority;
  dispatched_at: number;
}

/** What a task's delivery carries about one upstream task (keyed by its task key). */
export type UpstreamResult =
  | { type: "http"; run_id: string; status_code: number | null; body: string | null }
  | { type: "worker"; run_id: string; result: unknown };

/** What a task's delivery carries: its occurrence, its own key, and its upstream results. */
export interface TaskEnvelope {
  /** The occurrence (the graph's parent run), sent as `x-scheduler-run-id`. */
  run_id: string;
  key: string;
  upstream: Record<string, UpstreamResult>;
}

export interface ClaimRequest {
  run_id: string;
  attempt: number;
}

/** A claimed attempt: everything the consumer needs to execute it. */
export interface ClaimedAttempt {
  run_id: string;
  job_id: string;
  attempt: number;
  scheduled_for: number;
  /** The run's priority (for the attempt's Analytics Engine data point). */
  priority: Priority;
  /** When the object started the attempt (the attempt's `started_at`; fire lag is measured to it). */
  claimed_at: number;
  target: HttpTarget;
  timeout_seconds: number;
  /** A task of a graph: its occurrence, key and upstream results (the delivery's envelope). */
  task?: TaskEnvelope;
}

export interface ClaimResponse {
  claimed: ClaimedAttempt[];
  /** Secrets to sign with (current first); several sign at once while a rotation overlaps. */
  signing_secrets: string[];
}

export interface AttemptResult {
  run_id: string;
  attempt: number;
  outcome: Exclude<AttemptOutcome, "running" | "lease_expired">;
  status_code: number | null;
  started_at: number;
  duration_ms: number;
  response_body: string | null;
  error: string | null;
  /** A pull worker's verdict on a failure; webhooks leave it to the status code and `retry_on`. */
  retryable?: boolean;
}
