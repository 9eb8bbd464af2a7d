import { describe, expect, it } from "vitest";
import { LIMITS } from "../src/domain/limits";
import {
  assertCron,
  assertTimeZone,
  canonicalTimeZone,
  firstFireTime,
  nextCronTime,
  previewFireTimes,
  previousCronTime,
  shortestCronIntervalSeconds,
} from "../src/domain/schedule";
import { call, callJson, createTenant, expectProblem, jobBody } from "./support/api";
import { fireTimes, iso, localDate, ms, problemOf } from "./support/schedule";

describe("nextCronTime", () => {
  it("evaluates a 5-field expression in UTC by default and strictly after the given instant", () => {
    expect(iso(nextCronTime("0 3 * * *", "UTC", ms("2026-05-10T02:59:59.999Z")))).toBe(
      "2026-05-10T03:00:00.000Z",
    );
    expect(iso(nextCronTime("0 3 * * *", "UTC", ms("2026-05-10T03:00:00.000Z")))).toBe(
      "2026-05-11T03:00:00.000Z",
    );
  });

  it("evaluates the expression in the job's time zone", () => {
    // 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC; 09:00 in New York in July (EDT) is 13:00 UTC.
    expect(iso(nextCronTime("0 9 * * *", "Asia/Tokyo", ms("2026-07-01T12:00:00Z")))).toBe(
      "2026-07-02T00:00:00.000Z",
    );
    expect(iso(nextCronTime("0 9 * * *", "America/New_York", ms("2026-07-01T12:00:00Z")))).toBe(
      "2026-07-01T13:00:00.000Z",
    );
  });

  it("reads a 6-field expression as seconds first", () => {
    expect(fireTimes("*/10 * * * * *", "UTC", "2026-01-01T00:00:05.500Z", 3)).toEqual([
      "2026-01-01T00:00:10.000Z",
      "2026-01-01T00:00:20.000Z",
      "2026-01-01T00:00:30.000Z",
    ]);
    expect(iso(nextCronTime("30 15 10 * * *", "Asia/Tokyo", ms("2026-01-01T00:00:00Z")))).toBe(
      "2026-01-01T01:15:30.000Z",
    );
  });

  it("accepts predefined expressions such as @daily", () => {
    expect(iso(nextCronTime("@daily", "UTC", ms("2026-01-01T10:00:00Z")))).toBe(
      "2026-01-02T00:00:00.000Z",
    );
  });
});

describe("DST: a skipped local time runs once, shifted by the gap", () => {
  it("fires 30 2 * * * in Berlin once on 2026-03-29, at 03:30 CEST (01:30Z)", () => {
    const times = fireTimes("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 4);
    expect(times).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:30:00.000Z", // 02:30 does not exist: 03:30 CEST
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-03-31T00:30:00.000Z",
    ]);
    expect(times.filter((t) => localDate(t, "Europe/Berlin") === "2026-03-29")).toHaveLength(1);
  });

  it("fires 30 2 * * * in New York on 2026-03-08 at 03:30 EDT (07:30Z)", () => {
    expect(fireTimes("30 2 * * *", "America/New_York", "2026-03-06T12:00:00Z", 3)).toEqual([
      "2026-03-07T07:30:00.000Z", // 02:30 EST
      "2026-03-08T07:30:00.000Z", // skipped: 03:30 EDT
      "2026-03-09T06:30:00.000Z", // 02:30 EDT
    ]);
  });

  it("collapses several skipped times of one hour into a single run at the jump", () => {
    expect(fireTimes("*/15 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-29T01:00:00.000Z", // 02:00, 02:15, 02:30 and 02:45 do not exist: once, at 03:00 CEST
      "2026-03-30T00:00:00.000Z", // 02:00 CEST
      "2026-03-30T00:15:00.000Z",
    ]);
  });

  it("keeps an hourly expression hourly across the jump", () => {
    expect(fireTimes("0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z", 3)).toEqual([
      "2026-03-29T00:00:00.000Z", // 01:00 CET
      "2026-03-29T01:00:00.000Z", // 03:00 CEST
      "2026-03-29T02:00:00.000Z",
    ]);
  });
});

