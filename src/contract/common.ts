/** Wire shapes shared by every resource: timestamps, problems, pagination. */
import { z } from "@hono/zod-openapi";

export const Timestamp = z.iso.datetime({ offset: true }).openapi({
  description: "RFC 3339 timestamp; answers are always UTC",
  example: "2026-11-22T10:00:00.000Z",
});

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem", { description: "RFC 9457 problem details" });

export const problemDoc = (description: string) => ({
  content: { "application/problem+json": { schema: ProblemSchema } },
  description,
});

/** The error answers every authenticated route may give. */
export const commonErrors = {
  400: problemDoc("Invalid input; `errors` names each failing field"),
  401: problemDoc("Missing, malformed, revoked or unknown token"),
  403: problemDoc(
    "Suspended tenant, a token whose scope or pools do not reach the route, or a tier limit",
  ),
  429: problemDoc(
    "Over the tier's request rate, or too many failed authentications from this address; see Retry-After",
  ),
} as const;

export const Cursor = z.string().max(200).optional().openapi({
  description:
    "next_cursor of the previous page. Filters on common statuses scan at most 5,000 rows a page, so a page may hold fewer items than `limit` while `next_cursor` is set: follow it until it is null.",
});

export const PageLimit = (max: number, fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .openapi({ description: `page size, 1 to ${max} (default ${fallback})` });
