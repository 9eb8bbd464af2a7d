/**
 * Create or edit a job: every field, the API's messages next to the field they name, and a live
 * preview of the schedule (the next 10 fire times in its zone and in UTC, DST days marked). This
 * page holds the form's state and submit; its sections are job-form-basics, -schedule, -target and
 * -advanced, the preview job-form-preview, the refusal summary job-form-refusal; the requests are
 * built by form-model.ts, and form-messages.ts decides which messages show and what gets focus.
 */
import { useEffect, useMemo, useRef, useState } from "hono/jsx/dom";
import type { FieldError } from "../../../client/index.ts";
import { api, isProblem, type Job, SchedulerProblem } from "../api";
import { focusAfterRefusal, shownErrors } from "../form-messages";
import {
  buildInput,
  buildPatch,
  emptyForm,
  formFromJob,
  type JobForm,
  placeErrors,
} from "../form-model";
import { useAsync } from "../hooks";
import { Link, navigate } from "../router";
import { localZone } from "../time";
import { Button, Empty, ErrorBox, Loading, Page } from "../ui/components";
import { notify } from "../ui/feedback";
import { MetadataSection, RetrySection } from "./job-form-advanced";
import { BasicsSection } from "./job-form-basics";
import { type SectionProps, ZoneList } from "./job-form-fields";
import { SchedulePreview } from "./job-form-preview";
import { RefusalSummary } from "./job-form-refusal";
import { ScheduleSection } from "./job-form-schedule";
import { TargetSection } from "./job-form-target";

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

  const placed = placeErrors(shownErrors(submitErrors, previewErrors));
  const err = (id: string) => placed.byField[id];

  useEffect(() => {
    if (focusToken === 0) return;
    const focus = focusAfterRefusal(submitErrors, Boolean(failure));
    if (focus?.to === "summary") summary.current?.focus();
    else if (focus?.to === "field") document.getElementById(focus.id)?.focus();
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

  const title = job ? `Edit ${job.name}` : "New job";
  const sections: SectionProps = { form, job, update, err };
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
      <ZoneList />
      <RefusalSummary
        job={job}
        submitErrors={submitErrors}
        failure={failure}
        summaryRef={summary}
      />
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
          <BasicsSection {...sections} />
          <ScheduleSection {...sections} />
          <TargetSection {...sections} />
          <RetrySection {...sections} />
          <MetadataSection {...sections} />

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
