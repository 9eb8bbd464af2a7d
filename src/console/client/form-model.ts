/**
 * The job form's state, and the request it makes: a new job (JobInput) or the fields changed
 * (JobPatch). The API does the validating; the form only reports what it cannot even send (JSON
 * that does not parse, a date that is not one), with the same paths the API uses, and places every
 * message next to its field by that path.
 */
import type { FieldError, Job, JobInput, JobPatch } from "../../client/index.ts";
import { jobTasks, type TaskSpec } from "./tasks";
import { instantToWallTime, wallTimeToInstant } from "./time";

export type ScheduleKind = "cron" | "at" | "delay" | "now";
export type TargetType = "http" | "worker" | "graph";
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Pair {
  name: string;
  value: string;
}

export interface JobForm {
  name: string;
  scheduleKind: ScheduleKind;
  cron: string;
  timezone: string;
  /** `datetime-local` text, in `atZone`. */
  at: string;
  atZone: string;
  delaySeconds: string;
  targetType: TargetType;
  url: string;
  method: Method;
  headers: Pair[];
  /** JSON text; empty for none. */
  body: string;
  pool: string;
  payload: string;
  /** A task graph's tasks, as JSON text. */
  tasks: string;
  priority: "high" | "medium" | "low";
  maxAttempts: string;
  initialBackoff: string;
  maxBackoff: string;
  retryOn: "any" | "transient";
  timeoutSeconds: string;
  overlap: "skip" | "allow" | "buffer_one" | "cancel_other";
  catchupWindow: string;
  metadata: Pair[];
}

/** A new job's form: the API's defaults, spelled out. */
export function emptyForm(zone: string): JobForm {
  return {
    name: "",
    scheduleKind: "cron",
    cron: "",
    timezone: zone,
    at: "",
    atZone: zone,
    delaySeconds: "60",
    targetType: "http",
    url: "",
    method: "POST",
    headers: [],
    body: "",
    pool: "",
    payload: "",
    tasks: "",
    priority: "medium",
    maxAttempts: "3",
    initialBackoff: "2",
    maxBackoff: "600",
    retryOn: "any",
    timeoutSeconds: "30",
    overlap: "skip",
    catchupWindow: "300",
    metadata: [],
  };
}

const jsonText = (value: unknown) => (value === undefined ? "" : JSON.stringify(value, null, 2));

/** The form of an existing job, for editing. */
export function formFromJob(job: Job, zone: string): JobForm {
  const form = emptyForm(zone);
  const s = job.schedule;
  if (!s) form.scheduleKind = "now";
  else if (s.cron !== undefined) {
    form.scheduleKind = "cron";
    form.cron = s.cron;
    form.timezone = s.timezone ?? "UTC";
  } else if (s.at !== undefined) {
    form.scheduleKind = "at";
    form.at = instantToWallTime(Date.parse(s.at), zone);
  } else if (s.delay_seconds !== undefined) {
    form.scheduleKind = "delay";
    form.delaySeconds = String(s.delay_seconds);
  }
  const t = job.target;
  const tasks = jobTasks(job);
  if (!t || tasks) {
    form.targetType = "graph";
    form.tasks = jsonText(tasks ?? []);
  } else if (t.type === "http") {
    form.targetType = "http";
    form.url = t.url;
    form.method = t.method;
    form.headers = Object.entries(t.headers ?? {}).map(([name, value]) => ({ name, value }));
    form.body = jsonText(t.body);
  } else {
    form.targetType = "worker";
    form.pool = t.pool;
    form.payload = jsonText(t.payload);
  }
  return {
    ...form,
    name: job.name,
    priority: job.priority,
    maxAttempts: String(job.retry.max_attempts),
    initialBackoff: String(job.retry.initial_backoff_seconds),
    maxBackoff: String(job.retry.max_backoff_seconds),
    retryOn: job.retry_on,
    timeoutSeconds: String(job.timeout_seconds),
    overlap: job.overlap,
    catchupWindow: String(job.catchup_window_seconds),
    metadata: Object.entries(job.metadata).map(([name, value]) => ({ name, value })),
  };
}

type Schedule = NonNullable<JobInput["schedule"]>;

