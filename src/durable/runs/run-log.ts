/** The log line about one run: tenant, job, run, attempt and priority, then the event's fields. */
import { type LogFields, log, logDebug } from "../../observability/log";
import type { RunRow } from "../storage/schema";

export class RunLog {
  /** The tenant id is read per line: the object is built before its tenant exists. */
  constructor(private readonly tenantId: () => string) {}

  info(event: string, run: RunRow, fields: LogFields = {}): void {
    this.write(event, run, fields, "info");
  }

  debug(event: string, run: RunRow, fields: LogFields = {}): void {
    this.write(event, run, fields, "debug");
  }

  write(event: string, run: RunRow, fields: LogFields, level: "info" | "debug"): void {
    (level === "debug" ? logDebug : log)(event, {
      tenant_id: this.tenantId(),
      job_id: run.jobId,
      run_id: run.id,
      attempt: run.attempt,
      priority: run.priority,
      // A graph's task names its occurrence and key (Analytics Engine points do too).
      ...(run.taskKey !== null ? { occurrence_id: run.parentId, task: run.taskKey } : {}),
      ...fields,
    });
  }
}
