/** GET /v1/metrics: the tenant's Prometheus text metrics; GET /v1/stats: per-minute series for charts. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { commonErrors } from "../../contract/common";
import { StatsQuerySchema, StatsSchema } from "../../contract/stats";
import type { AppEnv } from "../auth";
import { validationHook } from "../problems";
import { tenantCall } from "../scheduler-call";
import { json } from "./openapi";

const metrics = createRoute({
  method: "get",
  path: "/metrics",
  summary: "The tenant's metrics in the Prometheus text format",
  responses: {
    200: {
      content: { "text/plain": { schema: { type: "string" } } },
      description: "Prometheus text 0.0.4",
    },
    ...commonErrors,
  },
});

const stats = createRoute({
  method: "get",
  path: "/stats",
  summary: "Runs finished per minute by status and fire lag p50/p99, for the last hour or day",
  request: { query: StatsQuerySchema },
  responses: { 200: json(StatsSchema, "One entry per minute, oldest first"), ...commonErrors },
});

export function metricsRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(metrics, async (c) => {
    const text = await tenantCall(c, "metrics");
    // Prometheus text is not JSON, so the typed-response check does not apply.
    return c.body(text, 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }) as never;
  });
  app.openapi(stats, async (c) =>
    c.json(await tenantCall(c, "minuteStatsOf", c.req.valid("query").window), 200),
  );
  return app;
}
