/**
 * Batched worker reports on the wire: the outcomes of several attempts in one request
 * (`POST /v1/workers/{id}/reports`, or carried by the next claim), answered per item.
 */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../domain/limits";
import { RUN_STATUSES } from "../domain/run-status";
import { ProblemSchema } from "./common";
import { boundedJson } from "./json";

const reported = {
  run_id: z.string().min(1).max(64),
  attempt: z.number().int().min(1),
};

/** One attempt's outcome: `complete` (with its result) or `fail` (with its error). */
export const ReportItemSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("complete"),
      ...reported,
      // Sizes are checked by the route, which answers 413 naming the field.
      result: boundedJson(LIMITS.maxBatchBodyBytes)
        .optional()
        .openapi({ description: "kept on the attempt (at most 64 KiB, else 413)" }),
    }),
    z.strictObject({
      kind: z.literal("fail"),
      ...reported,
      error: z.string().min(1).max(LIMITS.maxErrorLength),
      retryable: z
        .boolean()
        .default(true)
        .openapi({ description: "false: no further attempt (the run is dead)" }),
    }),
  ])
  .openapi("ReportItem");
export type ReportItem = z.infer<typeof ReportItemSchema>;

/** A batch of reports: at most `LIMITS.maxReportBatch` items, each answered on its own. */
export const ReportItemsSchema = z
  .array(ReportItemSchema)
  .max(LIMITS.maxReportBatch)
  .openapi({
    description: `outcomes of attempts this worker holds (at most ${LIMITS.maxReportBatch}); each is answered on its own in \`reports\``,
  });

export const ReportsInputSchema = z
  .strictObject({ reports: ReportItemsSchema.min(1) })
  .openapi("ReportsInput");
export type ReportsInput = z.infer<typeof ReportsInputSchema>;

/** What became of one report: recorded (with the run's status after it) or refused (a problem). */
export const ReportResultSchema = z
  .object({
    run_id: z.string(),
    attempt: z.number().int(),
    recorded: z.boolean().openapi({
      description: "true: stored now or before (a repeat is answered the same); false: see problem",
    }),
    run_status: z
      .enum(RUN_STATUSES)
      .nullable()
      .openapi({ description: "the run's status after the report; null when refused" }),
    problem: ProblemSchema.nullable().openapi({
      description:
        "why this report was refused (409 not the current attempt or not this worker's, 403 another token's or pool's, 404 no such run); its paths name the item, e.g. `reports[3].attempt`",
    }),
  })
  .openapi("ReportResult");
export type ReportResult = z.infer<typeof ReportResultSchema>;

export const ReportsAnswerSchema = z
  .object({ reports: z.array(ReportResultSchema) })
  .openapi("ReportsAnswer");
export type ReportsAnswer = z.infer<typeof ReportsAnswerSchema>;
