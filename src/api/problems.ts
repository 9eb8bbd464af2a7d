/** The one place problems become HTTP answers (RFC 9457, application/problem+json). */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import {
  type FieldError,
  type Outcome,
  type Problem,
  ProblemError,
  problem,
} from "../domain/problem";
import { logError } from "../observability/log";

export function problemResponse(p: Problem): Response {
  const { retry_after, ...body } = p;
  const headers = new Headers({ "content-type": "application/problem+json" });
  if (retry_after !== undefined) headers.set("retry-after", String(retry_after));
  if (p.status === 401) headers.set("www-authenticate", 'Bearer realm="scheduler"');
  return new Response(JSON.stringify(body), { status: p.status, headers });
}

/** `jobs[3].schedule.cron` from zod's ["jobs", 3, "schedule", "cron"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
    )
    .join("");
}

export function fieldErrors(error: ZodError, prefix = ""): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = formatPath(issue.path);
    const at = (leaf: string) => [prefix, base, leaf].filter(Boolean).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: at(key), message: "unknown field" }));
    }
    return [{ path: at("") || "(body)", message: issue.message }];
  });
}

/** The validation hook shared by every route: the first failing target becomes a 400 problem. */
export function validationHook(
  result: { success: boolean; error?: unknown; target: string },
  _c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const prefix = result.target === "json" || result.target === "param" ? "" : result.target;
  const errors = fieldErrors(result.error as ZodError, prefix);
  const detail = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
  return problemResponse(problem(400, detail, errors));
}

/** Maps anything thrown by a route to a problem; unknown errors are logged and answered 500. */
export function onError(error: Error, c: Context): Response {
  if (error instanceof ProblemError) return problemResponse(error.problem);
  if (error instanceof HTTPException) {
    const detail =
      error.status === 400
        ? `Malformed request: ${error.message || "invalid body"}`
        : error.message;
    return problemResponse(problem(error.status, detail));
  }
  // The path and method only: headers (Authorization) and bodies are never logged.
  logError(
    "api.error",
    {
      tenant_id: c.get("tenantId") as string | undefined,
      method: c.req.method,
      path: c.req.path,
      stack: error.stack,
    },
    error,
  );
  return problemResponse(problem(500, "An unexpected error occurred."));
}

/** The value of an object call, or its problem thrown for `onError`. */
export async function unwrap<T>(outcome: Promise<Outcome<T>>): Promise<T> {
  const result = await outcome;
  if (!result.ok) throw new ProblemError(result.problem);
  return result.value;
}
