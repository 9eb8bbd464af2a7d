/**
 * The typed client of the scheduler API. Runs wherever `fetch` does (Node 20+, Workers, browsers,
 * Deno, Bun). Every route is in `operations`; the groups in resources.ts (tenants, tokens, jobs,
 * runs, dead letters, schedules, workers) and flow.ts (flow keys, destinations) name them for people.
 */
import { parseRetryAfter, problemFrom, SchedulerConnectionError } from "./errors.ts";
import { DestinationsApi, FlowKeysApi } from "./flow.ts";
import { fillPath, type Operation, operations, type PathParams } from "./operations.ts";
import {
  DeadLettersApi,
  JobsApi,
  RunsApi,
  SchedulesApi,
  TenantsApi,
  TokensApi,
  WorkersApi,
} from "./resources.ts";
import type { Health, Readiness, Stats, StatsQuery } from "./types.ts";

export interface SchedulerClientOptions {
  /** Where the Worker answers, e.g. `https://scheduler.example.com` or `http://localhost:8787`. */
  baseUrl: string;
  /** A tenant token (`sched.…`) for /v1, or the admin token for /v1/admin. */
  token?: string;
  /** Retries of a 429, each after its `Retry-After`. Default 3. */
  maxRetries?: number;
  /**
   * Retries of a request that got no answer (0.5 s, 1 s, 2 s… apart), only where repeating it is
   * safe: a GET, or a POST with an Idempotency-Key. Default 2.
   */
  maxConnectionRetries?: number;
  /** A 429 asking to wait longer than this is thrown at once instead. Default 60 s. */
  maxRetryDelaySeconds?: number;
  /** Told before each wait, e.g. to show "rate limited, retrying in 3 s". */
  onRetry?: (event: RetryEvent) => void;
  /** Another `fetch` (a Worker's service binding's, a proxy's). Default: the global one. */
  fetch?: (request: Request) => Promise<Response>;
  /** Sent with every request. */
  headers?: Record<string, string>;
}

export interface RetryEvent {
  /** `METHOD /path` */
  request: string;
  /** 1 for the first retry. */
  retry: number;
  delaySeconds: number;
  reason: "rate_limited" | "no_answer";
}

/** Per call: an abort signal and extra headers. */
export interface CallOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

type QueryValue = string | number | boolean | null | undefined;

