/** One job: every field, its actions, its next fire times and its runs. */
import { api, isProblem, type Job, jobTasks, type Run, type Target, type TaskSpec } from "../api";
import { useAsync, useInterval, usePaged } from "../hooks";
import { Link, location, navigate, withQuery } from "../router";
import { useStore } from "../store";
import { durationText, formatInZone } from "../time";
import {
  Empty,
  ErrorBox,
  Facts,
  Json,
  Loading,
  More,
  Page,
  StatusBadge,
  Time,
} from "../ui/components";
import { TaskGraph } from "../ui/graph";
import { FireTimes } from "../ui/preview";
import { JobActions, jobZone, NextRun, ScheduleText } from "./job-common";
import { RunStatusFilter, RunTable } from "./run-common";

function targetText(t: Target): string {
  return t.type === "worker" ? `worker pool ${t.pool}` : `${t.method} ${t.url}`;
}

function TaskFacts(props: { tasks: TaskSpec[] }) {
  const edges = props.tasks.flatMap((t) =>
    (t.depends_on ?? []).map((from) => ({ from, to: t.key })),
  );
  return (
    <>
      <TaskGraph
        nodes={props.tasks.map((t) => ({
          key: t.key,
          detail: t.target.type === "worker" ? `pool ${t.target.pool}` : t.target.method,
        }))}
        edges={edges}
        label={`Task graph of ${props.tasks.length} tasks`}
      />
      <table class="table responsive compact">
        <caption class="visually-hidden">Tasks</caption>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Waits for</th>
            <th scope="col">Target</th>
          </tr>
        </thead>
        <tbody>
          {props.tasks.map((t) => (
            <tr>
              <td data-label="Task" class="mono">
                {t.key}
              </td>
              <td data-label="Waits for">
                {t.depends_on?.length ? (
                  t.depends_on.join(", ")
                ) : (
                  <span class="muted">nothing</span>
                )}
              </td>
              <td data-label="Target" class="mono break">
                {targetText(t.target)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function TargetFacts(props: { job: Job }) {
  const t = props.job.target;
  const tasks = jobTasks(props.job);
  if (!t || tasks) return <TaskFacts tasks={tasks ?? []} />;
  if (t.type === "worker")
    return (
      <Facts
        items={[
          ["Kind", "pull worker"],
          ["Pool", <code>{t.pool}</code>],
          ["Payload", <Json value={t.payload} label="Payload" />],
        ]}
      />
    );
  const headers = Object.entries(t.headers ?? {});
  return (
    <Facts
      items={[
        ["Kind", "webhook (HTTP)"],
        [
          "Request",
          <span class="mono break">
            {t.method} {t.url}
          </span>,
        ],
        [
          "Headers",
          headers.length ? (
            <ul class="plain-list mono">
              {headers.map(([name, value]) => (
                <li>
                  {name}: {value}
                </li>
              ))}
            </ul>
          ) : (
            <span class="muted">none beyond the signature headers</span>
          ),
        ],
        ["Body", <Json value={t.body} label="Body" />],
      ]}
    />
  );
}

function JobRuns(props: { job: Job }) {
  const { query } = useStore(location);
  const status = query.get("runs") ?? "";
  const runs = usePaged<Run>(
    (signal) =>
      api().jobs.runs(
        props.job.id,
        { status: (status || undefined) as never, limit: 20 },
        { signal },
      ),
    [props.job.id, status, props.job.last_run?.id, props.job.last_run?.status],
    { want: 20 },
  );
  // Keep the first page fresh while it is the only one shown (a run appears, then finishes).
  useInterval(runs.reload, 5000, runs.items.length <= 20 && !runs.loading);
  return (
    <section aria-labelledby="job-runs">
      <div class="section-head">
        <h2 id="job-runs">Runs</h2>
        <form
          class="filters inline"
          aria-label="Filter runs"
          onSubmit={(e: Event) => e.preventDefault()}
        >
          <RunStatusFilter
            id="job-runs-status"
            value={status}
            onChange={(value) =>
              navigate(
                withQuery(`/jobs/${encodeURIComponent(props.job.id)}`, query, { runs: value }),
                {
                  replace: true,
                },
              )
            }
          />
        </form>
      </div>
      <Loading when={runs.loading} label="Loading runs…" />
      <ErrorBox error={runs.error} onRetry={runs.reload} context="Could not load the runs" />
      {!runs.loading && !runs.error && runs.items.length === 0 ? (
        <Empty title={status ? `No ${status} runs.` : "No runs yet."}>
          {status ? (
            <p>Choose another status, or Any.</p>
          ) : (
            <p>
              Runs appear here when the job fires
              {props.job.next_run_at
                ? ` (next: ${formatInZone(props.job.next_run_at, jobZone(props.job), { seconds: false })})`
                : ""}
              . Use <strong>Trigger now</strong> to run it at once.
            </p>
          )}
        </Empty>
      ) : null}
      {runs.items.length ? <RunTable runs={runs.items} caption="Runs of this job" /> : null}
      <More hasMore={runs.hasMore} busy={runs.loadingMore} onMore={runs.more} what="runs" />
    </section>
  );
}

function JobPreview(props: { job: Job }) {
  const cron = props.job.schedule?.cron !== undefined;
  const preview = useAsync(
    (signal) => api().jobs.preview(props.job.id, 10, { signal }),
    [props.job.id, props.job.version, props.job.status],
  );
  if (!cron) return null;
  return (
    <section aria-labelledby="job-preview" class="card">
      <h2 id="job-preview">Next fire times</h2>
      <Loading when={preview.loading} />
      <ErrorBox
        error={preview.error}
        onRetry={preview.reload}
        context="Could not compute the fire times"
      />
      {preview.data ? (
        <FireTimes times={preview.data.fire_times} zone={preview.data.timezone} />
      ) : null}
    </section>
  );
}

export function JobPage(props: { id: string }) {
  const job = useAsync((signal) => api().jobs.get(props.id, { signal }), [props.id]);
  useInterval(job.reload, 5000, !!job.data && !job.loading);
  const data = job.data;
  if (!data) {
    return (
      <Page title="Job">
        <Loading when={job.loading} label="Loading the job…" />
        {isProblem(job.error, 404) ? (
          <Empty title="This job does not exist.">
            <p>
              It may belong to another tenant, or the address is wrong.{" "}
              <Link to="/jobs">All jobs</Link>
            </p>
          </Empty>
        ) : (
          <ErrorBox error={job.error} onRetry={job.reload} context="Could not load the job" />
        )}
      </Page>
    );
  }
  return (
    <Page
      title={data.name}
      lead={
        <p class="crumbs">
          <Link to="/jobs">Jobs</Link> / <span class="mono">{data.id}</span>{" "}
          <StatusBadge status={data.status} />
        </p>
      }
      actions={<JobActions job={data} onChange={job.setData} />}
    >
      <ErrorBox error={job.error} onRetry={job.reload} context="Could not refresh the job" />
      <div class="columns">
        <section aria-labelledby="job-schedule" class="card">
          <h2 id="job-schedule">Schedule</h2>
          <Facts
            items={[
              ["Schedule", <ScheduleText job={data} />],
              ["Next run", <NextRun job={data} />],
              [
                "Last run",
                data.last_run ? (
                  <span>
                    <Link to={`/runs/${encodeURIComponent(data.last_run.id)}`}>
                      <StatusBadge status={data.last_run.status} />
                    </Link>{" "}
                    <Time iso={data.last_run.scheduled_for} zone={jobZone(data)} utc="inline" />
                  </span>
                ) : (
                  <span class="muted">no run yet</span>
                ),
              ],
              ["Priority", data.priority],
              [
                "Flow key",
                data.flow_key ? (
                  <Link to="/flow" class="mono">
                    {data.flow_key}
                  </Link>
                ) : (
                  <span class="muted">none</span>
                ),
              ],
              ["Overlap", data.overlap.replace("_", " ")],
              ["Catch-up window", durationText(data.catchup_window_seconds * 1000)],
            ]}
          />
        </section>
        {jobTasks(data) ? null : (
          <section aria-labelledby="job-target" class="card">
            <h2 id="job-target">Target</h2>
            <TargetFacts job={data} />
          </section>
        )}
        <section aria-labelledby="job-retry" class="card">
          <h2 id="job-retry">Retries and limits</h2>
          <Facts
            items={[
              ["Attempts", `at most ${data.retry.max_attempts}`],
              [
                "Backoff",
                `${data.retry.initial_backoff_seconds} s to ${data.retry.max_backoff_seconds} s, exponential with jitter`,
              ],
              ["Retry on", data.retry_on === "any" ? "any failure" : "transient failures only"],
              ["Timeout", `${data.timeout_seconds} s`],
              [
                "Metadata",
                Object.keys(data.metadata).length ? (
                  <ul class="plain-list">
                    {Object.entries(data.metadata).map(([k, v]) => (
                      <li>
                        <span class="mono">{k}</span>: {v}
                      </li>
                    ))}
                  </ul>
                ) : (
                  <span class="muted">none</span>
                ),
              ],
              ["Created", <Time iso={data.created_at} />],
              ["Changed", <Time iso={data.updated_at} />],
              ["Version", String(data.version)],
            ]}
          />
        </section>
      </div>
      {jobTasks(data) ? (
        <section aria-labelledby="job-target" class="card wide">
          <h2 id="job-target">Tasks</h2>
          <TargetFacts job={data} />
        </section>
      ) : null}
      <JobPreview job={data} />
      <JobRuns job={data} />
    </Page>
  );
}