describe("DST: a repeated local time runs once, at its first instance", () => {
  it("fires 30 2 * * * in Berlin once on 2026-10-25, at 00:30Z, and at 01:30Z the next day", () => {
    const times = fireTimes("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", 3);
    expect(times).toEqual([
      "2026-10-24T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T00:30:00.000Z", // first 02:30 (CEST); the second (01:30Z, CET) is skipped
      "2026-10-26T01:30:00.000Z", // 02:30 CET
    ]);
    expect(times.filter((t) => localDate(t, "Europe/Berlin") === "2026-10-25")).toHaveLength(1);
  });

  it("fires 30 1 * * * in New York once on 2026-11-01, at 05:30Z", () => {
    const times = fireTimes("30 1 * * *", "America/New_York", "2026-10-30T12:00:00Z", 3);
    expect(times).toEqual([
      "2026-10-31T05:30:00.000Z",
      "2026-11-01T05:30:00.000Z", // first 01:30 (EDT); the second (06:30Z, EST) is skipped
      "2026-11-02T06:30:00.000Z",
    ]);
    expect(times.filter((t) => localDate(t, "America/New_York") === "2026-11-01")).toHaveLength(1);
  });

  it("fires at the repeat when asked from inside the repeated hour, after the first instance", () => {
    // A job created at 02:15 CET (the second 02:15) has not seen the first 02:30, so it runs at the repeat.
    expect(iso(nextCronTime("30 2 * * *", "Europe/Berlin", ms("2026-10-25T01:15:00Z")))).toBe(
      "2026-10-25T01:30:00.000Z",
    );
  });

  it("fires an hourly expression in Berlin in both repeated hours of 2026-10-25", () => {
    expect(fireTimes("0 * * * *", "Europe/Berlin", "2026-10-24T22:30:00Z", 5)).toEqual([
      "2026-10-24T23:00:00.000Z", // 01:00 CEST
      "2026-10-25T00:00:00.000Z", // 02:00 CEST
      "2026-10-25T01:00:00.000Z", // 02:00 CET, the repeat
      "2026-10-25T02:00:00.000Z", // 03:00 CET
      "2026-10-25T03:00:00.000Z",
    ]);
  });
});

describe("previousCronTime", () => {
  it("returns the last fire time strictly before the instant", () => {
    expect(iso(previousCronTime("0 * * * *", "UTC", ms("2026-01-01T10:00:00Z")))).toBe(
      "2026-01-01T09:00:00.000Z",
    );
    expect(iso(previousCronTime("0 * * * *", "UTC", ms("2026-01-01T10:00:00.001Z")))).toBe(
      "2026-01-01T10:00:00.000Z",
    );
    expect(iso(previousCronTime("*/10 * * * * *", "UTC", ms("2026-01-01T10:00:05Z")))).toBe(
      "2026-01-01T10:00:00.000Z",
    );
  });

  it("finds the shifted spring-forward run, which nextCronTime fires", () => {
    // Right after the shifted run fired, the scheduler asks for the latest due occurrence.
    expect(
      iso(previousCronTime("30 2 * * *", "Europe/Berlin", ms("2026-03-29T01:30:00.001Z"))),
    ).toBe("2026-03-29T01:30:00.000Z");
    expect(iso(previousCronTime("30 2 * * *", "Europe/Berlin", ms("2026-03-29T12:00:00Z")))).toBe(
      "2026-03-29T01:30:00.000Z",
    );
    expect(
      iso(previousCronTime("30 2 * * *", "America/New_York", ms("2026-03-08T07:30:00.001Z"))),
    ).toBe("2026-03-08T07:30:00.000Z");
  });

  it("returns the first instance of a repeated time, not the repeat nextCronTime skips", () => {
    expect(iso(previousCronTime("30 2 * * *", "Europe/Berlin", ms("2026-10-25T12:00:00Z")))).toBe(
      "2026-10-25T00:30:00.000Z",
    );
    expect(
      iso(previousCronTime("30 1 * * *", "America/New_York", ms("2026-11-01T12:00:00Z"))),
    ).toBe("2026-11-01T05:30:00.000Z");
    expect(iso(previousCronTime("*/15 2 * * *", "Europe/Berlin", ms("2026-10-25T02:00:00Z")))).toBe(
      "2026-10-25T00:45:00.000Z",
    );
    // Elapsed-time expressions do fire in the repeated hour.
    expect(iso(previousCronTime("0 * * * *", "Europe/Berlin", ms("2026-10-25T01:30:00Z")))).toBe(
      "2026-10-25T01:00:00.000Z",
    );
  });

  it("agrees with nextCronTime on every step across DST changes", () => {
    const cases: [cron: string, timezone: string, from: string][] = [
      ["30 2 * * *", "Europe/Berlin", "2026-03-26T00:00:00Z"],
      ["30 2 * * *", "Europe/Berlin", "2026-10-22T00:00:00Z"],
      ["30 1 * * *", "America/New_York", "2026-10-29T00:00:00Z"],
      ["0 * * * *", "Europe/Berlin", "2026-10-24T20:00:00Z"],
      ["*/15 2 * * *", "Europe/Berlin", "2026-03-27T00:00:00Z"],
      ["*/20 1-3 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z"],
      ["0 */30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z"],
    ];
    for (const [cron, timezone, from] of cases) {
      const times = previewFireTimes({ cron, timezone }, ms(from), 16);
      for (let i = 1; i < times.length; i++) {
        const earlier = times[i - 1] as number;
        const later = times[i] as number;
        for (const probe of [earlier + 1, Math.floor((earlier + later) / 2), later]) {
          expect(
            iso(previousCronTime(cron, timezone, probe)),
            `${cron} in ${timezone} before ${iso(probe)}`,
          ).toBe(iso(earlier));
        }
      }
    }
  });
});

