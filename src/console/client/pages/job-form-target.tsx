/** The job form's "What it calls" section: the target type, then a webhook's, a worker pool's or a task graph's fields. */
import { described, Field, FieldErrors } from "../ui/components";
import { inputOf, PairsEditor, type SectionProps } from "./job-form-fields";

export function TargetSection(props: SectionProps) {
  const { form, job, update, err } = props;
  const input = inputOf(update);
  // The API keeps a job a task graph or not for life, and a graph's tasks as created.
  const graphLocked = job !== null && form.targetType === "graph";
  return (
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
              An array of tasks, each with a unique <code>key</code>, a <code>target</code> (as
              above: http or worker) and <code>depends_on</code> (the keys it waits for), e.g.{" "}
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
  );
}
