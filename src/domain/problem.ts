/** Typed errors the domain and the object raise; the API maps them to RFC 9457 problems in one place. */

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  /** Seconds, for 429 and 503 answers. */
  retry_after?: number;
}

const TYPE_BASE = "https://scheduler.dev/problems/";

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ["validation", "Invalid request"],
  401: ["unauthorized", "Unauthorized"],
  403: ["forbidden", "Forbidden"],
  404: ["not-found", "Not found"],
  405: ["method-not-allowed", "Method not allowed"],
  409: ["conflict", "Conflict"],
  412: ["precondition-failed", "Precondition failed"],
  413: ["payload-too-large", "Payload too large"],
  415: ["unsupported-media-type", "Unsupported media type"],
  422: ["unprocessable", "Unprocessable request"],
  428: ["precondition-required", "Precondition required"],
  429: ["rate-limited", "Too many requests"],
  500: ["internal", "Internal error"],
  503: ["unavailable", "Service unavailable"],
};

/** Builds a problem with the conventional type and title for its status. */
export function problem(status: number, detail: string, errors?: FieldError[]): Problem {
  const [slug, title] = TITLES[status] ?? ["error", "Error"];
  return { type: `${TYPE_BASE}${slug}`, title, status, detail, ...(errors ? { errors } : {}) };
}

/** Thrown anywhere below the API; carries a complete problem. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = "ProblemError";
  }
}

export const fail = {
  invalid: (path: string, message: string): ProblemError =>
    new ProblemError(problem(400, `${path}: ${message}`, [{ path, message }])),
  unauthorized: (detail = "A valid bearer token is required."): ProblemError =>
    new ProblemError(problem(401, detail)),
  forbidden: (detail: string): ProblemError => new ProblemError(problem(403, detail)),
  notFound: (what: string): ProblemError =>
    new ProblemError(problem(404, `${what} was not found.`)),
  conflict: (detail: string, errors?: FieldError[]): ProblemError =>
    new ProblemError(problem(409, detail, errors)),
  preconditionFailed: (detail: string): ProblemError => new ProblemError(problem(412, detail)),
};

/** What an RPC method of the object returns: problems travel as values, not as thrown errors. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: Problem };
