/**
 * Authentication middleware: the admin secret for /v1/admin, tenant tokens for the rest of /v1.
 * Both run before any body is read. A tenant token's tag is checked here, so a forged one never
 * reaches, creates or bills a tenant's object; failures count per client address (429 past the
 * limit, address-limits.ts), never per tenant, so nobody can lock a tenant's own tokens out.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { fail, ProblemError, problem } from "../domain/problem";
import { type ParsedToken, parseToken, secretsEqual, tagMatches } from "../domain/secrets";
import type { Credential } from "../durable/tenant/tenant-store";
import type { TenantScheduler } from "../durable/tenant-scheduler";
import { log } from "../observability/log";
import { countAgainst, failedAuthentication } from "./address-limits";
import { unwrap } from "./problems";
import { refusedTokens } from "./refused-tokens";

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
  /** The tenant object's own answer, which the Worker gives too when it refuses a token itself. */
  unknownOrRevoked: "The token is unknown or revoked.",
  untagged:
    "The token is unknown or revoked: it was issued before tokens were signed, and this scheduler no longer accepts such tokens; ask the operator for a new one.",
  signingKeyUnset:
    "This scheduler has no TOKEN_SIGNING_KEY configured, so it can neither issue nor check tenant tokens.",
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

/** A 401 of the checks below becomes a counted failure of the client's address (429 past it). */
async function counted<T>(c: Context, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof ProblemError && error.problem.status === 401)
      throw await failedAuthentication(c, error);
    throw error;
  }
}

/**
 * Requires `Authorization: Bearer <ADMIN_TOKEN>`. The comparison hashes both sides and uses
 * timingSafeEqual, so timing reveals neither the secret nor its length. Tenant tokens never pass.
 * Failures count against the client's address like tenant ones.
 */
export const requireAdmin = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const expected = c.env.ADMIN_TOKEN;
    await counted(c, async () => {
      const presented = presentedToken(c.req.header("authorization"));
      if (!expected) throw fail.unauthorized(MESSAGES.adminUnset);
      if (presented === undefined) throw fail.unauthorized(MESSAGES.noAdminToken);
      if (!(await secretsEqual(presented, expected)))
        throw fail.unauthorized(MESSAGES.notAdminToken);
    });
    await next();
  });

/** 503 when no TOKEN_SIGNING_KEY is configured: no tenant token can be issued or checked. */
export function assertSigningKey(env: Env): void {
  if (!env.TOKEN_SIGNING_KEY) throw new ProblemError(problem(503, MESSAGES.signingKeyUnset));
}

/** The keys a token's tag may be made with: the current one, and the previous during a rotation. */
function signingKeys(env: Env): string[] {
  const previous = (env as Env & { TOKEN_SIGNING_KEY_PREVIOUS?: string })
    .TOKEN_SIGNING_KEY_PREVIOUS;
  return [env.TOKEN_SIGNING_KEY, previous].filter((key): key is string => Boolean(key));
}

/**
 * The tenant token of the request, checked as far as the Worker can without a tenant's object:
 * its form, its tag, and this isolate's memory of tokens refused before. A token issued before
 * signing (no tag) passes only while ACCEPT_UNTAGGED_TOKENS is "true", counted per address, and
 * after its object has checked it, so its body is not read before that either.
 */
async function verifiedToken(c: Context<AppEnv>): Promise<ParsedToken & { raw: string }> {
  const raw = presentedToken(c.req.header("authorization"));
  if (raw === undefined) throw fail.unauthorized(MESSAGES.noToken);
  const token = parseToken(raw);
  if (!token) throw fail.unauthorized(MESSAGES.notTenantToken);
  if (refusedTokens.has(raw, Date.now())) throw fail.unauthorized(MESSAGES.unknownOrRevoked);
  if (token.tagged) {
    const keys = signingKeys(c.env);
    if (!keys.length) throw new ProblemError(problem(503, MESSAGES.signingKeyUnset));
    if (!(await tagMatches(token, keys))) throw fail.unauthorized(MESSAGES.unknownOrRevoked);
    return { ...token, raw };
  }
  if (c.env.ACCEPT_UNTAGGED_TOKENS !== "true") throw fail.unauthorized(MESSAGES.untagged);
  const limited = await countAgainst(c, "UNTAGGED_TOKENS");
  if (limited) throw limited;
  // The operator sees which tokens are still of the old form (ids only, never secrets).
  log("auth.untagged_token", { tenant_id: token.tenantId, token_id: token.tokenId });
  try {
    await unwrap(schedulerFor(c.env, token.tenantId).checkToken(credentialOf(token)));
  } catch (error) {
    if (error instanceof ProblemError && error.problem.status === 401)
      refusedTokens.add(raw, Date.now());
    throw error;
  }
  return { ...token, raw };
}

function credentialOf(token: ParsedToken): Credential {
  return { token_id: token.tokenId, secret: token.secret };
}

/**
 * Checks a tenant token (verifiedToken) and binds the tenant's object. The object itself then
 * checks the secret's hash, the scope, revocation and suspension on every call, so revocation
 * takes effect at once. When it refuses the token as unknown or revoked, this isolate remembers
 * that (refused-tokens.ts) and the address's failures count.
 */
export const requireTenant = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = await counted(c, () => verifiedToken(c));
    c.set("tenantId", token.tenantId);
    c.set("credential", credentialOf(token));
    c.set("scheduler", schedulerFor(c.env, token.tenantId));
    await next();
    if (c.res.status === 401 && c.error instanceof ProblemError) {
      // This answer stays a 401; the address's next failures are 429 once it is over its limit.
      refusedTokens.add(token.raw, Date.now());
      await countAgainst(c, "AUTH_FAILURES");
    }
  });
