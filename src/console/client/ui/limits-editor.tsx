/**
 * The flow limits form (a key's, a destination's, a tenant's default): running limit and rate,
 * sent as the API takes them, with the API's messages next to the fields they name.
 */
import { useEffect, useRef, useState } from "hono/jsx/dom";
import type { FieldError, FlowLimitsInput } from "../../../client/index.ts";
import { errorText, SchedulerProblem } from "../api";
import { buildLimits, type LimitsForm, placeLimitErrors } from "../flow-model";
import { Button, described, Field } from "./components";

export interface LimitsEditorProps {
  /** Prefix of the controls' ids, e.g. `key-limits` gives `key-limits-max-running`. */
  prefix: string;
  initial: LimitsForm;
  /** Changes when `initial` should replace what is typed (another row's Edit). */
  generation?: number;
  /** An editable name (new limits); absent: the name is fixed. */
  nameField?: { label: string; hint: string; placeholder: string; path: "key" | "host" };
  submitLabel: string;
  /** A leading path of the API's messages to drop (`default_flow_limits`). */
  strip?: string;
  onSave: (name: string, limits: FlowLimitsInput) => Promise<void>;
}

const FIELD_ORDER = ["name", "max-running", "rate-limit", "period", "burst"];

export function LimitsEditor(props: LimitsEditorProps) {
  const [form, setForm] = useState<LimitsForm>(props.initial);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setForm(props.initial);
    setErrors([]);
    setFailure(undefined);
  }, [props.generation]);

  const id = (name: string) => `${props.prefix}-${name}`;
  const placed = placeLimitErrors(errors, props.prefix, props.strip);
  const err = (name: string) => placed.byField[id(name)];
  const input = (key: keyof LimitsForm) => (e: Event) =>
    setForm((f) => ({ ...f, [key]: (e.target as HTMLInputElement).value }));

  const focusFirst = (shown: FieldError[]) => {
    const { byField, unplaced } = placeLimitErrors(shown, props.prefix, props.strip);
    const first = FIELD_ORDER.find((name) => byField[id(name)]);
    if (first && !unplaced.length) document.getElementById(id(first))?.focus();
    else summary.current?.focus();
  };

  const submit = async () => {
    setFailure(undefined);
    const built = buildLimits(form);
    if (props.nameField && form.name.trim() === "")
      built.errors.unshift({
        path: props.nameField.path,
        message: `give the ${props.nameField.label.toLowerCase()}`,
      });
    setErrors(built.errors);
    if (built.errors.length) {
      queueMicrotask(() => focusFirst(built.errors));
      return;
    }
    setBusy(true);
    try {
      await props.onSave(form.name.trim(), built.limits);
    } catch (error) {
      if (error instanceof SchedulerProblem && error.errors.length) {
        setErrors(error.errors);
        queueMicrotask(() => focusFirst(error.errors));
      } else {
        setFailure(error);
        queueMicrotask(() => summary.current?.focus());
      }
    } finally {
      setBusy(false);
    }
  };

  const refusal = placed.unplaced.length > 0 || failure !== undefined;
  return (
    <form
      method="post"
      noValidate
      class="limits-form"
      aria-label={props.submitLabel}
      onSubmit={(event: Event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <div
        class={refusal ? "form-summary" : "visually-hidden"}
        tabindex={-1}
        ref={summary}
        role={refusal ? "alert" : undefined}
        id={id("summary")}
      >
        {failure !== undefined ? <p>{errorText(failure)}</p> : null}
        {placed.unplaced.map((message) => (
          <p>{message}</p>
        ))}
      </div>
      {props.nameField ? (
        <Field
          id={id("name")}
          label={props.nameField.label}
          hint={props.nameField.hint}
          errors={err("name")}
        >
          <input
            {...described(id("name"), { hint: true, errors: err("name") })}
            class="mono"
            autocomplete="off"
            spellcheck={false}
            placeholder={props.nameField.placeholder}
            value={form.name}
            onInput={input("name")}
          />
        </Field>
      ) : null}
      <div class="row">
        <Field
          id={id("max-running")}
          label="Max running"
          hint="Runs queued or running at once, 1 to 10,000. Empty: no such limit."
          errors={err("max-running")}
        >
          <input
            {...described(id("max-running"), { hint: true, errors: err("max-running") })}
            type="number"
            min="1"
            max="10000"
            step="1"
            value={form.maxRunning}
            onInput={input("maxRunning")}
          />
        </Field>
      </div>
      <fieldset class="rate">
        <legend>Rate: runs started per period</legend>
        <div class="row">
          <Field
            id={id("rate-limit")}
            label="Runs"
            hint="1 to 100,000. Empty: no rate."
            errors={err("rate-limit")}
          >
            <input
              {...described(id("rate-limit"), { hint: true, errors: err("rate-limit") })}
              type="number"
              min="1"
              step="1"
              value={form.rateLimit}
              onInput={input("rateLimit")}
            />
          </Field>
          <Field id={id("period")} label="Per (seconds)" hint="1 to 3,600." errors={err("period")}>
            <input
              {...described(id("period"), { hint: true, errors: err("period") })}
              type="number"
              min="1"
              max="3600"
              step="1"
              value={form.periodSeconds}
              onInput={input("periodSeconds")}
            />
          </Field>
          <Field
            id={id("burst")}
            label="Burst"
            hint="Runs that may start at once after a quiet time. Empty: the rate's runs."
            errors={err("burst")}
          >
            <input
              {...described(id("burst"), { hint: true, errors: err("burst") })}
              type="number"
              min="1"
              step="1"
              value={form.burst}
              onInput={input("burst")}
            />
          </Field>
        </div>
      </fieldset>
      <div class="form-actions">
        <Button type="submit" kind="primary" busy={busy} busyText="Saving…">
          {props.submitLabel}
        </Button>
      </div>
    </form>
  );
}
