/** POST /v1/schedules/preview: what a schedule will do, before a job trusts it. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { commonErrors } from "../../contract/common";
import { PreviewSchema, SchedulePreviewInputSchema } from "../../contract/job";
import { DEFAULTS } from "../../domain/limits";
import { isCron, previewFireTimes } from "../../domain/schedule";
import type { AppEnv } from "../auth";
import { validationHook } from "../problems";
import { tenantCall } from "../scheduler-call";

const preview = createRoute({
  method: "post",
  path: "/schedules/preview",
  summary: "The next fire times of a schedule not yet saved",
  request: {
    body: {
      content: { "application/json": { schema: SchedulePreviewInputSchema } },
      required: true,
    },
  },
  responses: {
    200: {
      content: { "application/json": { schema: PreviewSchema } },
      description: "Fire times in UTC",
    },
    ...commonErrors,
  },
});

export function scheduleRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(preview, async (c) => {
    await tenantCall(c, "authorize", "read");
    const { schedule, count } = c.req.valid("json");
    const times = previewFireTimes(schedule, Date.now(), count);
    const timezone = isCron(schedule)
      ? (schedule.timezone ?? DEFAULTS.timezone)
      : DEFAULTS.timezone;
    return c.json({ fire_times: times.map((t) => new Date(t).toISOString()), timezone }, 200);
  });
  return app;
}
