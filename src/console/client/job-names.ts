/** Names of jobs by id, for run lists (runs carry only their job's id); read once per session. */
import { useEffect, useState } from "hono/jsx/dom";
import { api, type Job } from "./api";

const names = new Map<string, string>();
const pending = new Set<string>();

export function rememberJobs(jobs: Job[]): void {
  for (const job of jobs) names.set(job.id, job.name);
}

/** The names of `ids` (at most 20 looked up at a time; the rest show their id). */
export function useJobNames(ids: string[]): Record<string, string> {
  const [, setVersion] = useState(0);
  const key = [...new Set(ids)].sort().join(",");
  useEffect(() => {
    const missing = key
      .split(",")
      .filter((id) => id && !names.has(id) && !pending.has(id))
      .slice(0, 20);
    if (missing.length === 0) return;
    let live = true;
    for (const id of missing) pending.add(id);
    Promise.allSettled(
      missing.map((id) =>
        api()
          .jobs.get(id)
          .then(
            (job) => names.set(id, job.name),
            // Gone or unreadable: its id stands in, and it is not asked for again.
            () => names.set(id, id),
          ),
      ),
    ).then(() => {
      for (const id of missing) pending.delete(id);
      if (live) setVersion((v) => v + 1);
    });
    return () => {
      live = false;
    };
  }, [key]);
  return Object.fromEntries(
    ids.filter((id) => names.has(id)).map((id) => [id, names.get(id) as string]),
  );
}
