/**
 * POST (any method) /dev/echo: a webhook target that answers on the Worker itself, so the quick
 * start's first run succeeds with nothing else running. It exists only where ALLOW_INSECURE_TARGETS
 * is "true" (local development, whose .dev.vars `npm run dev` writes); elsewhere, as in production,
 * the path is the ordinary 404. It answers 200 with what it received (run id, attempt, body).
 */
import { Hono } from "hono";
import type { AppEnv } from "../auth";

export const DEV_ECHO_PATH = "/dev/echo";

/** The body as JSON when it parses, else as text; at most this many characters are read back. */
const MAX_ECHOED = 2048;

export function devEchoRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.all(DEV_ECHO_PATH, async (c, next) => {
    if (c.env.ALLOW_INSECURE_TARGETS !== "true") return next();
    const text = (await c.req.text()).slice(0, MAX_ECHOED);
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: echoed as text
    }
    return c.json({
      echo: "received",
      method: c.req.method,
      run_id: c.req.header("x-scheduler-run-id") ?? null,
      attempt: Number(c.req.header("x-scheduler-attempt") ?? 0) || null,
      body,
    });
  });
  return app;
}
