/** One run: its state, every attempt (status code, duration, response excerpt, worker, error). */
import { api, isProblem, parentOf, type RunDetail, runGraph, taskKeyOf } from "../api";
import { waitingText } from "../flow-model";
import { useAction, useAsync, useInterval } from "../hooks";
import { useJobNames } from "../job-names";
import { Link } from "../router";
import { durationText } from "../time";
import {
  Button,
  Empty,
  ErrorBox,
  Facts,
  Json,
  Loading,
  Page,
  StatusBadge,
  Time,
} from "../ui/components";
import { confirmAction, notify } from "../ui/feedback";
import { TaskGraph } from "../ui/graph";

const ACTIVE = ["pending", "queued", "running", "retrying"];

function Attempts(props: { run: RunDetail }) {
  const attempts = [...props.run.attempts].sort((a, b) => b.attempt - a.attempt);
  if (attempts.length === 0)
    return (
      <Empty title="No attempt yet.">
        <p>
          {props.run.pool
            ? `The run waits for a worker of pool ${props.run.pool} to claim it.`
            : "The run waits to be sent; the first attempt starts when a consumer claims it."}
        </p>
      </Empty>
    );
  return (
    <ol class="attempts" reversed>
      {attempts.map((a) => (
        <li class="card attempt" id={`attempt-${a.attempt}`}>
          <h3>
            Attempt {a.attempt} <StatusBadge status={a.outcome} />
          </h3>
          <Facts
            items={[
              [
                "Status code",
                a.status_code === null ? (
                  <span class="muted">none</span>
                ) : (
                  <strong>{String(a.status_code)}</strong>
                ),
              ],
              ["Started", <Time iso={a.started_at} />],
              ["Finished", <Time iso={a.finished_at} empty="not yet" />],
              ["Duration", durationText(a.duration_ms)],
              [
                "Worker",
                a.worker_id ? (
                  <span class="mono">{a.worker_id}</span>
                ) : (
                  <span class="muted">—</span>
                ),
              ],
              [
                "Error",
                a.error ? (
                  <span class="error-text">{a.error}</span>
                ) : (
                  <span class="muted">none</span>
                ),
              ],
            ]}
          />
          {a.response_body !== null ? (
            <details class="response" open={a.response_body.length < 400}>
              <summary>
                {props.run.pool ? "Result" : "Response"} ({a.response_body.length} characters
                {a.response_body.length >= 4096 ? ", the first 4 KiB" : ""})
              </summary>
              <pre class="code">{a.response_body}</pre>
            </details>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

function Tasks(props: { run: RunDetail }) {
  const graph = runGraph(props.run);
  if (!graph) return null;
  return (
    <section aria-labelledby="run-tasks">
      <h2 id="run-tasks">Tasks</h2>
      <TaskGraph
        nodes={graph.tasks.map((t) => ({ key: t.key, status: t.status }))}
        edges={graph.edges}
        label={`Task graph: ${graph.tasks.map((t) => `${t.key} ${t.status}`).join(", ")}`}
      />
      <table class="table responsive compact">
        <caption class="visually-hidden">Task runs</caption>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Status</th>
            <th scope="col">Waits for</th>
            <th scope="col">Attempts</th>
            <th scope="col">Started</th>
            <th scope="col">Finished</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {graph.tasks.map((t) => (
            <tr>
              <td data-label="Task">
                <Link to={`/runs/${encodeURIComponent(t.run_id)}`} class="mono">
                  {t.key}
                </Link>
              </td>
              <td data-label="Status">
                <StatusBadge status={t.status} />
              </td>
              <td data-label="Waits for">
                {t.depends_on.length ? t.depends_on.join(", ") : <span class="muted">nothing</span>}
              </td>
              <td data-label="Attempts">
                {t.attempt} of {t.max_attempts}
              </td>
              <td data-label="Started">
                <Time iso={t.started_at} empty="not yet" />
              </td>
              <td data-label="Finished">
                <Time iso={t.finished_at} empty="not yet" />
              </td>
              <td data-label="Last error" class="error-cell">
                {t.last_error ?? <span class="muted">—</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function RunPage(props: { id: string }) {
  const run = useAsync((signal) => api().runs.get(props.id, { signal }), [props.id]);
  const data = run.data;
  // Runs carry their job's id only; people know the job by its name.
  const names = useJobNames(data ? [data.job_id] : []);
  const jobName = data ? (names[data.job_id] ?? data.job_id) : "";
  // While the run is still going, follow it.
  useInterval(run.reload, 2500, !!data && ACTIVE.includes(data.status) && !run.loading);
  const cancel = useAction(async () => {
    const ok = await confirmAction({
      title: "Cancel this run?",
      body: (
        <p>
          It will not be attempted again. An attempt already executing finishes, and is recorded.
        </p>
      ),
      confirm: "Cancel the run",
      danger: true,
    });
    if (!ok) return;
    await api().runs.cancel(props.id);
    notify(`Cancelled run ${props.id}.`);
    run.reload();
  });
  const replay = useAction(async () => {
    const next = await api().runs.replay(props.id);
    notify(`Replaying run ${props.id}: it is ${next.status}.`);
    run.reload();
  });
  if (!data) {
    return (
      <Page title="Run">
        <Loading when={run.loading} label="Loading the run…" />
        {isProblem(run.error, 404) ? (
          <Empty title="This run does not exist.">
            <p>
              Runs are kept for the tier's retention (3 to 30 days).{" "}
              <Link to="/runs">All runs</Link>
            </p>
          </Empty>
        ) : (
          <ErrorBox error={run.error} onRetry={run.reload} context="Could not load the run" />
        )}
      </Page>
    );
  }
  return (
    <Page
      title={`Run ${data.id}`}
      lead={
        <p class="crumbs">
          Its job{" "}
          <Link to={`/jobs/${encodeURIComponent(data.job_id)}`} class="job-name">
            {jobName}
          </Link>{" "}
          / <StatusBadge status={data.status} />
        </p>
      }
      actions={
        <>
          {data.status === "dead" || data.status === "failed" ? (
            <Button kind="primary" onClick={() => void replay.run()} busy={replay.busy}>
              Replay
            </Button>
          ) : null}
          {ACTIVE.includes(data.status) ? (
            <Button kind="danger" onClick={() => void cancel.run()} busy={cancel.busy}>
              Cancel run
            </Button>
          ) : null}
        </>
      }
    >
      <ErrorBox error={replay.error ?? cancel.error} context="The action failed" />
      <ErrorBox error={run.error} onRetry={run.reload} context="Could not refresh the run" />
      <section class="card" aria-labelledby="run-facts">
        <h2 id="run-facts">Run</h2>
        <Facts
          items={[
            ["Status", <StatusBadge status={data.status} />],
            ...(taskKeyOf(data)
              ? ([
                  ["Task", <span class="mono">{taskKeyOf(data)}</span>],
                  [
                    "Occurrence",
                    <Link to={`/runs/${encodeURIComponent(parentOf(data) ?? "")}`} class="mono">
                      {parentOf(data)}
                    </Link>,
                  ],
                ] as [string, ReturnType<typeof Json>][])
              : []),
            [
              "Job",
              <span>
                <Link to={`/jobs/${encodeURIComponent(data.job_id)}`}>{jobName}</Link>{" "}
                <span class="mono muted">{data.job_id}</span>
              </span>,
            ],
            ["Trigger", data.trigger === "manual" ? "manual (trigger or replay)" : "schedule"],
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
            ...(data.waiting_reason
              ? ([
                  [
                    "Waiting on",
                    <span class="waiting-reason">
                      {waitingText(data.waiting_reason, data.flow_key)}{" "}
                      <Link
                        to={data.waiting_reason === "tenant_cap" ? "/runs?status=running" : "/flow"}
                      >
                        {data.waiting_reason === "tenant_cap" ? "runs in flight" : "flow control"}
                      </Link>
                    </span>,
                  ],
                ] as [string, ReturnType<typeof Json>][])
              : []),
            ["Scheduled for", <Time iso={data.scheduled_for} utc="inline" />],
            ["Started", <Time iso={data.started_at} empty="not yet" />],
            ["Finished", <Time iso={data.finished_at} empty="not yet" />],
            ["Fire lag", durationText(data.fire_lag_ms)],
            ...(runGraph(data)
              ? []
              : ([["Attempts", `${data.attempt} of ${data.max_attempts}`]] as [string, string][])),
            ["Next attempt", <Time iso={data.next_attempt_at} empty="none planned" relative />],
            [
              "Last error",
              data.last_error ? (
                <span class="error-text">{data.last_error}</span>
              ) : (
                <span class="muted">none</span>
              ),
            ],
            ...(data.pool
              ? ([
                  ["Pool", <span class="mono">{data.pool}</span>],
                  [
                    "Worker",
                    data.worker_id ? (
                      <Link
                        to={`/runs?worker_id=${encodeURIComponent(data.worker_id)}`}
                        class="mono"
                      >
                        {data.worker_id}
                      </Link>
                    ) : (
                      <span class="muted">none yet</span>
                    ),
                  ],
                  ["Checkpoint", <Json value={data.checkpoint} label="Checkpoint" />],
                  ["Progress", <Json value={data.progress} label="Progress" />],
                ] as [string, ReturnType<typeof Json>][])
              : []),
          ]}
        />
      </section>
      <Tasks run={data} />
      {runGraph(data) ? null : (
        <section aria-labelledby="run-attempts">
          <h2 id="run-attempts">Attempts</h2>
          <Attempts run={data} />
        </section>
      )}
    </Page>
  );
}
