/** The tenant's pull workers: pools, state, last heartbeat, runs in flight; drain one. */
import { api, type Worker } from "../api";
import { useAction, useAsync, useInterval } from "../hooks";
import { Link } from "../router";
import { Button, Empty, ErrorBox, Loading, Page, StatusBadge, Time } from "../ui/components";
import { confirmAction, notify } from "../ui/feedback";

function DrainButton(props: { worker: Worker; onDrained: () => void }) {
  const drain = useAction(async () => {
    const ok = await confirmAction({
      title: `Drain ${props.worker.id}?`,
      body: (
        <p>
          The worker gets no new runs; the {props.worker.runs_in_flight} it holds finish. A worker
          program stops once drained; start it again to serve the pools.
        </p>
      ),
      confirm: "Drain the worker",
      danger: true,
    });
    if (!ok) return;
    await api().workers.drain(props.worker.id);
    notify(`Draining ${props.worker.id}.`);
    props.onDrained();
  });
  return (
    <>
      <Button
        small
        kind="danger"
        busy={drain.busy}
        onClick={() => void drain.run()}
        label={`Drain ${props.worker.id}`}
      >
        Drain
      </Button>
      <ErrorBox error={drain.error} />
    </>
  );
}

export function WorkersPage() {
  const workers = useAsync((signal) => api().workers.list({ signal }), []);
  useInterval(workers.reload, 10000, !workers.loading);
  const list = workers.data ?? [];
  return (
    <Page
      title="Workers"
      lead={
        <p>
          Pull workers claim the runs of jobs whose target is a pool. A worker is stale when it has
          not been heard from for a lease length; its runs are then retried.
        </p>
      }
      actions={
        <button type="button" class="button plain" onClick={workers.reload}>
          Refresh
        </button>
      }
    >
      <Loading when={workers.loading && !workers.data} label="Loading workers…" />
      <ErrorBox
        error={workers.error}
        onRetry={workers.reload}
        context="Could not load the workers"
      />
      {workers.data && list.length === 0 ? (
        <Empty title="No worker has connected yet.">
          <p>
            Start one with a token of scope worker:{" "}
            <code>SCHEDULER_URL=… SCHEDULER_TOKEN=… npm run worker -- --pool shell</code>, then give
            it work: a job whose target is a pull worker of that pool.
          </p>
        </Empty>
      ) : null}
      {list.length ? (
        <table class="table responsive">
          <caption class="visually-hidden">Workers</caption>
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">State</th>
              <th scope="col">Pools</th>
              <th scope="col">Runs in flight</th>
              <th scope="col">Last seen</th>
              <th scope="col">First seen</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => (
              <tr>
                <td data-label="Worker">
                  <Link to={`/runs?worker_id=${encodeURIComponent(w.id)}`} class="mono">
                    {w.id}
                  </Link>
                </td>
                <td data-label="State">
                  <StatusBadge status={w.state} />
                </td>
                <td data-label="Pools">{w.pools.join(", ")}</td>
                <td data-label="Runs in flight">{w.runs_in_flight}</td>
                <td data-label="Last seen">
                  <Time iso={w.last_seen_at} relative />
                </td>
                <td data-label="First seen">
                  <Time iso={w.created_at} />
                </td>
                <td data-label="Actions">
                  {w.state === "active" ? (
                    <DrainButton worker={w} onDrained={workers.reload} />
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}
