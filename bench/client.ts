// Calls the scheduler's HTTP API: tenants, jobs (single and batch), metrics; retries 429 politely.

export interface Tenant {
  id: string;
  token: string;
}

export interface JobSpec {
  name: string;
  schedule?: { at: string };
  target:
    | { type: "http"; url: string; method: "POST"; body?: unknown }
    | { type: "worker"; pool: string; payload?: unknown };
  priority?: "high" | "medium" | "low";
  retry?: { max_attempts: number; initial_backoff_seconds: number; max_backoff_seconds: number };
  timeout_seconds?: number;
  flow_key?: string;
}

/** Flow limits of a key or destination (PUT /v1/flow-keys/{key}, /v1/destinations/{host}). */
export interface FlowLimits {
  max_running?: number;
  rate?: { limit: number; period_seconds: number; burst?: number };
}

/** Counters read from GET /v1/metrics, or null when the endpoint is absent. */
export type Counters = Record<string, number> | null;

export const COUNTER_NAMES = [
  "scheduler_sqlite_rows_read_total",
  "scheduler_sqlite_rows_written_total",
  "scheduler_object_requests_total",
] as const;

export class ApiError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

export class Api {
  /** How many 429 answers were retried (the tier's request rate limit). */
  throttled = 0;

  readonly baseUrl: string;
  private readonly adminToken: string;

  constructor(baseUrl: string, adminToken: string) {
    this.baseUrl = baseUrl;
    this.adminToken = adminToken;
  }

  async request(method: string, path: string, token: string, body?: unknown): Promise<Response> {
    for (;;) {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status !== 429) return response;
      this.throttled++;
      await response.arrayBuffer();
      const wait = Number(response.headers.get("retry-after") ?? 1);
      await new Promise((r) => setTimeout(r, Math.max(0.05, wait) * 1000));
    }
  }

  async json<T>(
    method: string,
    path: string,
    token: string,
    body: unknown,
    status: number,
  ): Promise<T> {
    const response = await this.request(method, path, token, body);
    const text = await response.text();
    if (response.status !== status) {
      throw new ApiError(
        `${method} ${path}: expected ${status}, got ${response.status}: ${text.slice(0, 500)}`,
        response.status,
      );
    }
    return (text ? JSON.parse(text) : null) as T;
  }

  createTenant(id: string, tier: "free" | "standard" | "premium"): Promise<Tenant> {
    return this.json<Tenant>(
      "POST",
      "/v1/admin/tenants",
      this.adminToken,
      { id, name: id, tier },
      201,
    );
  }

  /** Overrides the tenant's max runs in flight; false when the API does not support it. */
  async setMaxInFlight(tenantId: string, maxInFlight: number): Promise<boolean> {
    const response = await this.request("PATCH", `/v1/admin/tenants/${tenantId}`, this.adminToken, {
      max_in_flight: maxInFlight,
    });
    await response.arrayBuffer();
    return response.ok;
  }

  /** Creates up to 1,000 jobs in one request; returns their ids in order. */
  async createBatch(tenant: Tenant, jobs: JobSpec[]): Promise<string[]> {
    const created = await this.json<{ data: { id: string }[] }>(
      "POST",
      "/v1/jobs/batch",
      tenant.token,
      { jobs },
      201,
    );
    return created.data.map((job) => job.id);
  }

  /** Sets the limits of a flow key or a destination host of the tenant. */
  async setFlowLimits(
    tenant: Tenant,
    kind: "flow-keys" | "destinations",
    name: string,
    limits: FlowLimits,
  ): Promise<void> {
    await this.json("PUT", `/v1/${kind}/${encodeURIComponent(name)}`, tenant.token, limits, 200);
  }

  async createJob(tenant: Tenant, job: JobSpec): Promise<string> {
    return (await this.json<{ id: string }>("POST", "/v1/jobs", tenant.token, job, 201)).id;
  }

  /** Sums each counter of COUNTER_NAMES over its labels; null when /v1/metrics does not answer 200. */
  async counters(tenant: Tenant): Promise<Counters> {
    const response = await this.request("GET", "/v1/metrics", tenant.token);
    const text = await response.text();
    if (response.status !== 200) return null;
    const totals: Record<string, number> = {};
    for (const line of text.split("\n")) {
      const match = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)/i.exec(line);
      if (!match || !(COUNTER_NAMES as readonly string[]).includes(match[1] as string)) continue;
      totals[match[1] as string] = (totals[match[1] as string] ?? 0) + Number(match[3]);
    }
    return totals;
  }
}

/** Runs `task` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
