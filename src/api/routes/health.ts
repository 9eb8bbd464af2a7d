/**
 * GET /health (liveness: the Worker answers) and GET /health/ready (readiness: Durable Object
 * storage answers too). Neither needs a token, and neither says anything about any tenant. The
 * readiness answer is kept for a few seconds per Worker isolate, so probes (or anyone) calling it
 * in a loop do not become a stream of calls to the directory object.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { problemDoc } from "../../contract/common";
import { problem } from "../../domain/problem";
import { logError } from "../../observability/log";
import type { AppEnv } from "../auth";
import { problemResponse, validationHook } from "../problems";

/** A readiness probe that takes longer than this is answered 503. */
export const READY_TIMEOUT_MS = 2_000;
/** How long an isolate reuses its last readiness answer. */
export const READY_CACHE_MS = 5_000;

/** This isolate's last readiness check: when, and its outcome (resolved: ready; rejected: not). */
let lastCheck: { at: number; outcome: Promise<void> } | undefined;

/** The directory's answer, asked at most once per `READY_CACHE_MS` per isolate. */
function checkReady(env: Env): Promise<void> {
  const now = Date.now();
  if (!lastCheck || now - lastCheck.at >= READY_CACHE_MS)
    lastCheck = { at: now, outcome: pingDirectory(env) };
  return lastCheck.outcome;
}

const Status = <T extends string>(value: T) =>
  z.object({ status: z.literal(value) }).openapi({ example: { status: value } });

const live = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness: the Worker is up (touches no storage)",
  security: [],
  responses: {
    200: { content: { "application/json": { schema: Status("ok") } }, description: "Alive" },
  },
});

const ready = createRoute({
  method: "get",
  path: "/health/ready",
  summary: "Readiness: the Worker can reach Durable Object storage",
  description:
    "Asks the tenant directory object to read its SQLite storage. 503 when it does not answer " +
    `within ${READY_TIMEOUT_MS / 1000} s or fails. Each Worker isolate reuses its answer for ` +
    `${READY_CACHE_MS / 1000} s.`,
  security: [],
  responses: {
    200: { content: { "application/json": { schema: Status("ready") } }, description: "Ready" },
    503: problemDoc("Durable Object storage did not answer"),
  },
});

async function pingDirectory(env: Env): Promise<void> {
  const directory = env.TENANT_DIRECTORY.get(env.TENANT_DIRECTORY.idFromName("directory"));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out")), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([directory.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(live, (c) => c.json({ status: "ok" as const }, 200));
  app.openapi(ready, async (c) => {
    try {
      await checkReady(c.env);
      return c.json({ status: "ready" as const }, 200);
    } catch (error) {
      logError("health.not_ready", {}, error);
      // A problem answer is a Response, outside the typed-response check.
      return problemResponse(
        problem(503, "Durable Object storage did not answer the readiness probe."),
      ) as never;
    }
  });
  return app;
}
