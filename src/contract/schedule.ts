/** The schedule of a job: at an instant, after a delay, on a cron expression, or now. */
import { z } from "@hono/zod-openapi";
import { DEFAULTS, LIMITS } from "../domain/limits";
import { ProblemError } from "../domain/problem";
import { assertCron, canonicalTimeZone } from "../domain/schedule";
import { Timestamp } from "./common";

export const ScheduleSchema = z
  .strictObject({
    at: Timestamp.optional().openapi({ description: "run once at this instant" }),
    delay_seconds: z
      .number()
      .int()
      .min(0)
      .max(LIMITS.maxScheduleAheadSeconds)
      .optional()
      .openapi({ description: "run once, this many seconds after the request" }),
    cron: z.string().min(1).max(200).optional().openapi({
      description: "5 fields (minute first) or 6 (second first)",
      example: "0 3 * * *",
    }),
    timezone: z
      .string()
      .max(64)
      // Stored canonical (`europe/berlin` → `Europe/Berlin`); refused names stay as given, for
      // assertCron below to report.
      .transform((name) => canonicalTimeZone(name) ?? name)
      .optional()
      .openapi({
        description:
          `IANA zone for cron (default ${DEFAULTS.timezone}), any letter case; stored canonical. ` +
          "Abbreviations such as EST and offsets such as +02:00 are refused.",
        example: "Europe/Berlin",
      }),
  })
  .superRefine((schedule, ctx) => {
    const kinds = (["at", "delay_seconds", "cron"] as const).filter(
      (k) => schedule[k] !== undefined,
    );
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: "give exactly one of at, delay_seconds or cron",
        path: [],
      });
      return;
    }
    if (schedule.timezone !== undefined && schedule.cron === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "timezone applies only to cron schedules",
        path: ["timezone"],
      });
      return;
    }
    if (schedule.cron !== undefined) {
      try {
        assertCron(schedule.cron, schedule.timezone ?? DEFAULTS.timezone, "");
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        for (const e of error.problem.errors ?? [])
          ctx.addIssue({ code: "custom", message: e.message, path: [e.path.slice(1)] });
      }
    }
  })
  .openapi("Schedule", {
    description:
      "Exactly one of `at`, `delay_seconds` or `cron` (with optional `timezone`). Absent: run now.",
  });

export type ScheduleInput = z.infer<typeof ScheduleSchema>;
