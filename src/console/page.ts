/**
 * /console: the web console's HTML page. Its script and stylesheet are static assets
 * (src/console/public, served before the Worker runs; app.js is built from src/console/client by
 * the wrangler.toml build step). Every /console path answers this one page and the client routes
 * from the URL, so a deep link or a reload works. The page talks to the API with the token kept in
 * the tab's sessionStorage: nothing here knows who is signed in.
 */
import { Hono } from "hono";
import { problemResponse } from "../api/problems";
import { problem } from "../domain/problem";

/**
 * Only this origin's own script, styles and API. `form-action 'none'` stops a form from ever being
 * submitted natively (which would put its fields, a token among them, into a URL).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Scheduler console</title>
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/app.js"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the console…</p><noscript>The console needs JavaScript.</noscript></div>
</body>
</html>
`;

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** Mounted at /console. A path that names a file (`/console/x.js`) is not a page: 404. */
export function consoleRoutes(): Hono {
  const app = new Hono();
  app.get("/*", (c) => {
    if (/\.[A-Za-z0-9]+$/.test(c.req.path))
      return problemResponse(problem(404, `No console file ${c.req.path}.`));
    return new Response(CONSOLE_HTML, { headers: HEADERS });
  });
  return app;
}
