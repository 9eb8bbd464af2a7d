/**
 * The API as the console calls it: the typed client of src/client (one route table, problems with
 * their failing fields, 429 retries after Retry-After), with the waits it makes shown to the user.
 */

import type { Worker } from "../../client/index.ts";
import { SchedulerClient, SchedulerConnectionError, SchedulerProblem } from "../../client/index.ts";
import { type Session, session } from "./session";
import { createStore } from "./store";

export type { Job, JobInput, JobPatch, Run, RunDetail, Tenant } from "../../client/index.ts";
export {
  jobTasks,
  parentOf,
  runGraph,
  type Target,
  type TaskRun,
  type TaskSpec,
  taskKeyOf,
} from "./tasks";
export type { Worker };
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
