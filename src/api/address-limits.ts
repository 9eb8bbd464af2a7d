/**
 * Limits per client address, for what no tenant pays for: failed authentications, requests to
 * routes without a token, and tokens the Worker cannot verify itself. Counted by Workers rate
 * limiting bindings (wrangler.toml `[[ratelimits]]`, which hold the numbers): each call counts one
 * request against the address and says whether it is still within the limit. Counts are kept per
 * Cloudflare location, so the limits bound what one address does through one location.
 */
import type { Context } from "hono";
import { ProblemError, problem } from "../domain/problem";
import { logError } from "../observability/log";

export type AddressLimit = "AUTH_FAILURES" | "PUBLIC_REQUESTS" | "UNTAGGED_TOKENS";

/** Every limit counts over one minute (`period = 60` in wrangler.toml). */
const PERIOD_SECONDS = 60;

const REFUSALS: Record<AddressLimit, string> = {
  AUTH_FAILURES: "Too many failed authentications from this address",
  PUBLIC_REQUESTS: "Too many requests without a token from this address",
  UNTAGGED_TOKENS:
    "Too many requests from this address with tokens issued before signed tokens (ask the operator for a new token)",
};

/**
 * The client's address as Cloudflare saw it. CF-Connecting-IP is set by Cloudflare on every
 * request from outside (a client cannot choose it); without it (tests, another Worker of the
 * operator) every such request shares one key.
 */
export function clientAddress(c: Context): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

/**
 * Counts one request of `limit` for the client's address; a 429 problem (Retry-After: a minute)
 * when the address is over it, else null. A limiter that fails lets the request through: the
 * limits keep outsiders from costing anything, they must not take the API down with them.
 */
export async function countAgainst(c: Context, limit: AddressLimit): Promise<ProblemError | null> {
  const binding = (c.env as Env)[limit];
  let success = true;
  try {
    success = (await binding.limit({ key: clientAddress(c) })).success;
  } catch (error) {
    logError("address_limit.failed", { limit }, error);
  }
  if (success) return null;
  return new ProblemError({
    ...problem(429, `${REFUSALS[limit]}; retry in ${PERIOD_SECONDS} s.`),
    retry_after: PERIOD_SECONDS,
  });
}

/**
 * What to answer for a failed authentication: the failure itself (401), or 429 once the address
 * has failed too often. Either way nothing but the limiter was asked.
 */
export async function failedAuthentication(
  c: Context,
  failure: ProblemError,
): Promise<ProblemError> {
  return (await countAgainst(c, "AUTH_FAILURES")) ?? failure;
}
