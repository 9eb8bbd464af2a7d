/** Run pieces shared by the run lists: the status filter and the table. */
import type { Child } from "hono/jsx";
import { RUN_STATUSES } from "../../../domain/run-status";
import { type Run, taskKeyOf } from "../api";
import { WAITING_SHORT, waitingText } from "../flow-model";
import { Link } from "../router";
import { durationText } from "../time";
import { StatusBadge, Time } from "../ui/components";

export { RUN_STATUSES };
export type RunStatus = (typeof RUN_STATUSES)[number];

export function RunStatusFilter(props: {
  id: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>Status</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e: Event) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        <option value="">Any</option>
        {RUN_STATUSES.map((s) => (
          <option value={s}>{s}</option>
        ))}
      </select>
    </div>
  );
}

function duration(run: Run): string {
  if (!run.started_at || !run.finished_at) return "—";
  return durationText(Date.parse(run.finished_at) - Date.parse(run.started_at));
}

/** Runs as a table; `job` adds a column linking each run's job (the tenant-wide list). */
export function RunTable(props: {
  runs: Run[];
  showJob?: boolean;
  jobNames?: Record<string, string>;
  caption: string;
  select?: { selected: Set<string>; toggle: (id: string) => void };
  /** A last column with an action for each run. */
  action?: (run: Run) => Child;
}) {
  return (
    <table class="table responsive">
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          {props.select ? (
            <th scope="col">
              <span class="visually-hidden">Select</span>
            </th>
          ) : null}
          <th scope="col">Run</th>
          {props.showJob ? <th scope="col">Job</th> : null}
          <th scope="col">Status</th>
          <th scope="col">Scheduled for</th>
          <th scope="col">Attempts</th>
          <th scope="col">Fire lag</th>
          <th scope="col">Duration</th>
          <th scope="col">Last error</th>
          {props.action ? <th scope="col">Actions</th> : null}
        </tr>
      </thead>
      <tbody>
        {props.runs.map((run) => (
          <tr>
            {props.select ? (
              <td data-label="Select">
                <input
                  type="checkbox"
                  id={`select-${run.id}`}
                  aria-label={`Select run ${run.id}`}
                  checked={props.select.selected.has(run.id)}
                  onChange={() => props.select?.toggle(run.id)}
                />
              </td>
            ) : null}
            <td data-label="Run">
              <Link to={`/runs/${encodeURIComponent(run.id)}`} class="mono">
                {run.id}
              </Link>
              {run.trigger === "manual" ? <span class="muted small"> manual</span> : null}
              {taskKeyOf(run) ? <span class="muted small"> task {taskKeyOf(run)}</span> : null}
            </td>
            {props.showJob ? (
              <td data-label="Job">
                <Link to={`/jobs/${encodeURIComponent(run.job_id)}`}>
                  {props.jobNames?.[run.job_id] ?? run.job_id}
                </Link>
              </td>
            ) : null}
            <td data-label="Status">
              <StatusBadge status={run.status} />
              {run.waiting_reason ? (
                <span class="muted small" title={waitingText(run.waiting_reason, run.flow_key)}>
                  {" "}
                  waiting on {WAITING_SHORT[run.waiting_reason]}
                </span>
              ) : null}
            </td>
            <td data-label="Scheduled for">
              <Time iso={run.scheduled_for} />
            </td>
            <td data-label="Attempts">
              {run.attempt} of {run.max_attempts}
            </td>
            <td data-label="Fire lag">{durationText(run.fire_lag_ms)}</td>
            <td data-label="Duration">{duration(run)}</td>
            <td data-label="Last error" class="error-cell">
              {run.last_error ? (
                <span title={run.last_error}>{run.last_error.slice(0, 120)}</span>
              ) : (
                <span class="muted">—</span>
              )}
            </td>
            {props.action ? <td data-label="Actions">{props.action(run)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
