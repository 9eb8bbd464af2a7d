/** The tenant's runs, newest first: by status, by job, by worker. */
import { api, type Run } from "../api";
import { useInterval, usePaged } from "../hooks";
import { useJobNames } from "../job-names";
import { Link, location, navigate, withQuery } from "../router";
import { useStore } from "../store";
import { Empty, ErrorBox, Loading, More, Page } from "../ui/components";
import { RunStatusFilter, RunTable } from "./run-common";

export function RunsPage() {
  const { query } = useStore(location);
  const status = query.get("status") ?? "";
  const jobId = query.get("job_id") ?? "";
  const workerId = query.get("worker_id") ?? "";
  const runs = usePaged<Run>(
    (signal) =>
      api().runs.list(
        {
          status: (status || undefined) as never,
          job_id: jobId || undefined,
          worker_id: workerId || undefined,
          limit: 50,
        },
        { signal },
      ),
    [status, jobId, workerId],
  );
  useInterval(runs.reload, 15000, runs.items.length <= 50 && !runs.loading);
  const names = useJobNames(runs.items.map((r) => r.job_id));
  const setFilter = (changes: Record<string, string | null>) =>
    navigate(withQuery("/runs", query, changes), { replace: true });
  return (
    <Page
      title="Runs"
      actions={
        <button type="button" class="button plain" onClick={runs.reload}>
          Refresh
        </button>
      }
    >
      <form class="filters" aria-label="Filter runs" onSubmit={(e: Event) => e.preventDefault()}>
        <RunStatusFilter
          id="runs-status"
          value={status}
          onChange={(value) => setFilter({ status: value })}
        />
        <div class="field">
          <label for="runs-job">Job id</label>
          <input
            id="runs-job"
            value={jobId}
            autocomplete="off"
            spellcheck={false}
            onChange={(e: Event) =>
              setFilter({ job_id: (e.target as HTMLInputElement).value.trim() })
            }
          />
        </div>
        <div class="field">
          <label for="runs-worker">Worker id</label>
          <input
            id="runs-worker"
            value={workerId}
            autocomplete="off"
            spellcheck={false}
            onChange={(e: Event) =>
              setFilter({ worker_id: (e.target as HTMLInputElement).value.trim() })
            }
          />
        </div>
      </form>
      <Loading when={runs.loading} label="Loading runs…" />
      <ErrorBox error={runs.error} onRetry={runs.reload} context="Could not load the runs" />
      {!runs.loading && !runs.error && runs.items.length === 0 ? (
        status || jobId || workerId ? (
          <Empty title="No run matches these filters.">
            <p>
              <Link to="/runs">Clear the filters</Link> to see every run.
            </p>
          </Empty>
        ) : (
          <Empty title="No runs yet.">
            <p>
              A run is one execution of a job. <Link to="/jobs">Open a job</Link> and use Trigger
              now, or wait for its next fire time.
            </p>
          </Empty>
        )
      ) : null}
      {runs.items.length ? (
        <RunTable runs={runs.items} showJob jobNames={names} caption="Runs" />
      ) : null}
      <More hasMore={runs.hasMore} busy={runs.loadingMore} onMore={runs.more} what="runs" />
    </Page>
  );
}
