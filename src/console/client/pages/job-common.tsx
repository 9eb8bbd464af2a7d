/** Job pieces shared by the list and the job page: schedule text, next run, and the job actions. */
import { api, errorText, type Job } from "../api";
import { useAction } from "../hooks";
import { navigate } from "../router";
import { localZone } from "../time";
import { Button, Time } from "../ui/components";
import { confirmAction, notify } from "../ui/feedback";

/** A cron job's zone; a one-time job has none, so its times show in the browser's zone. */
export function jobZone(job: Job): string {
  return job.schedule?.cron !== undefined ? (job.schedule.timezone ?? "UTC") : localZone();
}

export function ScheduleText(props: { job: Job }) {
  const s = props.job.schedule;
  if (!s) return <span>Once, when created</span>;
  if (s.cron !== undefined)
    return (
      <span>
        <code>{s.cron}</code> <span class="muted">in {s.timezone ?? "UTC"}</span>
      </span>
    );
  if (s.at !== undefined)
    return (
      <span>
        Once at <Time iso={s.at} utc="inline" />
      </span>
    );
  return <span>Once, {s.delay_seconds} s after it was created</span>;
}

/** The next fire time in the job's zone and in UTC. */
export function NextRun(props: { job: Job }) {
  const { job } = props;
  if (!job.next_run_at)
    return <span class="muted">{job.status === "paused" ? "paused" : "none"}</span>;
  const zone = jobZone(job);
  return (
    <span class="next-run">
      <Time iso={job.next_run_at} zone={zone} utc="inline" relative />
      {job.status === "paused" ? <span class="muted"> (paused)</span> : null}
    </span>
  );
}

/**
 * Pause or resume, trigger now, cancel (after a confirmation: a cancelled job never runs again).
 * `onChange` gets the job as the API answered.
 */
export function JobActions(props: { job: Job; onChange: (job: Job) => void; compact?: boolean }) {
  const { job } = props;
  const pause = useAction(async () => {
    const next = await api().jobs.pause(job.id);
    props.onChange(next);
    notify(`Paused ${job.name}.`);
  });
  const resume = useAction(async () => {
    const next = await api().jobs.resume(job.id);
    props.onChange(next);
    notify(`Resumed ${job.name}.`);
  });
  const trigger = useAction(async () => {
    const run = await api().jobs.trigger(job.id);
    notify(`Triggered ${job.name}: run ${run.id} is ${run.status}.`);
    props.onChange(await api().jobs.get(job.id));
  });
  const cancel = useAction(async () => {
    const ok = await confirmAction({
      title: `Cancel ${job.name}?`,
      body: (
        <p>
          The job will never run again and its waiting runs are cancelled. A run already executing
          finishes its attempt. This cannot be undone: to run it again, create a new job.
        </p>
      ),
      confirm: "Cancel the job",
      danger: true,
    });
    if (!ok) return;
    const next = await api().jobs.cancel(job.id);
    props.onChange(next);
    notify(`Cancelled ${job.name}.`);
  });
  const error = pause.error ?? resume.error ?? trigger.error ?? cancel.error;
  const open = job.status === "active" || job.status === "paused";
  const label = (verb: string) => `${verb} ${job.name}`;
  return (
    <div class="actions">
      {job.status === "active" ? (
        <Button
          small={props.compact}
          onClick={() => void pause.run()}
          busy={pause.busy}
          label={label("Pause")}
        >
          Pause
        </Button>
      ) : null}
      {job.status === "paused" ? (
        <Button
          small={props.compact}
          onClick={() => void resume.run()}
          busy={resume.busy}
          label={label("Resume")}
        >
          Resume
        </Button>
      ) : null}
      {open ? (
        <Button
          small={props.compact}
          onClick={() => void trigger.run()}
          busy={trigger.busy}
          label={label("Trigger now")}
        >
          Trigger now
        </Button>
      ) : null}
      {!props.compact && open ? (
        <Button onClick={() => navigate(`/jobs/${encodeURIComponent(job.id)}/edit`)}>Edit</Button>
      ) : null}
      {open ? (
        <Button
          small={props.compact}
          kind="danger"
          onClick={() => void cancel.run()}
          busy={cancel.busy}
          label={label("Cancel")}
        >
          Cancel
        </Button>
      ) : null}
      {error ? (
        <p class="inline-error" role="alert">
          {errorText(error)}
        </p>
      ) : null}
    </div>
  );
}