describe("firstFireTime and previewFireTimes", () => {
  const now = ms("2026-06-01T12:00:00.250Z");

  it("runs an absent schedule now", () => {
    expect(firstFireTime(undefined, now)).toBe(now);
    expect(previewFireTimes(undefined, now, 5)).toEqual([now]);
  });

  it("runs a delay that many seconds after now", () => {
    expect(previewFireTimes({ delay_seconds: 90 }, now, 5)).toEqual([now + 90_000]);
  });

  it("runs an `at` at that instant, and a slightly past `at` now", () => {
    expect(firstFireTime({ at: "2026-06-02T00:00:00Z" }, now)).toBe(ms("2026-06-02T00:00:00Z"));
    expect(firstFireTime({ at: "2026-06-01T11:56:00Z" }, now)).toBe(now);
  });

  it("rejects an `at` more than 300 s in the past or too far ahead, naming the field", () => {
    const past = problemOf(() => firstFireTime({ at: "2026-06-01T11:54:59Z" }, now));
    expect(past.status).toBe(400);
    expect(past.errors?.[0]?.path).toBe("schedule.at");
    const ahead = new Date(now + (LIMITS.maxScheduleAheadSeconds + 60) * 1000).toISOString();
    const far = problemOf(() => firstFireTime({ at: ahead }, now, "jobs[4].schedule"));
    expect(far.errors?.[0]?.path).toBe("jobs[4].schedule.at");
  });

  it("lists the next N cron fire times in order", () => {
    expect(
      previewFireTimes({ cron: "0 */6 * * *" }, now, 5).map((t) => new Date(t).toISOString()),
    ).toEqual([
      "2026-06-01T18:00:00.000Z",
      "2026-06-02T00:00:00.000Z",
      "2026-06-02T06:00:00.000Z",
      "2026-06-02T12:00:00.000Z",
      "2026-06-02T18:00:00.000Z",
    ]);
  });
});

describe("shortestCronIntervalSeconds", () => {
  const now = ms("2026-06-01T12:00:00Z");

  it("measures minute, second and irregular expressions", () => {
    expect(shortestCronIntervalSeconds("*/5 * * * *", "UTC", now)).toBe(300);
    expect(shortestCronIntervalSeconds("*/10 * * * * *", "UTC", now)).toBe(10);
    expect(shortestCronIntervalSeconds("0 9,17 * * *", "UTC", now)).toBe(8 * 3600);
  });

  it("sees the 23-hour day of a spring-forward", () => {
    const springDay = ms("2026-03-26T00:00:00Z");
    expect(shortestCronIntervalSeconds("30 2 * * *", "Europe/Berlin", springDay, 8)).toBe(
      23 * 3600,
    );
  });
});

