/** The job form's summary of a refusal: what went wrong, each message linked to its field. */
import type { RefObject } from "hono/jsx";
import type { FieldError } from "../../../client/index.ts";
import { errorText, isProblem, type Job } from "../api";
import { placeError } from "../form-model";

/** Hidden until a refusal; then an alert the page focuses when no field holds all its messages. */
export function RefusalSummary(props: {
  job: Job | null;
  submitErrors: FieldError[];
  failure: unknown;
  summaryRef: RefObject<HTMLDivElement | null>;
}) {
  const { job, submitErrors, failure } = props;
  const refusal = submitErrors.length > 0 || failure !== undefined;
  return (
    <div
      class={refusal ? "form-summary" : "visually-hidden"}
      tabindex={-1}
      ref={props.summaryRef}
      role={refusal ? "alert" : undefined}
    >
      {failure !== undefined ? (
        <p>
          {isProblem(failure, 412)
            ? "Someone changed this job since you opened it. Reload the page to edit the current version."
            : errorText(failure)}
        </p>
      ) : null}
      {submitErrors.length ? (
        <>
          <p>
            {job ? "The changes were not saved" : "The job was not created"}:{" "}
            {submitErrors.length === 1 ? "one field needs" : `${submitErrors.length} fields need`}{" "}
            attention.
          </p>
          <ul>
            {submitErrors.map((e) => {
              const { field, message } = placeError(e);
              return (
                <li>
                  {field ? (
                    <a
                      href={`#${field}`}
                      onClick={(event: MouseEvent) => {
                        event.preventDefault();
                        document.getElementById(field)?.focus();
                      }}
                    >
                      {e.path}
                    </a>
                  ) : (
                    e.path
                  )}
                  : {field ? e.message : message}
                </li>
              );
            })}
          </ul>
        </>
      ) : null}
    </div>
  );
}
