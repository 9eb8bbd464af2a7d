/** Authentication middleware: the admin secret for /v1/admin, tenant tokens for the rest of /v1. */
import { createMiddleware } from "hono/factory";
import { fail } from "../domain/problem";
import { parseToken, secretsEqual } from "../domain/secrets";
import type { Credential } from "../durable/tenant/tenant-store";
import type { TenantScheduler } from "../durable/tenant-scheduler";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    tenantId: string;
    credential: Credential;
    scheduler: DurableObjectStub<TenantScheduler>;
  };
}

function bearer(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

/** The tenant's own object. */
export function schedulerFor(env: Env, tenantId: string): DurableObjectStub<TenantScheduler> {
  return env.TENANT_SCHEDULER.get(env.TENANT_SCHEDULER.idFromName(tenantId));
}

/**
 * Requires `Authorization: Bearer <ADMIN_TOKEN>`. The comparison hashes both sides and uses
 * timingSafeEqual, so timing reveals neither the secret nor its length. Tenant tokens never pass.
 */
export const requireAdmin = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const presented = bearer(c.req.header("authorization"));
    const expected = c.env.ADMIN_TOKEN;
    if (!presented || !expected || !(await secretsEqual(presented, expected))) {
      throw fail.unauthorized("The admin token is required.");
    }
    await next();
  });

/**
 * Parses a tenant token and binds the tenant's object. The token carries the tenant id, so no
 * global lookup happens here; the object itself verifies the secret's hash, scope and suspension.
 */
export const requireTenant = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const raw = bearer(c.req.header("authorization"));
    const parsed = raw ? parseToken(raw) : null;
    if (!parsed) throw fail.unauthorized("A tenant bearer token is required.");
    c.set("tenantId", parsed.tenantId);
    c.set("credential", { token_id: parsed.tokenId, secret: parsed.secret });
    c.set("scheduler", schedulerFor(c.env, parsed.tenantId));
    await next();
  });
