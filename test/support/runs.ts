/** Run fixtures: waiting for runs to reach a state, reading them through the API. */
import { callJson, type TestTenant, waitFor } from "./api";

export type Run = Record<string, any>;

export async function runsOf(tenant: TestTenant, jobId: string): Promise<Run[]> {
  const page = await callJson<{ data: Run[] }>(
    `/v1/jobs/${jobId}/runs?limit=200`,
    { token: tenant.token },
    200,
  );
  return page.data;
}

export async function runDetail(tenant: TestTenant, runId: string): Promise<Run> {
  return callJson<Run>(`/v1/runs/${runId}`, { token: tenant.token }, 200);
}

/** Waits until the job has runs matching `accept` (bounded polling). */
export function waitForRuns(
  tenant: TestTenant,
  jobId: string,
  accept: (runs: Run[]) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<Run[]> {
  return waitFor(
    async () => {
      const runs = await runsOf(tenant, jobId);
      return accept(runs) && runs;
    },
    what,
    timeoutMs,
  );
}

export function soon(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString();
}

/** A predicate for waitForRuns: some run of the job has `status`. */
export const has = (status: string) => (runs: Run[]) => runs.some((r) => r.status === status);

/** Waits until one run's detail (with attempts) satisfies `accept`. */
export function waitForRun(
  tenant: TestTenant,
  runId: string,
  accept: (run: Run) => boolean,
  what: string,
): Promise<Run> {
  return waitFor(async () => {
    const run = await runDetail(tenant, runId);
    return accept(run) && run;
  }, what);
}
