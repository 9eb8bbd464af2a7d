/** What the job form's sections share: their props, the text-input binding, name/value pairs, zone inputs. */
import type { Child } from "hono/jsx";
import type { Job } from "../api";
import type { JobForm, Pair } from "../form-model";
import { knownZones } from "../time";
import { described, Field, FieldErrors } from "../ui/components";

/** The props every section of the job form takes. */
export interface SectionProps {
  form: JobForm;
  /** The job being edited; null for a new one. */
  job: Job | null;
  update: (change: Partial<JobForm>) => void;
  /** The messages placed at a control, by its id. */
  err: (id: string) => string[] | undefined;
}

/** `onInput`/`onChange` of a control that sets one text field of the form. */
export const inputOf = (update: SectionProps["update"]) => (key: keyof JobForm) => (e: Event) =>
  update({ [key]: (e.target as HTMLInputElement).value } as Partial<JobForm>);

export function PairsEditor(props: {
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

const ZONES = knownZones();

/** The zones a ZoneInput offers (its `list`), once per page. */
export function ZoneList() {
  return (
    <datalist id="zone-list">
      {ZONES.map((z) => (
        <option value={z} />
      ))}
    </datalist>
  );
}

export function ZoneInput(props: {
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
