/**
 * The API as the console calls it: the typed client of src/client (one route table, problems with
 * their failing fields, 429 retries after Retry-After), with the waits it makes shown to the user.
 */

import type { Attempt, Job, RunDetail, Worker } from "../../client/index.ts";
import { SchedulerClient, SchedulerConnectionError, SchedulerProblem } from "../../client/index.ts";
import { type Session, session } from "./session";
import { createStore } from "./store";

export type { Job, JobInput, JobPatch, Run, RunDetail, Tenant } from "../../client/index.ts";
export type { Worker };
export type Target = NonNullable<Job["target"]>;

/**
 * Task graphs (a job with `tasks` instead of a `target`; its runs with a task run per task), read
 * through these shapes so that the console works with an API with or without them.
 */
export interface TaskSpec {
  key: string;
  target: Target;
  depends_on?: string[];
  priority?: "high" | "medium" | "low";
  retry?: { max_attempts?: number; initial_backoff_seconds?: number; max_backoff_seconds?: number };
  retry_on?: "any" | "transient";
  timeout_seconds?: number;
}

export interface TaskRun {
  key: string;
  run_id: string;
  status: string;
  depends_on: string[];
  attempt: number;
  max_attempts: number;
  next_attempt_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  last_error: string | null;
  pool: string | null;
  worker_id: string | null;
  attempts: Attempt[];
}

/** A job's tasks, or null for a job with a single target. */
export function jobTasks(job: Job): TaskSpec[] | null {
  const tasks = (job as { tasks?: TaskSpec[] | null }).tasks;
  return tasks?.length ? tasks : null;
}

/** A run's task runs and dependency edges, or null for a run without tasks. */
export function runGraph(
  run: RunDetail,
): { tasks: TaskRun[]; edges: { from: string; to: string }[] } | null {
  const graph = run as { tasks?: TaskRun[]; edges?: { from: string; to: string }[] };
  return graph.tasks?.length ? { tasks: graph.tasks, edges: graph.edges ?? [] } : null;
}

/** The task key of a run that is a task of a graph, or null. */
export function taskKeyOf(run: { id: string }): string | null {
  return (run as { task_key?: string | null }).task_key ?? null;
}
export { SchedulerConnectionError, SchedulerProblem };

/** A wait the client is making because the API answered 429: shown in a banner with a countdown. */
export interface RateLimitWait {
  request: string;
  until: number;
  retry: number;
}
export const rateLimitWait = createStore<RateLimitWait | null>(null);

/** Set when the API stops accepting the session's token (revoked, tenant gone): sign in again. */
export const tokenRefused = createStore<string | null>(null);

let clientSession: Session | null = null;
let client: SchedulerClient | null = null;

/** The client of the signed-in session (a new one after each sign-in). */
export function api(): SchedulerClient {
  const current = session.get();
  if (!current) throw new Error("not signed in");
  if (!client || clientSession !== current) {
    clientSession = current;
    client = clientFor(current.token);
  }
  return client;
}

export function clientFor(token: string): SchedulerClient {
  return new SchedulerClient({
    baseUrl: location.origin,
    token,
    maxRetries: 3,
    maxRetryDelaySeconds: 60,
    onRetry(event) {
      if (event.reason !== "rate_limited") return;
      rateLimitWait.set({
        request: event.request,
        until: Date.now() + event.delaySeconds * 1000,
        retry: event.retry,
      });
    },
    // Every answer ends a rate-limit wait and tells whether the token still works.
    fetch: async (request) => {
      const response = await fetch(request);
      if (response.status !== 429) {
        const wait = rateLimitWait.get();
        if (wait && wait.until <= Date.now() + 250) rateLimitWait.set(null);
      }
      if (response.status === 401 && session.get()?.token === token)
        tokenRefused.set(
          "The scheduler no longer accepts this token (revoked, or its tenant is gone).",
        );
      return response;
    },
  });
}

/** One line for a failure, as shown where it happened. */
export function errorText(error: unknown): string {
  if (error instanceof SchedulerProblem) {
    if (error.status === 429)
      return `The scheduler is rate limiting this ${session.get()?.kind === "operator" ? "console" : "tenant"}${
        error.retryAfter !== undefined ? `: try again in ${error.retryAfter} s` : ""
      }. ${error.detail}`;
    return `${error.title}: ${error.detail}`;
  }
  if (error instanceof SchedulerConnectionError)
    return "No answer from the scheduler: check your connection and try again.";
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isProblem(error: unknown, status?: number): error is SchedulerProblem {
  return error instanceof SchedulerProblem && (status === undefined || error.status === status);
}

/** Every page of a list, following `next_cursor`, at most `maxPages` requests. */
export async function collectPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data: T[]; next_cursor: string | null }>,
  options: { maxPages: number; until?: (items: T[]) => boolean },
): Promise<{ items: T[]; nextCursor: string | null }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < options.maxPages; page++) {
    const answer = await fetchPage(cursor);
    items.push(...answer.data);
    if (!answer.next_cursor) return { items, nextCursor: null };
    cursor = answer.next_cursor;
    if (options.until?.(items)) break;
  }
  return { items, nextCursor: cursor ?? null };
}