/** The schedule the form describes (undefined: run once, now), or the problem with it. */
export function scheduleOf(form: JobForm): {
  schedule: Schedule | undefined;
  errors: FieldError[];
} {
  switch (form.scheduleKind) {
    case "cron":
      return { schedule: { cron: form.cron.trim(), timezone: form.timezone.trim() }, errors: [] };
    case "at": {
      const instant = wallTimeToInstant(form.at, form.atZone);
      if (instant === null)
        return {
          schedule: undefined,
          errors: [{ path: "schedule.at", message: "pick a date and time" }],
        };
      return { schedule: { at: new Date(instant).toISOString() }, errors: [] };
    }
    case "delay": {
      const n = numberOf(form.delaySeconds);
      if (n === undefined || Number.isNaN(n))
        return {
          schedule: undefined,
          errors: [{ path: "schedule.delay_seconds", message: "give a number of seconds" }],
        };
      return { schedule: { delay_seconds: n }, errors: [] };
    }
    case "now":
      return { schedule: undefined, errors: [] };
  }
}

/** Undefined for an empty field (the API's default), NaN for text that is not a number. */
function numberOf(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : Number.NaN;
}

function parseJson(text: string, path: string, errors: FieldError[]): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    errors.push({
      path,
      message: `not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    });
    return undefined;
  }
}

function pairsToRecord(pairs: Pair[], path: string, what: string, errors: FieldError[]) {
  const record: Record<string, string> = {};
  for (const pair of pairs) {
    const name = pair.name.trim();
    if (name === "" && pair.value === "") continue;
    if (name === "") {
      errors.push({ path, message: `a ${what} needs a name` });
      continue;
    }
    if (name in record) errors.push({ path: `${path}.${name}`, message: `${name} is given twice` });
    record[name] = pair.value;
  }
  return record;
}

/** The body of `POST /v1/jobs`, and what keeps the form from sending it. */
export function buildInput(form: JobForm): { input: JobInput; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const { schedule, errors: scheduleErrors } = scheduleOf(form);
  errors.push(...scheduleErrors);
  let target: JobInput["target"] | undefined;
  let tasks: TaskSpec[] | undefined;
  if (form.targetType === "graph") {
    const parsed = parseJson(form.tasks, "tasks", errors);
    if (parsed === undefined && !errors.some((e) => e.path === "tasks"))
      errors.push({ path: "tasks", message: "give the tasks as a JSON array" });
    tasks = parsed as TaskSpec[] | undefined;
  } else if (form.targetType === "http") {
    const body = parseJson(form.body, "target.body", errors);
    target = {
      type: "http",
      url: form.url.trim(),
      method: form.method,
      headers: pairsToRecord(form.headers, "target.headers", "header", errors),
      ...(body === undefined ? {} : { body }),
    };
  } else {
    const payload = parseJson(form.payload, "target.payload", errors);
    target = {
      type: "worker",
      pool: form.pool.trim(),
      ...(payload === undefined ? {} : { payload }),
    };
  }
  const numbers: [string, string][] = [
    ["retry.max_attempts", form.maxAttempts],
    ["retry.initial_backoff_seconds", form.initialBackoff],
    ["retry.max_backoff_seconds", form.maxBackoff],
    ["timeout_seconds", form.timeoutSeconds],
    ["catchup_window_seconds", form.catchupWindow],
  ];
  const value: Record<string, number | undefined> = {};
  for (const [path, text] of numbers) {
    const n = numberOf(text);
    if (n !== undefined && Number.isNaN(n)) errors.push({ path, message: "must be a number" });
    else value[path] = n;
  }
  const retry = {
    max_attempts: value["retry.max_attempts"],
    initial_backoff_seconds: value["retry.initial_backoff_seconds"],
    max_backoff_seconds: value["retry.max_backoff_seconds"],
  };
  const input = {
    ...(form.name.trim() ? { name: form.name.trim() } : {}),
    ...(schedule ? { schedule } : {}),
    ...(target ? { target } : {}),
    ...(tasks ? { tasks } : {}),
    priority: form.priority,
    retry: dropUndefined(retry) as JobInput["retry"],
    retry_on: form.retryOn,
    ...(value.timeout_seconds === undefined ? {} : { timeout_seconds: value.timeout_seconds }),
    overlap: form.overlap,
    ...(value.catchup_window_seconds === undefined
      ? {}
      : { catchup_window_seconds: value.catchup_window_seconds }),
    metadata: pairsToRecord(form.metadata, "metadata", "metadata entry", errors),
  } as JobInput;
  return { input, errors };
}

function dropUndefined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(record).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

/** JSON with sorted keys: equal values compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The body of `PATCH /v1/jobs/:id`: only the fields that differ from `job` (an unchanged
 * schedule is left alone, so saving a name does not move the next run).
 */
export function buildPatch(form: JobForm, job: Job): { patch: JobPatch; errors: FieldError[] } {
  const { input, errors } = buildInput(form);
  const patch: JobPatch = {};
  if (form.name.trim() !== job.name) patch.name = form.name.trim();
  const schedule = input.schedule ?? null;
  if (stableJson(schedule) !== stableJson(job.schedule ?? null)) patch.schedule = schedule;
  const target = input.target;
  const current =
    job.target?.type === "http" ? { ...job.target, headers: job.target.headers ?? {} } : job.target;
  if (target && stableJson(target) !== stableJson(current)) patch.target = target;
  // A job's tasks cannot be changed (the API refuses it): the form shows them read-only.
  if (input.priority !== job.priority) patch.priority = input.priority;
  const retry: NonNullable<JobPatch["retry"]> = {};
  for (const key of ["max_attempts", "initial_backoff_seconds", "max_backoff_seconds"] as const) {
    const next = input.retry?.[key];
    if (next !== undefined && next !== job.retry[key]) retry[key] = next;
  }
  if (Object.keys(retry).length) patch.retry = retry;
  if (input.retry_on !== job.retry_on) patch.retry_on = input.retry_on;
  if (input.timeout_seconds !== undefined && input.timeout_seconds !== job.timeout_seconds)
    patch.timeout_seconds = input.timeout_seconds;
  if (input.overlap !== job.overlap) patch.overlap = input.overlap;
  if (
    input.catchup_window_seconds !== undefined &&
    input.catchup_window_seconds !== job.catchup_window_seconds
  )
    patch.catchup_window_seconds = input.catchup_window_seconds;
  if (stableJson(input.metadata ?? {}) !== stableJson(job.metadata))
    patch.metadata = input.metadata;
  return { patch, errors };
}

/** Which form control each API path belongs to; the longest matching prefix wins. */
const FIELDS: [string, string][] = [
  ["name", "job-name"],
  ["schedule.cron", "job-cron"],
  ["schedule.timezone", "job-timezone"],
  ["schedule.at", "job-at"],
  ["schedule.delay_seconds", "job-delay"],
  ["schedule", "job-schedule-kind"],
  ["target.url", "job-url"],
  ["target.method", "job-method"],
  ["target.headers", "job-headers"],
  ["target.body", "job-body"],
  ["target.pool", "job-pool"],
  ["target.payload", "job-payload"],
  ["target.type", "job-target-type"],
  ["target", "job-target-type"],
  ["priority", "job-priority"],
  ["retry.max_attempts", "job-max-attempts"],
  ["retry.initial_backoff_seconds", "job-initial-backoff"],
  ["retry.max_backoff_seconds", "job-max-backoff"],
  ["retry", "job-max-attempts"],
  ["retry_on", "job-retry-on"],
  ["timeout_seconds", "job-timeout"],
  ["overlap", "job-overlap"],
  ["catchup_window_seconds", "job-catchup"],
  ["metadata", "job-metadata"],
  ["tasks", "job-tasks"],
];

/** The control of an API path such as `target.headers.X-Key`, and the message to put there. */
export function placeError(error: FieldError): { field: string | null; message: string } {
  let best: [string, string] | undefined;
  for (const entry of FIELDS) {
    const [prefix] = entry;
    const matches =
      error.path === prefix ||
      error.path.startsWith(`${prefix}.`) ||
      error.path.startsWith(`${prefix}[`);
    if (matches && (!best || prefix.length > best[0].length)) best = entry;
  }
  if (!best) return { field: null, message: `${error.path}: ${error.message}` };
  const rest = error.path.slice(best[0].length).replace(/^\./, "");
  return { field: best[1], message: rest ? `${rest}: ${error.message}` : error.message };
}

/** Messages by control id, and those no control owns (shown at the top of the form). */
export function placeErrors(errors: FieldError[]): {
  byField: Record<string, string[]>;
  unplaced: string[];
} {
  const byField: Record<string, string[]> = {};
  const unplaced: string[] = [];
  for (const error of errors) {
    const { field, message } = placeError(error);
    if (field) byField[field] = [...(byField[field] ?? []), message];
    else unplaced.push(message);
  }
  return { byField, unplaced };
}
