/** GET /v1/metrics: the tenant's Prometheus text metrics. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { commonErrors } from "../../contract/common";
import type { AppEnv } from "../auth";
import { validationHook } from "../problems";
import { tenantCall } from "../scheduler-call";

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

export function metricsRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(metrics, async (c) => {
    const text = await tenantCall(c, "metrics");
    // Prometheus text is not JSON, so the typed-response check does not apply.
    return c.body(text, 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }) as never;
  });
  return app;
}
