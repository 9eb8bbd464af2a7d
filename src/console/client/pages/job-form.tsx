/**
 * Create or edit a job: every field, the API's messages next to the field they name, and a live
 * preview of the schedule (the next 10 fire times in its zone and in UTC, DST days marked).
 */
import type { Child } from "hono/jsx";
import { useEffect, useMemo, useRef, useState } from "hono/jsx/dom";
import type { FieldError } from "../../../client/index.ts";
import { api, errorText, isProblem, type Job, SchedulerProblem } from "../api";
import {
  buildInput,
  buildPatch,
  emptyForm,
  formFromJob,
  type JobForm,
  type Pair,
  placeError,
  placeErrors,
  scheduleOf,
} from "../form-model";
import { useAsync, useDebounced, useDelayed } from "../hooks";
import { Link, navigate } from "../router";
import { formatUtc, knownZones, localZone, wallTimeToInstant } from "../time";
import {
  Button,
  described,
  Empty,
  ErrorBox,
  Field,
  FieldErrors,
  Loading,
  Page,
} from "../ui/components";
import { notify } from "../ui/feedback";
import { FireTimes } from "../ui/preview";

const CRON_PRESETS: [string, string][] = [
  ["Every minute", "* * * * *"],
  ["Every 15 minutes", "*/15 * * * *"],
  ["Hourly", "0 * * * *"],
  ["Daily at 03:00", "0 3 * * *"],
  ["Weekdays at 09:00", "0 9 * * 1-5"],
];

const OVERLAP_TEXT: Record<JobForm["overlap"], string> = {
  skip: "skip the new run",
  allow: "run both",
  buffer_one: "queue one, skip the rest",
  cancel_other: "cancel the running one",
};

/** The field ids in form order: the first with a message gets the focus after a refusal. */
const FIELD_ORDER = [
  "job-name",
  "job-schedule-kind",
  "job-cron",
  "job-timezone",
  "job-at",
  "job-delay",
  "job-target-type",
  "job-url",
  "job-method",
  "job-headers",
  "job-body",
  "job-pool",
  "job-payload",
  "job-priority",
  "job-max-attempts",
  "job-initial-backoff",
  "job-max-backoff",
  "job-retry-on",
  "job-timeout",
  "job-overlap",
  "job-catchup",
  "job-metadata",
  "job-tasks",
];

const ZONES = knownZones();

