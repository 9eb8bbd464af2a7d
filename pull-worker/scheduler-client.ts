/** The worker's HTTP to the scheduler: bearer token, problem answers, retries with backoff, clock skew. */
import type { Logger } from "./worker-api.ts";

/** Backoff between tries of a request: doubling from this, up to the cap. */
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 30_000;

/** One answer of the scheduler. */
export interface Answer {
  status: number;
  /** The parsed JSON body (a problem on errors); null when empty. */
  body: unknown;
  retryAfterMs: number | null;
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: { path?: string; message?: string }[];
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Exponential backoff, jittered over its upper half: 125-250 ms, then 250-500 ms, ... at most 30 s. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Seconds or an HTTP date, as milliseconds from now; null when absent or unreadable. */
function retryAfter(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** Answers worth trying again: 408, 429 and 5xx. */
export const isTransient = (status: number) => status === 408 || status === 429 || status >= 500;

/** `status title: detail (path: message, ...)` of a problem answer. */
export function describeProblem(answer: { status: number; body: unknown }): string {
  if (!answer.body || typeof answer.body !== "object") return `HTTP ${answer.status}`;
  const p = answer.body as Problem;
  const errors = Array.isArray(p.errors)
    ? p.errors.map((e) => `${e?.path ?? ""}: ${e?.message ?? ""}`).join("; ")
    : "";
  return `HTTP ${answer.status} ${p.title ?? ""}${p.detail ? `: ${p.detail}` : ""}${errors ? ` (${errors})` : ""}`;
}

export class SchedulerClient {
  /** Server clock minus ours, from the Date header; applied only beyond 2 s. */
  skewMs = 0;

  private readonly base: string;
  private readonly token: string;
  /** Aborted by the worker's stop(): cancels every request in flight and every retry wait. */
  private readonly halt: AbortSignal;
  private readonly log: Logger;

  constructor(base: string, token: string, halt: AbortSignal, log: Logger) {
    this.base = base;
    this.token = token;
    this.halt = halt;
    this.log = log;
  }

  async request(method: string, path: string, body?: unknown, signal?: AbortSignal) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        "user-agent": "edge-scheduler-worker/0.1",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, this.halt]) : this.halt,
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { title: text.slice(0, 200) };
    }
    const date = Date.parse(response.headers.get("date") ?? "");
    if (!Number.isNaN(date)) {
      // The Date header has whole seconds: the server's clock is within [date, date + 1 s).
      const skew = date + 500 - Date.now();
      this.skewMs = Math.abs(skew) > 2000 ? skew : 0;
    }
    return {
      status: response.status,
      body: parsed,
      retryAfterMs: retryAfter(response.headers.get("retry-after")),
    } satisfies Answer;
  }

  /**
   * A request retried on network errors, 408, 429 (after Retry-After) and 5xx with bounded backoff,
   * `tries` times at most; throws the last network error, or returns the last transient answer.
   */
  async send(path: string, body: unknown, tries: number): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      let answer: Answer | null = null;
      let failure: unknown = null;
      try {
        answer = await this.request("POST", path, body);
        if (!isTransient(answer.status)) return answer;
      } catch (error) {
        if (this.halt.aborted) throw error;
        failure = error;
      }
      if (attempt >= tries) {
        if (answer) return answer;
        throw failure;
      }
      const wait = Math.min(60_000, answer?.retryAfterMs ?? backoffMs(attempt));
      this.log("debug", `retrying ${path} in ${wait} ms`, {
        reason: answer ? describeProblem(answer) : String(failure),
      });
      await sleep(wait, this.halt);
    }
  }
}
