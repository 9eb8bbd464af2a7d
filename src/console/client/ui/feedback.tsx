/**
 * Feedback that is not tied to one place: the confirmation dialog, short notices ("Job paused"),
 * the rate-limit banner with its countdown, and the "token refused" banner.
 */
import type { Child } from "hono/jsx";
import { useEffect, useRef } from "hono/jsx/dom";
import { rateLimitWait, tokenRefused } from "../api";
import { useNow } from "../hooks";
import { signOut } from "../session";
import { createStore, useStore } from "../store";

interface ConfirmRequest {
  title: string;
  body: Child;
  confirm: string;
  danger?: boolean;
  resolve: (ok: boolean) => void;
}

const confirmation = createStore<ConfirmRequest | null>(null);

/** Asks in a modal dialog; resolves true when the user confirms, false on cancel or Escape. */
export function confirmAction(options: Omit<ConfirmRequest, "resolve">): Promise<boolean> {
  return new Promise((resolve) => {
    confirmation.get()?.resolve(false);
    confirmation.set({ ...options, resolve });
  });
}

export function ConfirmDialog() {
  const request = useStore(confirmation);
  const dialog = useRef<HTMLDialogElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (request && !element.open) {
      opener.current = document.activeElement;
      element.showModal();
      // The safe choice has the focus: Enter on a destructive question does not destroy.
      cancelButton.current?.focus();
    } else if (!request && element.open) {
      element.close();
    }
  }, [request]);
  const finish = (ok: boolean) => {
    const current = confirmation.get();
    confirmation.set(null);
    current?.resolve(ok);
    const previous = opener.current as HTMLElement | null;
    if (previous && document.contains(previous)) previous.focus();
  };
  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onCancel={(event: Event) => {
        event.preventDefault();
        finish(false);
      }}
    >
      {request ? (
        <div class="dialog-inner">
          <h2 id="confirm-title">{request.title}</h2>
          <div id="confirm-body" class="dialog-body">
            {request.body}
          </div>
          <div class="dialog-actions">
            <button
              type="button"
              class="button plain"
              ref={cancelButton}
              onClick={() => finish(false)}
            >
              Cancel
            </button>
            <button
              type="button"
              class={`button ${request.danger ? "danger" : "primary"}`}
              onClick={() => finish(true)}
            >
              {request.confirm}
            </button>
          </div>
        </div>
      ) : null}
    </dialog>
  );
}

interface Notice {
  id: number;
  text: string;
  tone: "ok" | "bad";
}

const notices = createStore<Notice[]>([]);
let nextNotice = 1;

/** A short message in the corner (and read out by screen readers), gone after 5 s. */
export function notify(text: string, tone: "ok" | "bad" = "ok"): void {
  const notice = { id: nextNotice++, text, tone };
  notices.set([...notices.get().slice(-3), notice]);
  setTimeout(() => notices.set(notices.get().filter((n) => n.id !== notice.id)), 5000);
}

export function Notices() {
  const list = useStore(notices);
  return (
    <div class="notices" role="status" aria-live="polite">
      {list.map((notice) => (
        <p class={`notice notice-${notice.tone}`}>{notice.text}</p>
      ))}
    </div>
  );
}

/** While the client waits out a 429, how long is left; gone when an answer comes. */
export function RateLimitBanner() {
  const wait = useStore(rateLimitWait);
  const now = useNow(250);
  // A wait long over with no answer since: the request gave up, and its error shows where it was.
  if (!wait || now > wait.until + 5000) return null;
  const left = Math.max(0, Math.ceil((wait.until - now) / 1000));
  return (
    <div class="banner banner-warn" role="status" aria-live="polite">
      The scheduler is rate limiting these requests (429).{" "}
      {left > 0 ? (
        <>
          Retrying <code>{wait.request}</code> in <strong class="countdown">{left} s</strong>
          {wait.retry > 1 ? ` (retry ${wait.retry})` : ""}.
        </>
      ) : (
        <>Retrying now…</>
      )}
    </div>
  );
}

export function TokenRefusedBanner() {
  const message = useStore(tokenRefused);
  if (!message) return null;
  return (
    <div class="banner banner-bad" role="alert">
      {message}{" "}
      <button
        type="button"
        class="button small"
        onClick={() => {
          tokenRefused.set(null);
          signOut();
        }}
      >
        Sign in again
      </button>
    </div>
  );
}
