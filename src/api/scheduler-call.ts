/**
 * Typed calls into a tenant's object. Results are typed from the object's own method signatures
 * (RPC stub types blur them), and a problem outcome is thrown for `onError`.
 */
import type { Context } from "hono";
import type { Outcome } from "../domain/problem";
import type { Credential } from "../durable/tenant/tenant-store";
import type { TenantScheduler } from "../durable/tenant-scheduler";
import { type AppEnv, schedulerFor } from "./auth";
import { unwrap } from "./problems";

type AnyMethod = (...args: never[]) => Promise<Outcome<unknown>>;
type Methods = {
  [K in keyof TenantScheduler]: TenantScheduler[K] extends AnyMethod ? K : never;
}[keyof TenantScheduler] &
  keyof TenantScheduler;
type ResultOf<K extends Methods> = TenantScheduler[K] extends (
  ...args: never[]
) => Promise<Outcome<infer R>>
  ? R
  : never;
type TenantArgs<K extends Methods> = TenantScheduler[K] extends (
  credential: Credential,
  ...args: infer A
) => Promise<Outcome<unknown>>
  ? A
  : never;
type AdminArgs<K extends Methods> = TenantScheduler[K] extends (
  ...args: infer A
) => Promise<Outcome<unknown>>
  ? A
  : never;

function invoke<K extends Methods>(
  stub: unknown,
  method: K,
  args: unknown[],
): Promise<ResultOf<K>> {
  const target = stub as Record<K, (...a: unknown[]) => Promise<Outcome<ResultOf<K>>>>;
  return unwrap(target[method](...args));
}

/** Calls a tenant method on the caller's own object with the caller's credential. */
export function tenantCall<K extends Methods>(
  c: Context<AppEnv>,
  method: K,
  ...args: TenantArgs<K>
): Promise<ResultOf<K>> {
  return invoke(c.var.scheduler, method, [c.var.credential, ...args]);
}

/** Calls an admin method on tenant `tenantId`'s object. */
export function adminCall<K extends Methods>(
  env: Env,
  tenantId: string,
  method: K,
  ...args: AdminArgs<K>
): Promise<ResultOf<K>> {
  return invoke(schedulerFor(env, tenantId), method, args);
}
