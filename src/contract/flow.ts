/**
 * Flow control on the wire: flow keys (a job's, or a trigger's for one run), the limits a tenant
 * sets on a key or a destination host, and what each uses now.
 */
import { z } from "@hono/zod-openapi";
import { Cursor, PageLimit } from "./common";

/** The documented maxima of flow limits. */
export const FLOW_LIMITS = {
  maxRunning: 10_000,
  rateLimit: 100_000,
  minPeriodSeconds: 1,
  maxPeriodSeconds: 3600,
  maxBurst: 100_000,
  maxKeyLength: 128,
  maxHostLength: 255,
} as const;

export const FlowKeySchema = z
  .string()
  .min(1)
  .max(FLOW_LIMITS.maxKeyLength)
  .regex(/^[^\s\p{C}]+$/u, "visible characters only (no spaces or control characters)")
  .openapi({
    description: "1-128 visible characters, e.g. the tenant's own customer id",
    example: "customer-4711",
  });

/** A destination is a host as webhook URLs name it: `host` or `host:port`, lowercase. */
export const DestinationHostSchema = z
  .string()
  .min(1)
  .max(FLOW_LIMITS.maxHostLength)
  .regex(
    /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:[0-9]{1,5})?$/,
    "a lowercase host name or address, with `:port` when the URLs name one",
  )
  .openapi({
    description: "the host of webhook URLs, as `URL.host` gives it",
    example: "api.example.com",
  });

const count = (max: number, what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(max)
    .openapi({ description: `${what}, 1 to ${max}` });

export const FlowRateSchema = z
  .strictObject({
    limit: count(FLOW_LIMITS.rateLimit, "runs started per period"),
    period_seconds: z
      .number()
      .int()
      .min(FLOW_LIMITS.minPeriodSeconds)
      .max(FLOW_LIMITS.maxPeriodSeconds)
      .openapi({ description: "1 to 3600 seconds" }),
    burst: count(FLOW_LIMITS.maxBurst, "runs that may start at once after a quiet time").optional(),
  })
  .openapi("FlowRate", {
    description: "a token bucket: `burst` tokens (default `limit`), refilled at `limit` per period",
  });

export const FlowLimitsSchema = z
  .strictObject({
    max_running: count(FLOW_LIMITS.maxRunning, "runs queued or running at once").optional(),
    rate: FlowRateSchema.optional(),
  })
  .refine((l) => l.max_running !== undefined || l.rate !== undefined, {
    message: "give max_running, rate or both",
  })
  .openapi("FlowLimits");
export type FlowLimitsInput = z.infer<typeof FlowLimitsSchema>;

/** A key's or destination's limits and what it uses now. */
export const FlowUsageSchema = z
  .object({
    limits: FlowLimitsSchema.nullable().openapi({
      description: "its own limits, or (a key) the tenant's default; null when nothing limits it",
    }),
    own_limits: z
      .boolean()
      .openapi({ description: "whether the limits are its own (not the default)" }),
    running: z.number().int().openapi({ description: "runs queued or running now" }),
    waiting: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "a key's runs pending or retrying (null for a destination)" }),
    rate_tokens: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "runs the rate lets start now; null without a rate" }),
  })
  .openapi("FlowUsage");

export const FlowKeyViewSchema = FlowUsageSchema.extend({ key: z.string() }).openapi("FlowKey");
export type FlowKeyView = z.infer<typeof FlowKeyViewSchema>;

export const DestinationViewSchema = FlowUsageSchema.extend({ host: z.string() }).openapi(
  "Destination",
);
export type DestinationView = z.infer<typeof DestinationViewSchema>;

export const FlowKeyPageSchema = z
  .object({ data: z.array(FlowKeyViewSchema), next_cursor: z.string().nullable() })
  .openapi("FlowKeyPage");
export const DestinationPageSchema = z
  .object({ data: z.array(DestinationViewSchema), next_cursor: z.string().nullable() })
  .openapi("DestinationPage");

export const FlowListQuerySchema = z.object({ limit: PageLimit(200, 50), cursor: Cursor });
export type FlowListQuery = z.infer<typeof FlowListQuerySchema>;

/** `POST /v1/jobs/:id/trigger`: optionally another flow key for this one run. */
export const TriggerInputSchema = z
  .strictObject({
    flow_key: FlowKeySchema.nullable()
      .optional()
      .openapi({ description: "this run's flow key instead of the job's; null: none" }),
  })
  .openapi("TriggerInput");
export type TriggerInput = z.infer<typeof TriggerInputSchema>;

/** Why a run that is due has not started. */
export const WAITING_REASONS = ["flow_key", "destination", "tenant_cap"] as const;
