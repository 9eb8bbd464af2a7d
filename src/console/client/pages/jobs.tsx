/** The tenant's jobs: filters by status and priority, search by name, actions on each. */
import { api, type Job } from "../api";
import { usePaged } from "../hooks";
import { Link, location, navigate, withQuery } from "../router";
import { useStore } from "../store";
import { Empty, ErrorBox, Loading, More, Page, StatusBadge, Time } from "../ui/components";
import { JobActions, NextRun, ScheduleText } from "./job-common";

const STATUSES = ["active", "paused", "completed", "cancelled"] as const;
const PRIORITIES = ["high", "medium", "low"] as const;

export function JobsPage() {
  const { query } = useStore(location);
  const status = (query.get("status") ?? "") as (typeof STATUSES)[number] | "";
  const priority = (query.get("priority") ?? "") as (typeof PRIORITIES)[number] | "";
  const search = query.get("q") ?? "";
  const needle = search.trim().toLowerCase();
  // The API has no name filter: a search reads bigger pages and filters them here.
  const jobs = usePaged<Job>(
    (signal) =>
      api().jobs.list(
        { status: status || undefined, priority: priority || undefined, limit: needle ? 200 : 50 },
        { signal },
      ),
    [status, priority, needle !== ""],
    { want: needle ? 2000 : 50, maxPages: needle ? 10 : 5 },
  );
  const shown = needle
    ? jobs.items.filter((j) => j.name.toLowerCase().includes(needle))
    : jobs.items;
  const setFilter = (changes: Record<string, string | null>) =>
    navigate(withQuery("/jobs", query, changes), { replace: true });
  const filtered = Boolean(status || priority || needle);

  return (
    <Page
      title="Jobs"
      actions={
        <>
          <button type="button" class="button plain" onClick={jobs.reload}>
            Refresh
          </button>
          <Link to="/jobs/new" class="button primary">
            New job
          </Link>
        </>
      }
    >
      <form class="filters" aria-label="Filter jobs" onSubmit={(e: Event) => e.preventDefault()}>
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={status}
            onChange={(e: Event) => setFilter({ status: (e.target as HTMLSelectElement).value })}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-priority">Priority</label>
          <select
            id="filter-priority"
            value={priority}
            onChange={(e: Event) => setFilter({ priority: (e.target as HTMLSelectElement).value })}
          >
            <option value="">Any</option>
            {PRIORITIES.map((p) => (
              <option value={p}>{p}</option>
            ))}
          </select>
        </div>
        <div class="field grow">
          <label for="filter-name">Name contains</label>
          <input
            id="filter-name"
            type="search"
            value={search}
            autocomplete="off"
            onInput={(e: Event) => setFilter({ q: (e.target as HTMLInputElement).value })}
          />
        </div>
      </form>
      <Loading when={jobs.loading} label="Loading jobs…" />
      <ErrorBox error={jobs.error} onRetry={jobs.reload} context="Could not load the jobs" />
      {!jobs.loading && !jobs.error && shown.length === 0 ? (
        filtered ? (
          <Empty title="No job matches these filters.">
            <p>
              Clear the filters to see every job
              {needle && jobs.hasMore ? ", or load more to search further" : ""}.
            </p>
          </Empty>
        ) : (
          <Empty title="No jobs yet.">
            <p>
              A job calls a URL (or hands work to a pull worker) on a schedule: once, after a delay,
              or on a cron expression in a time zone.{" "}
              <Link to="/jobs/new">Create the first job</Link>.
            </p>
          </Empty>
        )
      ) : null}
      {shown.length ? (
        <table class="table responsive">
          <caption class="visually-hidden">Jobs</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Priority</th>
              <th scope="col">Schedule</th>
              <th scope="col">Next run (job's zone, UTC)</th>
              <th scope="col">Last run</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((job) => (
              <tr>
                <td data-label="Name" class="name-cell">
                  <Link to={`/jobs/${encodeURIComponent(job.id)}`}>{job.name}</Link>
                </td>
                <td data-label="Status">
                  <StatusBadge status={job.status} />
                </td>
                <td data-label="Priority">{job.priority}</td>
                <td data-label="Schedule">
                  <ScheduleText job={job} />
                </td>
                <td data-label="Next run">
                  <NextRun job={job} />
                </td>
                <td data-label="Last run">
                  {job.last_run ? (
                    <span class="last-run">
                      <Link to={`/runs/${encodeURIComponent(job.last_run.id)}`}>
                        <StatusBadge status={job.last_run.status} />
                      </Link>{" "}
                      <Time iso={job.last_run.finished_at ?? job.last_run.scheduled_for} relative />
                    </span>
                  ) : (
                    <span class="muted">no run yet</span>
                  )}
                </td>
                <td data-label="Actions">
                  <JobActions
                    job={job}
                    compact
                    onChange={(next) => jobs.update((j) => j.id === next.id, next)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {needle && !jobs.loading ? (
        <p class="muted small">
          Searched the names of {jobs.items.length} job{jobs.items.length === 1 ? "" : "s"}
          {jobs.hasMore ? " (there are more: load them to search further)" : ""}.
        </p>
      ) : null}
      <More hasMore={jobs.hasMore} busy={jobs.loadingMore} onMore={jobs.more} what="jobs" />
    </Page>
  );
}