/** The arguments of one operation: its path parameters, query and body, only where it has them. */
export type CallArgs<P extends string, Q, B> = ([keyof PathParams<P>] extends [never]
  ? { params?: undefined }
  : { params: PathParams<P> }) &
  ([Q] extends [never] ? { query?: undefined } : { query?: Q }) &
  ([B] extends [never] ? { body?: undefined } : { body: B }) &
  CallOptions;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export class SchedulerClient {
  readonly baseUrl: string;
  readonly tenants: TenantsApi;
  readonly tokens: TokensApi;
  readonly jobs: JobsApi;
  readonly runs: RunsApi;
  readonly deadLetters: DeadLettersApi;
  readonly schedules: SchedulesApi;
  readonly workers: WorkersApi;
  readonly flowKeys: FlowKeysApi;
  readonly destinations: DestinationsApi;

  private readonly options: SchedulerClientOptions;

  constructor(options: SchedulerClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.tenants = new TenantsApi(this);
    this.tokens = new TokensApi(this);
    this.jobs = new JobsApi(this);
    this.runs = new RunsApi(this);
    this.deadLetters = new DeadLettersApi(this);
    this.schedules = new SchedulesApi(this);
    this.workers = new WorkersApi(this);
    this.flowKeys = new FlowKeysApi(this);
    this.destinations = new DestinationsApi(this);
  }

  /** The same client with another token (say, a tenant's right after an admin created it). */
  withToken(token: string): SchedulerClient {
    return new SchedulerClient({ ...this.options, token });
  }

  /** The tenant's metrics in the Prometheus text format. */
  metrics(options?: CallOptions): Promise<string> {
    return this.call(operations.metrics, { ...options });
  }

  /** Runs finished per minute by status and fire lag p50/p99, for the last hour or day. */
  stats(query: StatsQuery = {}, options?: CallOptions): Promise<Stats> {
    return this.call(operations.stats, { query, ...options });
  }

  /** Tenant counts by tier and suspension, Prometheus text (admin token). */
  adminMetrics(options?: CallOptions): Promise<string> {
    return this.call(operations.adminMetrics, { ...options });
  }

  /** Liveness: the Worker answers. */
  health(options?: CallOptions): Promise<Health> {
    return this.call(operations.health, { ...options });
  }

  /** Readiness: Durable Object storage answers too (a 503 problem when not). */
  ready(options?: CallOptions): Promise<Readiness> {
    return this.call(operations.ready, { ...options });
  }

  /**
   * Calls one route of `operations` (the groups use this; so can a caller for a route they do
   * not name yet). Throws `SchedulerProblem` for a non-2xx answer and `SchedulerConnectionError`
   * when none came. A 429 is retried after `Retry-After` (at most `maxRetries` times, each wait at
   * most `maxRetryDelaySeconds`: a refused request changed nothing, so any method may be sent
   * again); a request without an answer is retried only when repeating it is safe (GET, or a POST
   * with an Idempotency-Key), at most `maxConnectionRetries` times.
   */
  async call<P extends string, Q, B, A>(
    operation: Operation<P, Q, B, A>,
    args: CallArgs<P, Q, B>,
  ): Promise<A> {
    const path = fillPath(operation.path, args.params as Record<string, string> | undefined);
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries((args.query ?? {}) as Record<string, QueryValue>)) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const headers = new Headers({ accept: "application/json", ...this.options.headers });
    if (this.options.token) headers.set("authorization", `Bearer ${this.options.token}`);
    for (const [name, value] of Object.entries(args.headers ?? {})) headers.set(name, value);
    let body: string | undefined;
    if (args.body !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(args.body);
    }
    const label = `${operation.method} ${path}`;
    const repeatable = operation.method === "GET" || headers.has("idempotency-key");
    const maxRetries = this.options.maxRetries ?? 3;
    const maxConnectionRetries = this.options.maxConnectionRetries ?? 2;
    const maxDelay = this.options.maxRetryDelaySeconds ?? 60;
    const doFetch = this.options.fetch ?? ((request: Request) => fetch(request));

    let rateLimited = 0;
    let unanswered = 0;
    for (;;) {
      let response: Response;
      try {
        response = await doFetch(
          new Request(url, { method: operation.method, headers, body, signal: args.signal }),
        );
      } catch (error) {
        if (args.signal?.aborted || !repeatable || unanswered >= maxConnectionRetries)
          throw new SchedulerConnectionError(label, error);
        const retry = ++unanswered;
        const delaySeconds = 0.25 * 2 ** retry;
        this.options.onRetry?.({ request: label, retry, delaySeconds, reason: "no_answer" });
        await sleep(delaySeconds * 1000, args.signal);
        continue;
      }
      if (response.ok) return (await read(response, operation.answer, label)) as A;
      if (response.status === 429 && rateLimited < maxRetries) {
        const delaySeconds = parseRetryAfter(response.headers.get("retry-after"), Date.now()) ?? 1;
        if (delaySeconds <= maxDelay) {
          await response.body?.cancel();
          const retry = ++rateLimited;
          this.options.onRetry?.({ request: label, retry, delaySeconds, reason: "rate_limited" });
          // A little jitter, so that clients told the same second do not all return at once.
          await sleep(delaySeconds * 1000 + Math.random() * 250, args.signal);
          continue;
        }
      }
      throw await problemFrom(response, label);
    }
  }
}

async function read(
  response: Response,
  kind: Operation["answer"],
  label: string,
): Promise<unknown> {
  if (kind === "none" || response.status === 204) {
    await response.body?.cancel();
    return undefined;
  }
  const text = await response.text();
  if (kind === "text") return text;
  try {
    return JSON.parse(text);
  } catch {
    // Not the scheduler answering (a wrong base URL, a proxy's page).
    throw new Error(
      `${label}: ${response.status} answer is not JSON (${response.headers.get("content-type") ?? "no content-type"}): ${text.slice(0, 80)}`,
    );
  }
}
