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

/**
 * The 401s say whether a token was sent at all: "required" only when none was, so a person who
 * pasted the wrong token is not told to send one. Nothing here says which part of a sent token was
 * wrong (the tenant object answers the same for an unknown id, a wrong secret and a revoked token).
 */
const MESSAGES = {
  noToken: "A bearer token is required: send `Authorization: Bearer <token>`.",
  noAdminToken: "The admin token is required: send `Authorization: Bearer <ADMIN_TOKEN>`.",
  notTenantToken:
    "The token is unknown or revoked: tenant routes take a tenant token (sched.<tenant>.<id>.<secret>).",
  notAdminToken: "The token is unknown or revoked: it is not this scheduler's admin token.",
  adminUnset: "This scheduler has no ADMIN_TOKEN configured, so it refuses every admin call.",
  notBearer: "The Authorization header must read `Bearer <token>`.",
} as const;

/** The Authorization header's token; `undefined` when no header was sent. */
function presentedToken(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const token = bearer(header);
  if (token === null) throw fail.unauthorized(MESSAGES.notBearer);
  return token;
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
    const presented = presentedToken(c.req.header("authorization"));
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) throw fail.unauthorized(MESSAGES.adminUnset);
    if (presented === undefined) throw fail.unauthorized(MESSAGES.noAdminToken);
    if (!(await secretsEqual(presented, expected))) throw fail.unauthorized(MESSAGES.notAdminToken);
    await next();
  });

/**
 * Parses a tenant token and binds the tenant's object. The token carries the tenant id, so no
 * global lookup happens here; the object itself verifies the secret's hash, scope and suspension.
 */
export const requireTenant = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const raw = presentedToken(c.req.header("authorization"));
    if (raw === undefined) throw fail.unauthorized(MESSAGES.noToken);
    const parsed = parseToken(raw);
    if (!parsed) throw fail.unauthorized(MESSAGES.notTenantToken);
    c.set("tenantId", parsed.tenantId);
    c.set("credential", { token_id: parsed.tokenId, secret: parsed.secret });
    c.set("scheduler", schedulerFor(c.env, parsed.tenantId));
    await next();
  });
