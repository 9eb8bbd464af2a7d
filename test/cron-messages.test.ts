/** A cron expression's mistake named by its field, in words, once: "hour must be 0-23, got 25". */
import { describe, expect, it } from "vitest";
import { ProblemError } from "../src/domain/problem";
import { assertCron } from "../src/domain/schedule";
import { call, createTenant, expectProblem, jobBody } from "./support/api";

/** The message assertCron gives `expression`, at schedule.cron. */
function messageFor(expression: string): string {
  try {
    assertCron(expression, "UTC");
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    const [only, ...rest] = error.problem.errors ?? [];
    expect(rest).toEqual([]);
    expect(only?.path).toBe("schedule.cron");
    return only?.message ?? "";
  }
  throw new Error(`${expression} was accepted`);
}

describe("cron messages", () => {
  it.each([
    ["0 25 * * *", "hour must be 0-23, got 25"],
    ["61 * * * *", "minute must be 0-59, got 61"],
    ["1,2,70 * * * *", "minute must be 0-59, got 70"],
    ["0 0 32 * *", "day of month must be 1-31, got 32"],
    ["0 0 * 13 *", "month must be 1-12, got 13"],
    ["0 0 * * 8", "day of week must be 0-7, got 8"],
    ["60 0 0 * * *", "second must be 0-59, got 60"],
    ["0 0 60 * * *", "hour must be 0-23, got 60"],
    ["x * * * *", "minute has characters cron does not know: x"],
    ["0 0 * JANX *", "month has characters cron does not know: JANX"],
    ["*/0 * * * *", "minute step must be at least 1, got */0"],
    ["5-2 * * * *", "minute range 5-2 runs backwards (start after end)"],
    ["0 0 * * 1#6", "day of week #n must be 1-5, got 1#6"],
    ["0 0 30 2 *", "day of month 30 never falls in month 2: the expression never fires"],
  ])("%s: %s", (expression, message) => {
    expect(messageFor(expression)).toBe(message);
  });

  it("answers the API's 400 with the field named once, in the detail and at schedule.cron", async () => {
    const tenant = await createTenant();
    const problem = await expectProblem(
      await call("/v1/jobs", {
        token: tenant.token,
        body: jobBody({ schedule: { cron: "0 25 * * *" } }),
      }),
      400,
      ["schedule.cron"],
    );
    expect(problem.errors).toEqual([
      { path: "schedule.cron", message: "hour must be 0-23, got 25" },
    ]);
    expect(problem.detail).toBe("schedule.cron: hour must be 0-23, got 25");
    const preview = await expectProblem(
      await call("/v1/schedules/preview", {
        token: tenant.token,
        body: { schedule: { cron: "0 25 * * *" } },
      }),
      400,
      ["schedule.cron"],
    );
    expect(preview.errors?.[0]?.message).toBe("hour must be 0-23, got 25");
  });
});
