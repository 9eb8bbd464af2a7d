/** The job form's live preview: the schedule's next fire times, asked of the API as the user types. */
import { useRef } from "hono/jsx/dom";
import type { FieldError } from "../../../client/index.ts";
import { api, SchedulerProblem } from "../api";
import { type JobForm, scheduleOf } from "../form-model";
import { useAsync, useDebounced, useDelayed } from "../hooks";
import { localZone } from "../time";
import { ErrorBox } from "../ui/components";
import { FireTimes } from "../ui/preview";

/** The preview of what the form's schedule will do, asked of the API as the user types. */
export function SchedulePreview(props: {
  form: JobForm;
  onProblems: (errors: FieldError[]) => void;
}) {
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
