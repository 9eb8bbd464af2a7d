/** The HTTP edge: composes middleware and route modules, and serves the OpenAPI document. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { consoleRoutes } from "../console/page";
import { LIMITS } from "../domain/limits";
import { ProblemError, problem } from "../domain/problem";
import { TIERS } from "../domain/tiers";
import { type AppEnv, requireAdmin, requireTenant } from "./auth";
import { docsPage } from "./docs-page";
import { onError, validationHook } from "./problems";
import { bodyLimit, publicGates } from "./request-gates";
import { adminRoutes } from "./routes/admin";
import { adminMetricsRoutes } from "./routes/admin-metrics";
import { devEchoRoutes } from "./routes/dev-echo";
import { flowRoutes } from "./routes/flow";
import { healthRoutes } from "./routes/health";
import { homeRoutes } from "./routes/home";
import { jobRoutes } from "./routes/jobs";
import { metricsRoutes } from "./routes/metrics";
import { runRoutes } from "./routes/runs";
import { scheduleRoutes } from "./routes/schedules";
import { workerRoutes } from "./routes/workers";

const tierTable = Object.entries(TIERS)
  .map(
    ([name, t]) =>
      `| ${name} | ${t.max_active_jobs} | ${t.max_in_flight} | ${t.requests_per_minute} | ${t.allowed_priorities.join(", ")} | ${t.min_cron_interval_seconds} s | ${t.run_retention_days} d |`,
  )
  .join("\n");

const DESCRIPTION = `Multi-tenant scheduler for one-time, delayed and cron jobs, delivered as signed webhooks.

Errors are RFC 9457 \`application/problem+json\` with \`errors[].path\` naming each failing field.
Authenticate with \`Authorization: Bearer <token>\`: a tenant token for /v1, the admin token for /v1/admin.
Failed authentications count per client address (429 past the limit); every route refuses a body over
${LIMITS.maxBodyBytes / 1024} KiB with 413 (POST /v1/jobs/batch: ${LIMITS.maxBatchBodyBytes / 1024 / 1024} MiB).

| tier | max active jobs | max runs in flight | requests/min | priorities | min cron interval | run retention |
|---|---|---|---|---|---|---|
${tierTable}`;

export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(onError);
  app.notFound((c) => {
    throw new ProblemError(problem(404, `No route for ${c.req.method} ${c.req.path}.`));
  });

  // Routes without a token are limited per client address; every route has a body limit, which
  // API routes apply only after their token is checked (request-gates.ts).
  app.use("*", publicGates());

  // GET / points to the console and the API document; /dev/echo exists only for local development.
  app.route("/", homeRoutes());
  app.route("/", devEchoRoutes());
  // /health is liveness, /health/ready readiness (Durable Object storage answers).
  app.route("/", healthRoutes());

  app.use("/v1/admin/*", requireAdmin(), bodyLimit());
  app.route("/v1/admin", adminRoutes());
  app.route("/v1/admin", adminMetricsRoutes());

  const tenant = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  tenant.use("*", async (c, next) => {
    if (c.req.path.startsWith("/v1/admin")) return next();
    return requireTenant()(c, async () => {
      await bodyLimit()(c, next);
    });
  });
  tenant.route("/jobs", jobRoutes());
  tenant.route("/", runRoutes());
  tenant.route("/", scheduleRoutes());
  tenant.route("/", metricsRoutes());
  tenant.route("/", workerRoutes());
  tenant.route("/", flowRoutes());
  app.route("/v1", tenant);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Edge scheduler API", version: "1.0.0", description: DESCRIPTION },
    security: [{ bearer: [] }],
  });
  // The viewer, under a CSP and frame headers of its own (docs-page.ts).
  app.get("/docs", () => docsPage());
  // The web console's page; its script and stylesheet are static assets (wrangler.toml [assets]).
  app.route("/console", consoleRoutes());
  return app;
}
