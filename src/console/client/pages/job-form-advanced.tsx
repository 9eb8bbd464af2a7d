/** The job form's advanced sections: retries, timeout, overlap and catch-up; then the metadata labels. */
import type { JobForm } from "../form-model";
import { described, Field } from "../ui/components";
import { inputOf, PairsEditor, type SectionProps } from "./job-form-fields";

const OVERLAP_TEXT: Record<JobForm["overlap"], string> = {
  skip: "skip the new run",
  allow: "run both",
  buffer_one: "queue one, skip the rest",
  cancel_other: "cancel the running one",
};

export function RetrySection(props: SectionProps) {
  const { form, update, err } = props;
  const input = inputOf(update);
  return (
    <section class="card" aria-labelledby="form-retry">
      <h2 id="form-retry">Retries, timeout, overlap</h2>
      <div class="row">
        <Field id="job-max-attempts" label="Attempts at most" errors={err("job-max-attempts")}>
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
        <Field id="job-max-backoff" label="Longest backoff (s)" errors={err("job-max-backoff")}>
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
            <option value="transient">transient failures (not 4xx other than 408, 429)</option>
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
  );
}

export function MetadataSection(props: SectionProps) {
  const { form, update, err } = props;
  return (
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
  );
}
