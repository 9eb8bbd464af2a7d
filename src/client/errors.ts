/** What a failed call throws: the API's RFC 9457 problem, or a connection that never got an answer. */
import type { FieldError, Problem } from "./types.ts";

/** An answer other than 2xx, as the API describes it (`application/problem+json`). */
export class SchedulerProblem extends Error {
  /** The HTTP status, 400 to 599. */
  readonly status: number;
  /** A URI naming the kind of problem, e.g. `https://scheduler.dev/problems/validation`. */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** Each failing field, e.g. `{ path: "schedule.cron", message: "..." }`; empty when none. */
  readonly errors: FieldError[];
  /** Seconds to wait before retrying (429, 503), from `Retry-After`. */
  readonly retryAfter: number | undefined;
  /** The request that failed, e.g. `POST /v1/jobs`. */
  readonly request: string;

  constructor(problem: Problem, request: string, retryAfter?: number) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = "SchedulerProblem";
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.retryAfter = retryAfter;
    this.request = request;
  }

  /** 4xx: the request was refused and changed nothing; sending it again will not help. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }

  /** The problem as the API sent it (for logging or `--json` output). */
  toJSON(): Problem {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(this.errors.length ? { errors: this.errors } : {}),
    };
  }
}

/** No answer at all: DNS, refused connection, TLS, a reset, or the caller's abort signal. */
export class SchedulerConnectionError extends Error {
  readonly request: string;

  constructor(request: string, cause: unknown) {
    super(`${request}: no answer (${cause instanceof Error ? cause.message : String(cause)})`, {
      cause,
    });
    this.name = "SchedulerConnectionError";
    this.request = request;
  }
}

/** Builds the problem of a failed answer; an answer that is not a problem document gets one. */
export async function problemFrom(response: Response, request: string): Promise<SchedulerProblem> {
  const text = await response.text().catch(() => "");
  const retryAfter = parseRetryAfter(response.headers.get("retry-after"), Date.now());
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (typeof body === "object" && body && typeof body.detail === "string") {
      return new SchedulerProblem(
        {
          type: typeof body.type === "string" ? body.type : "about:blank",
          title: typeof body.title === "string" ? body.title : response.statusText || "Error",
          status: response.status,
          detail: body.detail,
          errors: Array.isArray(body.errors) ? body.errors : undefined,
        },
        request,
        retryAfter,
      );
    }
  } catch {
    // not JSON: a proxy's or platform's error page
  }
  return new SchedulerProblem(
    {
      type: "about:blank",
      title: response.statusText || "Error",
      status: response.status,
      detail: text.trim().slice(0, 500) || `HTTP ${response.status} without a body`,
    },
    request,
    retryAfter,
  );
}

/** `Retry-After` in seconds: a number of seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
