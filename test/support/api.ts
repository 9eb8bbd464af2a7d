/** Test fixtures: HTTP calls through the Worker, tenants, jobs, the webhook sink, bounded waiting. */
import { SELF } from "cloudflare:test";
import { expect, inject } from "vitest";

export const ADMIN_TOKEN = "test-admin-token";

export interface CallOptions {
  method?: string;
  token?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

let addresses = 0;
/**
 * A client address of its own (2001:db8::/32 is for documentation), as Cloudflare would set it:
 * the Worker limits failed authentications and requests without a token per address, and a test
 * that is not about those limits must not share one address with every other test.
 */
export function testAddress(): string {
  addresses++;
  return `2001:db8::${(addresses >> 16).toString(16)}:${(addresses & 0xffff).toString(16)}`;
}

export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", testAddress());
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.body);
  }
  return SELF.fetch(`https://scheduler.test${path}`, {
    method: options.method ?? (body ? "POST" : "GET"),
    headers,
    body,
  });
}

/** Calls and parses JSON, asserting the status. */
export async function callJson<T = Record<string, unknown>>(
  path: string,
  options: CallOptions,
  status: number,
): Promise<T> {
  const response = await call(path, options);
  const text = await response.text();
  if (response.status !== status) {
    const method =
      options.method ?? (options.body !== undefined || options.rawBody ? "POST" : "GET");
    throw new Error(`${method} ${path}: expected ${status}, got ${response.status}: ${text}`);
  }
  return (text ? JSON.parse(text) : null) as T;
}

export interface TestTenant {
  id: string;
  token: string;
  token_id: string;
  signing_secret: string;
}

let counter = 0;
export function uniqueId(prefix = "t"): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function createTenant(
  fields: { tier?: string; name?: string } = {},
): Promise<TestTenant> {
  return callJson<TestTenant>(
    "/v1/admin/tenants",
    {
      token: ADMIN_TOKEN,
      body: { id: uniqueId(), name: fields.name ?? "Test tenant", tier: fields.tier ?? "standard" },
    },
    201,
  );
}

/** Changes a tenant through the admin API (tier, suspension, max_in_flight override). */
export async function setTenant(tenant: TestTenant, patch: Record<string, unknown>): Promise<void> {
  await callJson(
    `/v1/admin/tenants/${tenant.id}`,
    { token: ADMIN_TOKEN, method: "PATCH", body: patch },
    200,
  );
}

export function sinkUrl(path: string, params: Record<string, string | number> = {}): string {
  const url = new URL(path, inject("sinkUrl"));
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  return url.toString();
}

export function jobBody(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "test job",
    target: { type: "http", url: sinkUrl(`/${uniqueId("hook")}`) },
    ...fields,
  };
}

export async function createJob(
  tenant: TestTenant,
  fields: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  return callJson("/v1/jobs", { token: tenant.token, body: jobBody(fields) }, 201);
}

export interface SinkDelivery {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  received_at: number;
  finished_at: number | null;
}

export async function deliveriesAt(url: string): Promise<SinkDelivery[]> {
  const path = new URL(url).pathname;
  const response = await fetch(`${inject("sinkUrl")}/_deliveries?path=${encodeURIComponent(path)}`);
  return (await response.json()) as SinkDelivery[];
}

/** Polls `check` until it returns a value (not undefined/false) or the time bound passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

/**
 * Asserts an RFC 9457 answer: the status, `application/problem+json`, every required member, and
 * (when given) an `errors[]` entry at each of `paths`. Returns the parsed problem.
 */
export async function expectProblem(
  response: Response,
  status: number,
  paths: string[] = [],
): Promise<ProblemBody> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as ProblemBody;
  expect(body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  expect(body.type).toMatch(/^https?:\/\//);
  for (const path of paths) {
    expect(
      body.errors?.map((e) => e.path),
      `errors[].path of ${text}`,
    ).toContain(path);
  }
  return body;
}

/** Every job of the tenant, walking all pages (`query` adds filters such as `status=paused`). */
export async function listAllJobs(tenant: TestTenant, query = ""): Promise<Record<string, any>[]> {
  const jobs: Record<string, any>[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set("limit", "200");
    if (cursor) params.set("cursor", cursor);
    const page: { data: Record<string, any>[]; next_cursor: string | null } = await callJson(
      `/v1/jobs?${params}`,
      { token: tenant.token },
      200,
    );
    jobs.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return jobs;
}
