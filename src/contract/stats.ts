/** Per-minute statistics for charts: runs finished by status, and fire lag, per minute. */
import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common";

export const STATS_WINDOWS = ["hour", "day"] as const;
export type StatsWindow = (typeof STATS_WINDOWS)[number];

export const StatsQuerySchema = z.object({
  window: z.enum(STATS_WINDOWS).default("hour").openapi({ description: "the last hour or day" }),
});

export const MinuteSchema = z
  .object({
    minute: Timestamp,
    runs: z.record(z.string(), z.number().int()).openapi({
      description: "runs that reached a final status in this minute, by status",
      example: { succeeded: 118, dead: 2 },
    }),
    rate_limited: z.number().int().openapi({ description: "requests answered 429 in this minute" }),
    fire_lag_ms: z
      .object({
        count: z.number().int(),
        p50: z.number().nullable(),
        p99: z.number().nullable(),
      })
      .openapi({
        description:
          "first attempts started in this minute: scheduled time to start, estimated from buckets",
      }),
  })
  .openapi("StatsMinute");

export const StatsSchema = z
  .object({ window: z.enum(STATS_WINDOWS), minutes: z.array(MinuteSchema) })
  .openapi("Stats");