describe("invalid expressions", () => {
  it("rejects an out-of-range field at schedule.cron", () => {
    const p = problemOf(() => assertCron("61 * * * *", "UTC"));
    expect(p.status).toBe(400);
    expect(p.errors).toEqual([{ path: "schedule.cron", message: expect.any(String) }]);
  });

  it("rejects 7 fields and 4 fields, saying how many were given", () => {
    const seven = problemOf(() => assertCron("0 0 0 * * * 2026", "UTC"));
    expect(seven.errors?.[0]?.path).toBe("schedule.cron");
    expect(seven.errors?.[0]?.message).toContain("got 7");
    expect(problemOf(() => assertCron("0 0 * *", "UTC")).errors?.[0]?.message).toContain("got 4");
  });

  it("rejects garbage and impossible dates", () => {
    expect(problemOf(() => assertCron("every monday", "UTC")).errors?.[0]?.path).toBe(
      "schedule.cron",
    );
    expect(problemOf(() => assertCron("0 0 30 2 *", "UTC")).errors?.[0]?.path).toBe(
      "schedule.cron",
    );
  });

  it("rejects an unknown time zone at schedule.timezone", () => {
    expect(problemOf(() => assertCron("0 3 * * *", "Mars/Olympus")).errors?.[0]?.path).toBe(
      "schedule.timezone",
    );
    expect(problemOf(() => assertTimeZone("Europe/Atlantis", "x.timezone")).errors).toEqual([
      { path: "x.timezone", message: expect.stringContaining("Europe/Atlantis") },
    ]);
  });

  it("names the path under a given prefix", () => {
    expect(problemOf(() => assertCron("61 * * * *", "UTC", "jobs[2].schedule")).errors).toEqual([
      { path: "jobs[2].schedule.cron", message: expect.any(String) },
    ]);
  });

  it("raises the problem from nextCronTime and previousCronTime too", () => {
    expect(problemOf(() => nextCronTime("* * *", "UTC", 0)).errors?.[0]?.path).toBe(
      "schedule.cron",
    );
    expect(problemOf(() => previousCronTime("99 * * * *", "UTC", 0)).status).toBe(400);
  });
});

describe("time zone names", () => {
  it("canonicalises IANA names in any case, and UTC", () => {
    expect(canonicalTimeZone("europe/berlin")).toBe("Europe/Berlin");
    expect(canonicalTimeZone("AMERICA/NEW_YORK")).toBe("America/New_York");
    expect(canonicalTimeZone("US/Eastern")).toBe("America/New_York");
    expect(canonicalTimeZone("utc")).toBe("UTC");
    expect(canonicalTimeZone("Etc/UTC")).toBe("UTC");
    expect(canonicalTimeZone("Australia/Lord_Howe")).toBe("Australia/Lord_Howe");
  });

  it("refuses offsets and one-word abbreviations at the given path", () => {
    for (const name of ["EST", "+02:00", "-0500", "CET", "GMT", "Z", "Europe/Atlantis", ""]) {
      expect(canonicalTimeZone(name), name).toBeNull();
      expect(problemOf(() => assertTimeZone(name, "schedule.timezone")).errors, name).toEqual([
        { path: "schedule.timezone", message: expect.stringContaining("IANA") },
      ]);
    }
    expect(() => assertTimeZone("europe/berlin", "schedule.timezone")).not.toThrow();
  });

  it("rejects EST and +02:00 in a job with a 400 at schedule.timezone", async () => {
    const tenant = await createTenant();
    for (const timezone of ["EST", "+02:00"]) {
      const response = await call("/v1/jobs", {
        token: tenant.token,
        body: jobBody({ schedule: { cron: "0 3 * * *", timezone } }),
      });
      await expectProblem(response, 400, ["schedule.timezone"]);
    }
  });

  it("stores and previews the canonical name of a zone given in another case", async () => {
    const tenant = await createTenant();
    const job = await callJson<{ schedule: { timezone: string } }>(
      "/v1/jobs",
      {
        token: tenant.token,
        body: jobBody({ schedule: { cron: "0 3 * * *", timezone: "europe/berlin" } }),
      },
      201,
    );
    expect(job.schedule.timezone).toBe("Europe/Berlin");
    const preview = await callJson<{ timezone: string }>(
      "/v1/schedules/preview",
      { token: tenant.token, body: { schedule: { cron: "0 3 * * *", timezone: "utc" } } },
      200,
    );
    expect(preview.timezone).toBe("UTC");
  });
});
