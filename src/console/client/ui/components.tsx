/** The console's building blocks: page frame, states (loading, error, empty), fields, badges, times. */
import type { Child } from "hono/jsx";
import { useEffect, useRef } from "hono/jsx/dom";
import { errorText, isProblem } from "../api";
import { useDelayed } from "../hooks";
import { formatInZone, formatUtc, localZone, relativeTime } from "../time";

/** A page: its heading takes the focus when the page opens, so a screen reader starts there. */
export function Page(props: { title: string; actions?: Child; children?: Child; lead?: Child }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Scheduler console`;
    heading.current?.focus({ preventScroll: true });
  }, [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabindex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions ? <div class="page-actions">{props.actions}</div> : null}
      </header>
      {props.lead ? <div class="lead">{props.lead}</div> : null}
      {props.children}
    </section>
  );
}

/** "Loading…", shown only when loading lasts more than 200 ms. */
export function Loading(props: { when: boolean; label?: string }) {
  const show = useDelayed(props.when, 200);
  return (
    <div class="loading-slot" role="status" aria-live="polite">
      {show ? (
        <span class="loading">
          <span class="spinner" aria-hidden="true" />
          {props.label ?? "Loading…"}
        </span>
      ) : null}
    </div>
  );
}

/** An error where it happened, with a way to try again. */
export function ErrorBox(props: { error: unknown; onRetry?: () => void; context?: string }) {
  if (props.error === undefined || props.error === null) return null;
  return (
    <div class="error-box" role="alert">
      <p>
        {props.context ? <strong>{props.context}: </strong> : null}
        {errorText(props.error)}
      </p>
      {isProblem(props.error, 429) || !isProblem(props.error) ? (
        props.onRetry ? (
          <button type="button" class="button small" onClick={props.onRetry}>
            Try again
          </button>
        ) : null
      ) : null}
    </div>
  );
}

/** What an empty list means and what to do about it. */
export function Empty(props: { title: string; children?: Child }) {
  return (
    <div class="empty">
      <p class="empty-title">{props.title}</p>
      {props.children ? <div class="empty-body">{props.children}</div> : null}
    </div>
  );
}

const STATUS_TONE: Record<string, string> = {
  active: "ok",
  succeeded: "ok",
  completed: "muted",
  paused: "warn",
  retrying: "warn",
  draining: "warn",
  pending: "info",
  queued: "info",
  running: "info",
  dead: "bad",
  failed: "bad",
  timeout: "bad",
  network_error: "bad",
  lease_expired: "bad",
  upstream_failed: "bad",
  stale: "bad",
  cancelled: "muted",
  skipped: "muted",
  missed: "muted",
  suspended: "bad",
};

export function StatusBadge(props: { status: string; label?: string }) {
  const tone = STATUS_TONE[props.status] ?? "muted";
  return <span class={`badge badge-${tone}`}>{props.label ?? props.status.replace("_", " ")}</span>;
}

/**
 * A time in a zone (the browser's unless given), with UTC beside it (`utc`) or in its tooltip,
 * and how long ago or ahead it is (`relative`).
 */
export function Time(props: {
  iso: string | null | undefined;
  zone?: string;
  utc?: "inline" | "title";
  relative?: boolean;
  empty?: string;
}) {
  if (!props.iso) return <span class="muted">{props.empty ?? "—"}</span>;
  const zone = props.zone ?? localZone();
  const local = formatInZone(props.iso, zone);
  const utc = formatUtc(props.iso);
  const showUtc = props.utc ?? "title";
  return (
    <span class="time">
      <time datetime={props.iso} title={showUtc === "title" && zone !== "UTC" ? utc : undefined}>
        {local}
      </time>
      {showUtc === "inline" && zone !== "UTC" ? <span class="time-utc">{utc}</span> : null}
      {props.relative ? <span class="time-rel">{relativeTime(props.iso)}</span> : null}
    </span>
  );
}

export interface FieldProps {
  id: string;
  label: string;
  hint?: Child;
  errors?: string[];
  children: Child;
  class?: string;
}

/** A labelled input with its hint and the API's messages for it (linked with aria-describedby). */
export function Field(props: FieldProps) {
  return (
    <div class={`field ${props.class ?? ""} ${props.errors?.length ? "field-invalid" : ""}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint ? (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <FieldErrors id={props.id} errors={props.errors} />
    </div>
  );
}

export function FieldErrors(props: { id: string; errors?: string[] }) {
  if (!props.errors?.length) return null;
  return (
    <ul class="field-errors" id={`${props.id}-error`}>
      {props.errors.map((message) => (
        <li>{message}</li>
      ))}
    </ul>
  );
}

/** aria attributes for the input of a Field. */
export function described(id: string, options: { hint?: boolean; errors?: string[] }) {
  const ids = [options.hint ? `${id}-hint` : "", options.errors?.length ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  return {
    id,
    "aria-describedby": ids || undefined,
    "aria-invalid": options.errors?.length ? "true" : undefined,
  };
}

/** A button that shows it is working (after 200 ms) and cannot be pressed twice meanwhile. */
export function Button(props: {
  onClick?: () => void;
  busy?: boolean;
  disabled?: boolean;
  kind?: "primary" | "danger" | "plain";
  small?: boolean;
  type?: "button" | "submit";
  children: Child;
  label?: string;
  busyText?: string;
  id?: string;
}) {
  const slow = useDelayed(!!props.busy, 200);
  return (
    <button
      type={props.type ?? "button"}
      id={props.id}
      class={`button ${props.kind ?? "plain"} ${props.small ? "small" : ""}`}
      disabled={props.disabled || props.busy}
      aria-busy={props.busy ? "true" : undefined}
      aria-label={props.label}
      onClick={props.onClick}
    >
      {slow ? (
        <>
          <span class="spinner" aria-hidden="true" />
          {props.busyText ?? "Working…"}
        </>
      ) : (
        props.children
      )}
    </button>
  );
}

/** A JSON value as indented text. */
export function Json(props: { value: unknown; label?: string }) {
  if (props.value === undefined || props.value === null) return <span class="muted">none</span>;
  return <pre class="code">{JSON.stringify(props.value, null, 2)}</pre>;
}

/** A definition list of label and value pairs. */
export function Facts(props: { items: [string, Child][] }) {
  return (
    <dl class="facts">
      {props.items.map(([label, value]) => (
        <div class="fact">
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** "Load more" under a paged list. */
export function More(props: { hasMore: boolean; busy: boolean; onMore: () => void; what: string }) {
  if (!props.hasMore) return null;
  return (
    <div class="more">
      <Button onClick={props.onMore} busy={props.busy} busyText="Loading…">
        Load more {props.what}
      </Button>
    </div>
  );
}
