/** The job form's "When" section: the kind of schedule, cron with presets and zone, a date and time, a delay. */
import { formatUtc, wallTimeToInstant } from "../time";
import { described, Field, FieldErrors } from "../ui/components";
import { inputOf, type SectionProps, ZoneInput } from "./job-form-fields";

const CRON_PRESETS: [string, string][] = [
  ["Every minute", "* * * * *"],
  ["Every 15 minutes", "*/15 * * * *"],
  ["Hourly", "0 * * * *"],
  ["Daily at 03:00", "0 3 * * *"],
  ["Weekdays at 09:00", "0 9 * * 1-5"],
];

export function ScheduleSection(props: SectionProps) {
  const { form, job, update, err } = props;
  const input = inputOf(update);
  const atInstant = form.scheduleKind === "at" ? wallTimeToInstant(form.at, form.atZone) : null;
  return (
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
                5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first.
                Presets:{" "}
                {CRON_PRESETS.map(([label, cron], i) => (
                  <>
                    {i ? ", " : ""}
                    <button type="button" class="link-button" onClick={() => update({ cron })}>
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
              atInstant !== null ? `That is ${formatUtc(atInstant)}.` : "In the zone beside it."
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
  );
}
