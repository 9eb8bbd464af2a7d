/**
 * Rules for strings that people read (names, labels) or that are sent as HTTP header values.
 * Control characters can forge log lines and break headers; lone surrogates cannot be encoded as
 * UTF-8, so storage would silently turn them into U+FFFD.
 */
import { z } from "@hono/zod-openapi";

/** C0, DEL and C1 controls, plus the Unicode line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
/** Controls other than tab, line feed and carriage return. */
const CONTROL_BUT_LINE_BREAKS = /(?![\t\n\r])\p{Cc}/u;
/** A surrogate that is not half of a pair: with the `u` flag only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

/** What is wrong with `value` as text; `lineBreaks` allows tab, LF and CR (free text). */
export function textProblems(value: string, lineBreaks = false): string[] {
  const problems: string[] = [];
  if ((lineBreaks ? CONTROL_BUT_LINE_BREAKS : CONTROL).test(value))
    problems.push("must not contain control characters or line breaks");
  if (LONE_SURROGATE.test(value)) problems.push("must be valid Unicode (no unpaired surrogates)");
  return problems;
}

const addProblems = (ctx: z.RefinementCtx, messages: string[]) => {
  for (const message of messages) ctx.addIssue({ code: "custom", message });
};

/** A name shown to people: trimmed, 1 to `max` characters, on one line, with something visible. */
export const displayText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .superRefine((value, ctx) => {
      addProblems(ctx, textProblems(value));
      if (!VISIBLE.test(value))
        ctx.addIssue({ code: "custom", message: "must contain a visible character" });
    });

/** Free text: tabs and line breaks allowed, other controls and unpaired surrogates not. */
export const freeText = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((value, ctx) => addProblems(ctx, textProblems(value, true)));

/**
 * An HTTP header value that `new Headers()` stores unchanged: visible ASCII with inner spaces and
 * tabs. Headers would reject CR, LF, NUL and non-Latin-1 text, and silently trim outer whitespace,
 * so those are refused here rather than failing (or changing) at delivery.
 */
export const headerValue = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((value, ctx) => {
      if (/[\r\n\0]/.test(value)) {
        ctx.addIssue({ code: "custom", message: "must not contain CR, LF or NUL" });
      } else if (!/^[\t\x20-\x7e]*$/.test(value)) {
        ctx.addIssue({ code: "custom", message: "must be visible ASCII, spaces and tabs only" });
      } else if (/^[\t ]|[\t ]$/.test(value)) {
        ctx.addIssue({ code: "custom", message: "must not start or end with whitespace" });
      }
    });
