/** Which of the API's messages the job form shows, and where the focus goes after a refusal. */
import type { FieldError } from "../../client/index.ts";
import { placeErrors } from "./form-model";

/** The field ids in form order: the first with a message gets the focus after a refusal. */
export const FIELD_ORDER = [
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

/** Submit messages win; while none is shown for the schedule, the preview's messages are. */
export function shownErrors(submitErrors: FieldError[], previewErrors: FieldError[]): FieldError[] {
  const scheduleShown = submitErrors.some((e) => e.path.startsWith("schedule"));
  return [...submitErrors, ...(scheduleShown ? [] : previewErrors)];
}

/**
 * Where the focus goes after a refusal: the summary when it holds something no field shows (a
 * message no control owns, or a failure), else the first field in form order with a message.
 */
export function focusAfterRefusal(
  submitErrors: FieldError[],
  failed: boolean,
): { to: "summary" } | { to: "field"; id: string } | null {
  const { byField, unplaced } = placeErrors(submitErrors);
  if (unplaced.length || failed) return { to: "summary" };
  const first = FIELD_ORDER.find((id) => byField[id]);
  return first ? { to: "field", id: first } : null;
}
