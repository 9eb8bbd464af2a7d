/**
 * GET /: where a person who opened the Worker's address should go next (the console, the API
 * viewer, the OpenAPI document). A browser gets a small page of links; anything else gets JSON.
 */
import { Hono } from "hono";
import type { AppEnv } from "../auth";

export const HOME_LINKS = {
  console: { path: "/console", what: "the web console (sign in with a tenant or the admin token)" },
  docs: { path: "/docs", what: "the API, route by route" },
  openapi: { path: "/openapi.json", what: "the OpenAPI 3.1 document" },
  health: { path: "/health", what: "liveness (/health/ready: storage answers too)" },
} as const;

const HOME_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Edge scheduler</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:2rem;color:#1d1d1f}
a{font-family:ui-monospace,monospace}</style></head>
<body><h1>Edge scheduler</h1><p>This is the scheduler's API. From here:</p><ul>
${Object.values(HOME_LINKS)
  .map((link) => `<li><a href="${link.path}">${link.path}</a>: ${link.what}</li>`)
  .join("\n")}
</ul></body></html>`;

export function homeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", (c) => {
    if ((c.req.header("accept") ?? "").includes("text/html"))
      return c.html(HOME_HTML, 200, {
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
      });
    return c.json({
      name: "edge-scheduler",
      ...Object.fromEntries(Object.entries(HOME_LINKS).map(([key, link]) => [key, link.path])),
    });
  });
  return app;
}
