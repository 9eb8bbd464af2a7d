/** Shared by the Node tests: clients of the running system, the sink, bounded waiting. */
import { inject } from "vitest";
import { type CreatedTenant, SchedulerClient } from "../../src/client/index.ts";

export function adminClient(): SchedulerClient {
  return new SchedulerClient({ baseUrl: inject("baseUrl"), token: inject("adminToken") });
}

let counter = 0;
export function uniqueId(prefix = "t"): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function createTenant(
  tier: "free" | "standard" | "premium" = "standard",
): Promise<{ tenant: CreatedTenant; client: SchedulerClient }> {
  const tenant = await adminClient().tenants.create({ id: uniqueId(), name: "Node test", tier });
  return { tenant, client: adminClient().withToken(tenant.token) };
}

/** A URL on the sink with a path of its own (and query flags such as `fail_times=1`). */
export function sinkUrl(path = `/${uniqueId("hook")}`, query = ""): string {
  return `${inject("sinkUrl")}${path}${query ? `?${query}` : ""}`;
}

export interface Delivery {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  received_at: number;
}

export async function deliveriesAt(url: string): Promise<Delivery[]> {
  const path = new URL(url).pathname;
  const response = await fetch(`${inject("sinkUrl")}/_deliveries?path=${encodeURIComponent(path)}`);
  return (await response.json()) as Delivery[];
}

/** Polls `check` until it returns a value (not undefined/false) or the time bound passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
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
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
