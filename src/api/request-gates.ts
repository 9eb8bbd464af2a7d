/**
 * What every request passes before its route: a body limit on every route (413 before the body is
 * read when Content-Length says so, else while it is read), and a per-address limit on the
 * routes that need no token. API routes (/v1) get their body limit after their token is checked.
 */
import { createMiddleware } from "hono/factory";
import { LIMITS } from "../domain/limits";
import { countAgainst } from "./address-limits";
import type { AppEnv } from "./auth";
import { tooLarge } from "./routes/openapi";

/** The largest body a route takes: a batch of jobs may be large, everything else is small. */
export function maxBodyBytes(method: string, path: string): number {
  return method === "POST" && path.replace(/\/+$/, "") === "/v1/jobs/batch"
    ? LIMITS.maxBatchBodyBytes
    : LIMITS.maxBodyBytes;
}

/** Whether `path` is an API route, where a token is required. */
export function isApiPath(path: string): boolean {
  return path === "/v1" || path.startsWith("/v1/");
}

/** 413 for a body over the route's limit (`maxBodyBytes`). */
export const bodyLimit = () =>
  createMiddleware<AppEnv>((c, next) => tooLarge(maxBodyBytes(c.req.method, c.req.path))(c, next));

/**
 * Routes that need no token (/, /health, /docs, /openapi.json, /console, unknown paths): counted
 * per client address, 429 past PUBLIC_REQUESTS; then their body limit.
 */
export const publicGates = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (isApiPath(c.req.path)) return next();
    const limited = await countAgainst(c, "PUBLIC_REQUESTS");
    if (limited) throw limited;
    return tooLarge(LIMITS.maxBodyBytes)(c, next);
  });
