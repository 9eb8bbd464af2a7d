/**
 * Says which field of a cron expression is wrong, in words ("hour must be 0-23, got 25"). The
 * parser only reports the value ("Constraint error, got value 25 expected range 0-23"), so each
 * field is parsed again alone, the others `*`, to find the one at fault.
 */
import { CronExpressionParser } from "cron-parser";

const SIX_FIELDS = ["second", "minute", "hour", "day of month", "month", "day of week"] as const;

function parses(expression: string): string | null {
  try {
    CronExpressionParser.parse(expression, { tz: "UTC", strict: false });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The parser's message about one field, rewritten to name it. */
function fieldMessage(name: string, text: string, message: string): string {
  const outOfRange = /got (value|range) (\S+) expected range (\d+)-(\d+)/.exec(message);
  if (outOfRange)
    return `${name} must be ${outOfRange[3]}-${outOfRange[4]}, got ${outOfRange[1] === "value" ? outOfRange[2] : text}`;
  if (message.startsWith("Invalid characters"))
    return `${name} has characters cron does not know: ${text}`;
  if (message.includes("cannot repeat at every 0"))
    return `${name} step must be at least 1, got ${text}`;
  const backwards = /Invalid range: (\S+), min/.exec(message);
  if (backwards) return `${name} range ${backwards[1]} runs backwards (start after end)`;
  if (message.includes("occurrence number")) return `${name} #n must be 1-5, got ${text}`;
  return `${name}: ${message}, got ${text}`;
}

/**
 * What is wrong with `expression`, given the parser's `message` about it: one field named when
 * one field alone is wrong, else the fields that never meet, else the parser's own words.
 */
export function explainCronError(expression: string, message: string): string {
  const fields = expression.trim().split(/\s+/);
  if (expression.trim().startsWith("@")) return `unknown shorthand ${fields[0]} (${message})`;
  const names = fields.length === 6 ? SIX_FIELDS : SIX_FIELDS.slice(1);
  for (let i = 0; i < fields.length; i++) {
    const probe = SIX_FIELDS.map(() => "*");
    probe[SIX_FIELDS.length - fields.length + i] = fields[i] as string;
    const problem = parses(probe.join(" "));
    if (problem) return fieldMessage(names[i] as string, fields[i] as string, problem);
  }
  if (message.includes("day of month")) {
    const at = fields.length - 3;
    return `day of month ${fields[at]} never falls in month ${fields[at + 1]}: the expression never fires`;
  }
  return `invalid cron expression: ${message}`;
}
