// What the bench sends to W12's bench-only Worker and what it answers (POST /prepare, /drive).

export interface PrepareInput {
  tenant_id: string;
  runs: number;
  /** When every job is due (ms since the epoch). */
  due_at: number;
}

export interface DriveInput {
  tenant_id: string;
  token: string | null;
  runs: number;
  claim_size: number;
  concurrency: number;
  /** `echo`: the calibration object; the driver makes up the messages itself. */
  object: "tenant" | "echo";
  deadline_ms: number;
}

export interface DriveResult {
  runs: number;
  claimed: number;
  claimed_twice: number;
  not_claimed: number;
  claim_calls: number;
  report_calls: number;
  first_message_at: number | null;
  last_report_at: number;
  drive_started_at: number;
  /** Counter growth read from the object's metrics (null for the echo object). */
  counters: Record<string, number> | null;
}
