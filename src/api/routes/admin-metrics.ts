/**
 * GET /v1/admin/metrics: the cross-tenant metrics that are cheap to compute, in the Prometheus text
 * format. Only the tenant directory is read (a few maintained count rows). Run metrics stay per
 * tenant (`GET /v1/metrics`): summing them here would call every tenant's object on each scrape.
 * Fleet-wide run analytics come from Analytics Engine instead (docs/observability.md).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { problemDoc } from "../../contract/common";
import { TIER_NAMES } from "../../domain/tiers";
import type { TenantCount } from "../../durable/tenant-directory";
import type { AppEnv } from "../auth";
import { validationHook } from "../problems";

const adminMetrics = createRoute({
  method: "get",
  path: "/metrics",
  summary: "Cross-tenant metrics (tenants by tier and suspension) in the Prometheus text format",
  responses: {
    200: {
      content: { "text/plain": { schema: { type: "string" } } },
      description: "Prometheus text 0.0.4",
    },
    401: problemDoc("Missing, unknown or revoked admin token"),
  },
});

/** Renders the directory's counts; every tier appears in both states, zero included. */
export function renderAdminMetrics(counts: TenantCount[]): string {
  const value = (tier: string, suspended: boolean) =>
    counts
      .filter((c) => c.tier === tier && c.suspended === suspended)
      .reduce((sum, c) => sum + c.count, 0);
  const tiers = [...new Set([...TIER_NAMES, ...counts.map((c) => c.tier)])];
  const lines = [
    "# HELP scheduler_tenants Tenants by tier and suspension, from the tenant directory.",
    "# TYPE scheduler_tenants gauge",
  ];
  for (const tier of tiers) {
    for (const suspended of [false, true]) {
      lines.push(
        `scheduler_tenants{tier="${tier}",suspended="${suspended}"} ${value(tier, suspended)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

export function adminMetricsRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(adminMetrics, async (c) => {
    const directory = c.env.TENANT_DIRECTORY.get(c.env.TENANT_DIRECTORY.idFromName("directory"));
    const text = renderAdminMetrics(await directory.stats());
    // Prometheus text is not JSON, so the typed-response check does not apply.
    return c.body(text, 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }) as never;
  });
  return app;
}
