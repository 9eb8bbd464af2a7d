/** A secret shown once (a new token, a signing secret): selectable, copyable, with a warning. */
import { useState } from "hono/jsx/dom";

export function SecretBox(props: { id: string; label: string; value: string; note?: string }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  return (
    <div class="secret">
      <label for={props.id}>{props.label}</label>
      <div class="secret-row">
        <input
          id={props.id}
          class="mono"
          readonly
          value={props.value}
          onFocus={(e: FocusEvent) => (e.target as HTMLInputElement).select()}
        />
        <button
          type="button"
          class="button small"
          onClick={() => {
            navigator.clipboard?.writeText(props.value).then(
              () => setCopied("yes"),
              () => setCopied("no"),
            ) ?? setCopied("no");
          }}
        >
          Copy
        </button>
      </div>
      <p class="hint" role="status">
        {copied === "yes"
          ? "Copied."
          : copied === "no"
            ? "Could not copy: select the text and copy it."
            : (props.note ?? "Shown once: copy it now. Only its hash is stored.")}
      </p>
    </div>
  );
}
