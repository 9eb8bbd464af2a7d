/**
 * Who is signed in: a tenant token or the admin token, kept in this tab's sessionStorage only
 * (gone when the tab closes; never in a URL, a cookie or localStorage).
 */
import { createStore } from "./store";

export type Session =
  | { kind: "tenant"; token: string; tenantId: string }
  | { kind: "operator"; token: string };

const KEY = "scheduler-console.session";

/** The tenant id of a tenant token `sched.<tenant>.<token id>.<secret>`, or null. */
export function tenantIdOf(token: string): string | null {
  return /^sched\.([a-z0-9][a-z0-9-]{1,38}[a-z0-9])\.[0-9a-z]{16}\.\S+$/.exec(token)?.[1] ?? null;
}

/** The token id inside a tenant token, or the text itself when it already is a token id. */
export function tokenIdOf(text: string): string | null {
  const trimmed = text.trim();
  if (/^[0-9a-z]{16}$/.test(trimmed)) return trimmed;
  return /^sched\.[a-z0-9-]+\.([0-9a-z]{16})\.\S+$/.exec(trimmed)?.[1] ?? null;
}

function load(): Session | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Session | null;
    if (
      value &&
      typeof value.token === "string" &&
      (value.kind === "tenant" || value.kind === "operator")
    )
      return value;
  } catch {
    // storage unavailable or damaged: signed out
  }
  return null;
}

export const session = createStore<Session | null>(load());

export function signIn(value: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(value));
  session.set(value);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  session.set(null);
}
