/** Pull-worker fixtures: worker jobs, claims, heartbeats and reports through the API. */
import { ADMIN_TOKEN, call, callJson, type TestTenant, uniqueId } from "./api";

export type Claimed = {
  run_id: string;
  attempt: number;
  job_id: string;
  pool: string;
  payload: unknown;
  checkpoint: unknown;
  lease_expires_at: string;
  timeout_seconds: number;
};

/** The body of a job whose runs wait for workers of `pool`. */
export function workerJob(pool: string, fields: Record<string, unknown> = {}) {
  return { target: { type: "worker", pool, payload: { command: ["true"] } }, ...fields };
}

export async function createWorkerJob(
  tenant: TestTenant,
  pool: string,
  fields: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  return callJson("/v1/jobs", { token: tenant.token, body: workerJob(pool, fields) }, 201);
}

/** Creates `count` worker jobs due now in one batch. */
export async function createWorkerJobs(
  tenant: TestTenant,
  pool: string,
  count: number,
  fields: Record<string, unknown> = {},
): Promise<Record<string, any>[]> {
  const jobs = Array.from({ length: count }, () => workerJob(pool, fields));
  const { data } = await callJson<{ data: Record<string, any>[] }>(
    "/v1/jobs/batch",
    { token: tenant.token, body: { jobs } },
    201,
  );
  return data;
}

/** A token of scope `worker` for the tenant. */
export async function workerToken(tenant: TestTenant): Promise<string> {
  const issued = await callJson<{ token: string }>(
    `/v1/admin/tenants/${tenant.id}/tokens`,
    { token: ADMIN_TOKEN, body: { scope: "worker" } },
    201,
  );
  return issued.token;
}

export function workerId(): string {
  return uniqueId("w");
}

export async function claim(
  token: string,
  body: Record<string, unknown>,
): Promise<{ runs: Claimed[]; draining: boolean }> {
  return callJson("/v1/workers/claim", { token, body }, 200);
}

/** Posts to a run's heartbeat, complete or fail route; returns the raw response. */
export function runCall(
  token: string,
  runId: string,
  action: "heartbeat" | "complete" | "fail",
  body: Record<string, unknown>,
): Promise<Response> {
  return call(`/v1/runs/${runId}/${action}`, { token, body });
}
