/**
 * The console's routes live under /console; the History API moves between them without reloading,
 * and the Worker answers the same page for every /console path, so links and reloads work.
 */
import type { Child } from "hono/jsx";
import { createStore } from "./store";

export const BASE = "/console";

export interface Location {
  /** The path inside the console, e.g. `/jobs/job_123`. */
  path: string;
  query: URLSearchParams;
}

function read(): Location {
  const full = window.location.pathname;
  const path = full.startsWith(BASE) ? full.slice(BASE.length) || "/" : "/";
  return {
    path: path.length > 1 ? path.replace(/\/+$/, "") : path,
    query: new URLSearchParams(window.location.search),
  };
}

export const location = createStore<Location>(read());
window.addEventListener("popstate", () => location.set(read()));

/** Goes to a console path such as `/jobs?status=paused`. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${BASE}${to === "/" ? "/" : to}`;
  if (options.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  location.set(read());
  if (!options.replace) window.scrollTo(0, 0);
}

/** The path with `changes` applied to its query (empty values removed); for filters. */
export function withQuery(
  path: string,
  query: URLSearchParams,
  changes: Record<string, string | null>,
): string {
  const next = new URLSearchParams(query);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === "") next.delete(name);
    else next.set(name, value);
  }
  const text = next.toString();
  return text ? `${path}?${text}` : path;
}

/** `/jobs/:id` against `/jobs/job_1`: `{ id: "job_1" }`; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const have = path.split("/");
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const h = have[i] as string;
    if (w.startsWith(":")) {
      if (!h) return null;
      params[w.slice(1)] = decodeURIComponent(h);
    } else if (w !== h) return null;
  }
  return params;
}

/** A link inside the console: a real `<a href>` (open in a new tab works), routed in place. */
export function Link(props: {
  to: string;
  children?: Child;
  class?: string;
  "aria-current"?: "page" | undefined;
  "aria-label"?: string;
}) {
  const { to, children, ...rest } = props;
  return (
    <a
      href={`${BASE}${to}`}
      {...rest}
      onClick={(event: MouseEvent) => {
        if (event.defaultPrevented || event.button !== 0) return;
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