function PairsEditor(props: {
  id: string;
  legend: string;
  what: string;
  pairs: Pair[];
  errors?: string[];
  hint?: Child;
  onChange: (pairs: Pair[]) => void;
}) {
  const set = (index: number, change: Partial<Pair>) =>
    props.onChange(props.pairs.map((p, i) => (i === index ? { ...p, ...change } : p)));
  return (
    <fieldset
      class={`pairs ${props.errors?.length ? "field-invalid" : ""}`}
      id={props.id}
      tabindex={-1}
      aria-describedby={props.errors?.length ? `${props.id}-error` : undefined}
    >
      <legend>{props.legend}</legend>
      {props.hint ? <p class="hint">{props.hint}</p> : null}
      {props.pairs.map((pair, i) => (
        <div class="pair">
          <label class="visually-hidden" for={`${props.id}-name-${i}`}>
            {props.what} {i + 1} name
          </label>
          <input
            id={`${props.id}-name-${i}`}
            placeholder="name"
            value={pair.name}
            autocomplete="off"
            onInput={(e: Event) => set(i, { name: (e.target as HTMLInputElement).value })}
          />
          <label class="visually-hidden" for={`${props.id}-value-${i}`}>
            {props.what} {i + 1} value
          </label>
          <input
            id={`${props.id}-value-${i}`}
            placeholder="value"
            value={pair.value}
            autocomplete="off"
            onInput={(e: Event) => set(i, { value: (e.target as HTMLInputElement).value })}
          />
          <button
            type="button"
            class="button small plain"
            aria-label={`Remove ${props.what} ${i + 1}`}
            onClick={() => props.onChange(props.pairs.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        class="button small"
        onClick={() => props.onChange([...props.pairs, { name: "", value: "" }])}
      >
        Add {props.what}
      </button>
      <FieldErrors id={props.id} errors={props.errors} />
    </fieldset>
  );
}

function ZoneInput(props: {
  id: string;
  label: string;
  value: string;
  errors?: string[];
  onInput: (value: string) => void;
}) {
  return (
    <Field
      id={props.id}
      label={props.label}
      hint="An IANA zone, e.g. Europe/Berlin or America/New_York."
      errors={props.errors}
    >
      <input
        {...described(props.id, { hint: true, errors: props.errors })}
        list="zone-list"
        autocomplete="off"
        spellcheck={false}
        value={props.value}
        onInput={(e: Event) => props.onInput((e.target as HTMLInputElement).value)}
      />
    </Field>
  );
}

/** The preview of what the form's schedule will do, asked of the API as the user types. */
function SchedulePreview(props: { form: JobForm; onProblems: (errors: FieldError[]) => void }) {
  const { schedule, errors: localErrors } = scheduleOf(props.form);
  const request = useDebounced(
    JSON.stringify({ schedule, kind: props.form.scheduleKind, local: localErrors.length }),
    350,
  );
  const onProblems = useRef(props.onProblems);
  onProblems.current = props.onProblems;
  const preview = useAsync(
    async (signal) => {
      const {
        schedule: wanted,
        kind,
        local,
      } = JSON.parse(request) as {
        schedule: ReturnType<typeof scheduleOf>["schedule"];
        kind: JobForm["scheduleKind"];
        local: number;
      };
      if (kind === "now" || local || !wanted) return null;
      if (wanted.cron !== undefined && wanted.cron === "") return null;
      try {
        const answer = await api().schedules.preview({ schedule: wanted, count: 10 }, { signal });
        onProblems.current([]);
        return answer;
      } catch (error) {
        if (error instanceof SchedulerProblem && error.status === 400) {
          onProblems.current(error.errors.filter((e) => e.path.startsWith("schedule")));
          return null;
        }
        throw error;
      }
    },
    [request],
  );
  const waiting = useDelayed(preview.loading, 200);
  const kind = props.form.scheduleKind;
  const zone =
    kind === "cron"
      ? (preview.data?.timezone ?? props.form.timezone)
      : kind === "at"
        ? props.form.atZone || localZone()
        : localZone();
  const times = preview.data?.fire_times ?? [];
  return (
    <aside
      class="card preview"
      aria-labelledby="preview-title"
      aria-busy={preview.loading ? "true" : undefined}
    >
      <h2 id="preview-title">Preview</h2>
      {kind === "now" ? (
        <p>Runs once, as soon as the job is saved.</p>
      ) : kind === "cron" && !props.form.cron.trim() ? (
        <p class="muted">Type a cron expression to see its next 10 fire times.</p>
      ) : (
        <>
          <p class="preview-summary" aria-live="polite">
            {waiting
              ? "Computing…"
              : times.length
                ? `${kind === "cron" ? `Next ${times.length} fire times` : "Fires"} in ${zone} and UTC.`
                : preview.error
                  ? ""
                  : "No fire times yet: see the messages beside the schedule."}
          </p>
          <ErrorBox error={preview.error} onRetry={preview.reload} context="Could not preview" />
          {times.length ? <FireTimes times={times} zone={zone} id="preview-times" /> : null}
        </>
      )}
    </aside>
  );
}

export function JobFormPage(props: { id?: string }) {
  const editing = props.id !== undefined;
  const existing = useAsync<Job | null>(
    (signal) => (props.id ? api().jobs.get(props.id, { signal }) : Promise.resolve(null)),
    [props.id],
  );
  if (editing && !existing.data) {
    return (
      <Page title="Edit job">
        <Loading when={existing.loading} label="Loading the job…" />
        {isProblem(existing.error, 404) ? (
          <Empty title="This job does not exist.">
            <p>
              <Link to="/jobs">All jobs</Link>
            </p>
          </Empty>
        ) : (
          <ErrorBox
            error={existing.error}
            onRetry={existing.reload}
            context="Could not load the job"
          />
        )}
      </Page>
    );
  }
  return <JobFormBody job={existing.data ?? null} />;
}

function JobFormBody(props: { job: Job | null }) {
  const job = props.job;
  const initial = useMemo(
    () => (job ? formFromJob(job, localZone()) : emptyForm(localZone())),
    [job?.id],
  );
  const [form, setForm] = useState<JobForm>(initial);
  const [submitErrors, setSubmitErrors] = useState<FieldError[]>([]);
  const [previewErrors, setPreviewErrors] = useState<FieldError[]>([]);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [focusToken, setFocusToken] = useState(0);
  const summary = useRef<HTMLDivElement>(null);

  const update = (change: Partial<JobForm>) => setForm((f) => ({ ...f, ...change }));
  const input = (key: keyof JobForm) => (e: Event) =>
    update({ [key]: (e.target as HTMLInputElement).value } as Partial<JobForm>);

  // Submit messages win; while none is shown for the schedule, the preview's messages are.
  const scheduleShown = submitErrors.some((e) => e.path.startsWith("schedule"));
  const placed = placeErrors([...submitErrors, ...(scheduleShown ? [] : previewErrors)]);
  const err = (id: string) => placed.byField[id];

  useEffect(() => {
    if (focusToken === 0) return;
    const { byField, unplaced } = placeErrors(submitErrors);
    if (unplaced.length || failure) {
      summary.current?.focus();
      return;
    }
    const first = FIELD_ORDER.find((id) => byField[id]);
    if (first) document.getElementById(first)?.focus();
  }, [focusToken]);

  const submit = async () => {
    setFailure(undefined);
    const built = job ? buildPatch(form, job) : buildInput(form);
    if (built.errors.length) {
      setSubmitErrors(built.errors);
      setFocusToken((t) => t + 1);
      return;
    }
    setSubmitErrors([]);
    setBusy(true);
    try {
      let saved: Job;
      if (job) {
        const patch = (built as ReturnType<typeof buildPatch>).patch;
        if (Object.keys(patch).length === 0) {
          notify("Nothing changed.");
          navigate(`/jobs/${encodeURIComponent(job.id)}`);
          return;
        }
        saved = await api().jobs.update(job.id, patch, { ifVersion: job.version });
        notify(`Saved ${saved.name}.`);
      } else {
        saved = await api().jobs.create((built as ReturnType<typeof buildInput>).input, {
          idempotencyKey: crypto.randomUUID(),
        });
        notify(`Created ${saved.name}.`);
      }
      navigate(`/jobs/${encodeURIComponent(saved.id)}`);
    } catch (error) {
      if (error instanceof SchedulerProblem && error.errors.length) setSubmitErrors(error.errors);
      else setFailure(error);
      setFocusToken((t) => t + 1);
    } finally {
      setBusy(false);
    }
  };

  // The API keeps a job a task graph or not for life, and a graph's tasks as created.
  const graphLocked = job !== null && form.targetType === "graph";
  const atInstant = form.scheduleKind === "at" ? wallTimeToInstant(form.at, form.atZone) : null;
  const title = job ? `Edit ${job.name}` : "New job";
  const refusal = submitErrors.length > 0 || failure !== undefined;
  return (
    <Page
      title={title}
      lead={
        <p class="crumbs">
          <Link to="/jobs">Jobs</Link>
          {job ? (
            <>
              {" "}
              / <Link to={`/jobs/${encodeURIComponent(job.id)}`}>{job.name}</Link>
            </>
          ) : null}
        </p>
      }
    >
      <datalist id="zone-list">
        {ZONES.map((z) => (
          <option value={z} />
        ))}
      </datalist>
      <div
        class={refusal ? "form-summary" : "visually-hidden"}
        tabindex={-1}
        ref={summary}
        role={refusal ? "alert" : undefined}
      >
        {failure !== undefined ? (
          <p>
            {isProblem(failure, 412)
              ? "Someone changed this job since you opened it. Reload the page to edit the current version."
              : errorText(failure)}
          </p>
        ) : null}
        {submitErrors.length ? (
          <>
            <p>
              {job ? "The changes were not saved" : "The job was not created"}:{" "}
              {submitErrors.length === 1 ? "one field needs" : `${submitErrors.length} fields need`}{" "}
              attention.
            </p>
            <ul>
              {submitErrors.map((e) => {
                const { field, message } = placeError(e);
                return (
                  <li>
                    {field ? (
                      <a
                        href={`#${field}`}
                        onClick={(event: MouseEvent) => {
                          event.preventDefault();
                          document.getElementById(field)?.focus();
                        }}
                      >
                        {e.path}
                      </a>
                    ) : (
                      e.path
                    )}
                    : {field ? e.message : message}
                  </li>
                );
              })}
            </ul>
          </>
        ) : null}
      </div>
      <form
        class="job-form"
        method="post"
        noValidate
        aria-label={title}
        onSubmit={(event: Event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div class="form-main">
          <section class="card" aria-labelledby="form-basics">
            <h2 id="form-basics">Name and priority</h2>
            <Field
              id="job-name"
              label="Name"
              hint="Optional: without one, the job is named after its target."
              errors={err("job-name")}
            >
              <input
                {...described("job-name", { hint: true, errors: err("job-name") })}
                value={form.name}
                autocomplete="off"
                onInput={input("name")}
              />
            </Field>
            <Field
              id="job-priority"
              label="Priority"
              hint="Due runs are sent highest priority first. The free tier has medium and low."
              errors={err("job-priority")}
            >
              <select
                {...described("job-priority", { hint: true, errors: err("job-priority") })}
                value={form.priority}
                onChange={input("priority")}
              >
                <option value="high">high</option>
                <option value="medium">medium</option>
                <option value="low">low</option>
              </select>
            </Field>
          </section>

          <section class="card" aria-labelledby="form-schedule">
            <h2 id="form-schedule">When</h2>
            <fieldset class="choices" id="job-schedule-kind" tabindex={-1}>
              <legend>Schedule</legend>
              {(
                [
                  ["cron", "On a cron schedule"],
                  ["at", "Once, at a date and time"],
                  ["delay", "Once, after a delay"],
                  ["now", "Once, now"],
                ] as const
              ).map(([value, label]) => (
                <label class="choice">
                  <input
                    type="radio"
                    name="schedule-kind"
                    value={value}
                    checked={form.scheduleKind === value}
                    onChange={() => update({ scheduleKind: value })}
                  />
                  {label}
                </label>
              ))}
              <FieldErrors id="job-schedule-kind" errors={err("job-schedule-kind")} />
            </fieldset>
            {form.scheduleKind === "cron" ? (
              <>
                <Field
                  id="job-cron"
                  label="Cron expression"
                  hint={
                    <>
                      5 fields (minute hour day-of-month month day-of-week), or 6 with seconds
                      first. Presets:{" "}
                      {CRON_PRESETS.map(([label, cron], i) => (
                        <>
                          {i ? ", " : ""}
                          <button
                            type="button"
                            class="link-button"
                            onClick={() => update({ cron })}
                          >
                            {label}
                          </button>
                        </>
                      ))}
                    </>
                  }
                  errors={err("job-cron")}
                >
                  <input
                    {...described("job-cron", { hint: true, errors: err("job-cron") })}
                    class="mono"
                    placeholder="0 3 * * *"
                    autocomplete="off"
                    spellcheck={false}
                    value={form.cron}
                    onInput={input("cron")}
                  />
                </Field>
                <ZoneInput
                  id="job-timezone"
                  label="Time zone"
                  value={form.timezone}
                  errors={err("job-timezone")}
                  onInput={(timezone) => update({ timezone })}
                />
              </>
            ) : null}
            {form.scheduleKind === "at" ? (
              <div class="row">
                <Field
                  id="job-at"
                  label="Date and time"
                  hint={
                    atInstant !== null
                      ? `That is ${formatUtc(atInstant)}.`
                      : "In the zone beside it."
                  }
                  errors={err("job-at")}
                >
                  <input
                    {...described("job-at", { hint: true, errors: err("job-at") })}
                    type="datetime-local"
                    value={form.at}
                    onInput={input("at")}
                  />
                </Field>
                <ZoneInput
                  id="job-at-zone"
                  label="In the zone"
                  value={form.atZone}
                  onInput={(atZone) => update({ atZone })}
                />
              </div>
            ) : null}
            {form.scheduleKind === "delay" ? (
              <Field
                id="job-delay"
                label="Delay (seconds)"
                hint="Counted from when the job is saved."
                errors={err("job-delay")}
              >
                <input
                  {...described("job-delay", { hint: true, errors: err("job-delay") })}
                  type="number"
                  min="0"
                  step="1"
                  value={form.delaySeconds}
                  onInput={input("delaySeconds")}
                />
              </Field>
            ) : null}
            {job && form.scheduleKind === "delay" ? (
              <p class="hint">Saving a changed delay counts it again from now.</p>
            ) : null}
          </section>

          <section class="card" aria-labelledby="form-target">
            <h2 id="form-target">What it calls</h2>
            <fieldset class="choices" id="job-target-type" tabindex={-1}>
              <legend>Target</legend>
              <label class="choice">
                <input
                  type="radio"
                  name="target-type"
                  value="http"
                  disabled={graphLocked}
                  checked={form.targetType === "http"}
                  onChange={() => update({ targetType: "http" })}
                />
                A webhook (HTTP request, signed)
              </label>
              <label class="choice">
                <input
                  type="radio"
                  name="target-type"
                  value="worker"
                  disabled={graphLocked}
                  checked={form.targetType === "worker"}
                  onChange={() => update({ targetType: "worker" })}
                />
                A pull worker of a pool
              </label>
              <label class="choice">
                <input
                  type="radio"
                  name="target-type"
                  value="graph"
                  disabled={job !== null}
                  checked={form.targetType === "graph"}
                  onChange={() => update({ targetType: "graph" })}
                />
                A task graph (tasks with dependencies)
              </label>
              <FieldErrors id="job-target-type" errors={err("job-target-type")} />
            </fieldset>
            {job ? (
              <p class="hint">
                {graphLocked
                  ? "A job's tasks cannot be changed: to run other tasks, create a new job."
                  : "A job with a target keeps one (a task graph is a new job)."}
              </p>
            ) : null}
            {form.targetType === "graph" ? (
              <Field
                id="job-tasks"
                label="Tasks (JSON)"
                hint={
                  <>
                    An array of tasks, each with a unique <code>key</code>, a <code>target</code>{" "}
                    (as above: http or worker) and <code>depends_on</code> (the keys it waits for),
                    e.g.{" "}
                    <code>
                      {
                        '[{"key":"extract","target":{"type":"http","url":"https://…"}},{"key":"load","depends_on":["extract"],"target":{"type":"worker","pool":"etl"}}]'
                      }
                    </code>
                  </>
                }
                errors={err("job-tasks")}
              >
                <textarea
                  {...described("job-tasks", { hint: true, errors: err("job-tasks") })}
                  class="mono"
                  rows={10}
                  spellcheck={false}
                  value={form.tasks}
                  readonly={graphLocked}
                  onInput={input("tasks")}
                />
              </Field>
            ) : form.targetType === "http" ? (
              <>
                <div class="row">
                  <Field id="job-method" label="Method" errors={err("job-method")} class="narrow">
                    <select
                      {...described("job-method", { errors: err("job-method") })}
                      value={form.method}
                      onChange={input("method")}
                    >
                      {["POST", "GET", "PUT", "PATCH", "DELETE"].map((m) => (
                        <option value={m}>{m}</option>
                      ))}
                    </select>
                  </Field>
                  <Field
                    id="job-url"
                    label="URL"
                    hint="https: on a public host."
                    errors={err("job-url")}
                    class="grow"
                  >
                    <input
                      {...described("job-url", { hint: true, errors: err("job-url") })}
                      inputmode="url"
                      autocomplete="off"
                      spellcheck={false}
                      placeholder="https://example.com/hooks/report"
                      value={form.url}
                      onInput={input("url")}
                    />
                  </Field>
                </div>
                <PairsEditor
                  id="job-headers"
                  legend="Headers"
                  what="header"
                  hint="Sent with each request, besides the signature headers (webhook-*, x-scheduler-*)."
                  pairs={form.headers}
                  errors={err("job-headers")}
                  onChange={(headers) => update({ headers })}
                />
                <Field
                  id="job-body"
                  label="Body (JSON)"
                  hint="Optional; sent as the request body."
                  errors={err("job-body")}
                >
                  <textarea
                    {...described("job-body", { hint: true, errors: err("job-body") })}
                    class="mono"
                    rows={4}
                    spellcheck={false}
                    value={form.body}
                    onInput={input("body")}
                  />
                </Field>
              </>
            ) : (
              <>
                <Field
                  id="job-pool"
                  label="Pool"
                  hint="Workers serving this pool claim the runs (npm run worker -- --pool NAME)."
                  errors={err("job-pool")}
                >
                  <input
                    {...described("job-pool", { hint: true, errors: err("job-pool") })}
                    autocomplete="off"
                    spellcheck={false}
                    value={form.pool}
                    onInput={input("pool")}
                  />
                </Field>
                <Field
                  id="job-payload"
                  label="Payload (JSON)"
                  hint='Handed to the worker, e.g. {"command": ["echo", "hi"]}.'
                  errors={err("job-payload")}
                >
                  <textarea
                    {...described("job-payload", { hint: true, errors: err("job-payload") })}
                    class="mono"
                    rows={4}
                    spellcheck={false}
                    value={form.payload}
                    onInput={input("payload")}
                  />
                </Field>
              </>
            )}
          </section>

          <section class="card" aria-labelledby="form-retry">
            <h2 id="form-retry">Retries, timeout, overlap</h2>
            <div class="row">
              <Field
                id="job-max-attempts"
                label="Attempts at most"
                errors={err("job-max-attempts")}
              >
                <input
                  {...described("job-max-attempts", { errors: err("job-max-attempts") })}
                  type="number"
                  min="1"
                  step="1"
                  value={form.maxAttempts}
                  onInput={input("maxAttempts")}
                />
              </Field>
              <Field
                id="job-initial-backoff"
                label="First backoff (s)"
                errors={err("job-initial-backoff")}
              >
                <input
                  {...described("job-initial-backoff", { errors: err("job-initial-backoff") })}
                  type="number"
                  min="0.1"
                  step="0.1"
                  value={form.initialBackoff}
                  onInput={input("initialBackoff")}
                />
              </Field>
              <Field
                id="job-max-backoff"
                label="Longest backoff (s)"
                errors={err("job-max-backoff")}
              >
                <input
                  {...described("job-max-backoff", { errors: err("job-max-backoff") })}
                  type="number"
                  min="0.1"
                  step="0.1"
                  value={form.maxBackoff}
                  onInput={input("maxBackoff")}
                />
              </Field>
            </div>
            <div class="row">
              <Field id="job-retry-on" label="Retry on" errors={err("job-retry-on")}>
                <select
                  {...described("job-retry-on", { errors: err("job-retry-on") })}
                  value={form.retryOn}
                  onChange={input("retryOn")}
                >
                  <option value="any">any failure</option>
                  <option value="transient">
                    transient failures (not 4xx other than 408, 429)
                  </option>
                </select>
              </Field>
              <Field
                id="job-timeout"
                label="Timeout (s)"
                hint="At most 900 for a webhook, 86,400 for a worker."
                errors={err("job-timeout")}
              >
                <input
                  {...described("job-timeout", { hint: true, errors: err("job-timeout") })}
                  type="number"
                  min="1"
                  step="1"
                  value={form.timeoutSeconds}
                  onInput={input("timeoutSeconds")}
                />
              </Field>
            </div>
            <div class="row">
              <Field
                id="job-overlap"
                label="When the next run is due while one is in progress"
                hint="Skipped occurrences are recorded with their reason."
                errors={err("job-overlap")}
              >
                <select
                  {...described("job-overlap", { hint: true, errors: err("job-overlap") })}
                  value={form.overlap}
                  onChange={input("overlap")}
                >
                  {(Object.keys(OVERLAP_TEXT) as JobForm["overlap"][]).map((o) => (
                    <option value={o}>{OVERLAP_TEXT[o]}</option>
                  ))}
                </select>
              </Field>
              <Field
                id="job-catchup"
                label="Catch-up window (s)"
                hint="Occurrences missed by more than this (the job paused, the tenant suspended) are recorded missed; those inside it run once."
                errors={err("job-catchup")}
              >
                <input
                  {...described("job-catchup", { hint: true, errors: err("job-catchup") })}
                  type="number"
                  min="0"
                  step="1"
                  value={form.catchupWindow}
                  onInput={input("catchupWindow")}
                />
              </Field>
            </div>
          </section>

          <section class="card" aria-labelledby="form-metadata">
            <h2 id="form-metadata">Metadata</h2>
            <PairsEditor
              id="job-metadata"
              legend="Labels"
              what="metadata entry"
              hint="Your own labels (at most 32), kept with the job."
              pairs={form.metadata}
              errors={err("job-metadata")}
              onChange={(metadata) => update({ metadata })}
            />
          </section>

          <div class="form-actions">
            <Button
              type="submit"
              kind="primary"
              busy={busy}
              busyText={job ? "Saving…" : "Creating…"}
            >
              {job ? "Save changes" : "Create job"}
            </Button>
            <Link to={job ? `/jobs/${encodeURIComponent(job.id)}` : "/jobs"} class="button plain">
              Cancel
            </Link>
          </div>
        </div>
        <SchedulePreview form={form} onProblems={setPreviewErrors} />
      </form>
      {placed.unplaced.length && !submitErrors.length ? (
        <p class="muted">{placed.unplaced.join("; ")}</p>
      ) : null}
    </Page>
  );
}
