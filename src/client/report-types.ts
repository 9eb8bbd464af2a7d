/** Wire types of batched worker reports (src/contract/worker-reports.ts), for the typed client. */
import type { z } from "@hono/zod-openapi";
import type {
  ReportItemSchema,
  ReportResultSchema,
  ReportsAnswerSchema,
  ReportsInputSchema,
} from "../contract/worker-reports";

export type ReportItem = z.input<typeof ReportItemSchema>;
export type ReportResult = z.output<typeof ReportResultSchema>;
export type ReportsInput = z.input<typeof ReportsInputSchema>;
export type ReportsAnswer = z.output<typeof ReportsAnswerSchema>;
