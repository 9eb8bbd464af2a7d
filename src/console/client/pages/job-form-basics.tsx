/** The job form's "Name and priority" section. */
import { described, Field } from "../ui/components";
import { inputOf, type SectionProps } from "./job-form-fields";

export function BasicsSection(props: SectionProps) {
  const { form, update, err } = props;
  const input = inputOf(update);
  return (
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
  );
}
