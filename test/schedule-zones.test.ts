/** Cron in zones with unusual DST (30-minute shifts, many zones), and the bounded cost of evaluation. */
import { CronExpression, CronExpressionParser } from "cron-parser";
import { describe, expect, it, vi } from "vitest";
import { nextCronTime, previousCronTime } from "../src/domain/schedule";
import { zoneWork } from "../src/domain/zoned-time";
import { fireTimes, iso, ms } from "./support/schedule";

describe("zones with a 30-minute DST shift", () => {
  // Australia/Lord_Howe: 02:00 (+11) → 01:30 (+10:30) at 2026-04-04T15:00Z, and
  // 02:00 (+10:30) → 02:30 (+11) at 2026-10-03T15:30Z. Pacific/Chatham: 03:45 (+13:45) → 02:45
  // (+12:45) at 2026-04-04T14:00Z, and 02:45 → 03:45 at 2026-09-26T14:00Z.
  const LORD_HOWE = "Australia/Lord_Howe";
  const CHATHAM = "Pacific/Chatham";

  it("never answers before the given instant after a 30-minute fall-back", () => {
    expect(iso(nextCronTime("0 * * * *", LORD_HOWE, ms("2026-04-04T14:20:00Z")))).toBe(
      "2026-04-04T15:30:00.000Z", // 02:00 (+10:30); cron-parser answered 14:00Z
    );
    expect(fireTimes("0 * * * *", LORD_HOWE, "2026-04-04T13:30:00Z", 3)).toEqual([
      "2026-04-04T14:00:00.000Z", // 01:00 (+11)
      "2026-04-04T15:30:00.000Z", // 02:00 (+10:30): 01:00 is not repeated, only 01:30-02:00
      "2026-04-04T16:30:00.000Z",
    ]);
  });

  it("walks a minute list through Chatham's fall-back without looping", () => {
    // cron-parser alternated 12:42Z and 12:59Z forever from here.
    expect(fireTimes("27/17 * * * *", CHATHAM, "2026-04-04T13:02:45.995Z", 6)).toEqual([
      "2026-04-04T13:42:00.000Z", // 03:27 (+13:45)
      "2026-04-04T13:59:00.000Z", // 03:44 (+13:45)
      "2026-04-04T14:42:00.000Z", // 03:27 again (+12:45): hour `*` follows elapsed time
      "2026-04-04T14:59:00.000Z", // 03:44 again
      "2026-04-04T15:42:00.000Z", // 04:27
      "2026-04-04T15:59:00.000Z",
    ]);
  });

  it("finds a daily time after a 30-minute fall-back with bounded work", () => {
    // These cost cron-parser's retry loop 8 s and 1.8 s of CPU.
    const cases: [cron: string, after: string, expected: string][] = [
      ["0 4 * * *", "2027-04-02T19:01:07Z", "2027-04-03T17:30:00.000Z"], // 04:00 (+10:30)
      ["0 3 * * *", "2026-04-04T12:00:00Z", "2026-04-04T16:30:00.000Z"], // 03:00 (+10:30)
    ];
    for (const [cron, after, expected] of cases) {
      const work = measureWork(() => nextCronTime(cron, LORD_HOWE, ms(after)));
      expect(iso(work.result), cron).toBe(expected);
      expect(work.parserSearches, cron).toBeLessThanOrEqual(4);
      expect(work.offsetLookups, cron).toBeLessThanOrEqual(100);
    }
  });

  it("shifts a time skipped by a 30-minute spring-forward by 30 minutes, the same day", () => {
    expect(iso(nextCronTime("0 2 * * *", LORD_HOWE, ms("2026-10-03T12:00:00Z")))).toBe(
      "2026-10-03T15:30:00.000Z", // 02:00 does not exist: 02:30 (+11); cron-parser skipped the day
    );
    expect(iso(nextCronTime("15 2 * * *", LORD_HOWE, ms("2026-10-03T12:00:00Z")))).toBe(
      "2026-10-03T15:45:00.000Z", // 02:15 → 02:45
    );
  });

  it("fires once when the shifted run lands on a real match, and collapses one gap's matches", () => {
    expect(fireTimes("0,30 2 * * *", LORD_HOWE, "2026-10-03T12:00:00Z", 3)).toEqual([
      "2026-10-03T15:30:00.000Z", // 02:00 shifted to 02:30 is the real 02:30: one run
      "2026-10-04T15:00:00.000Z",
      "2026-10-04T15:30:00.000Z",
    ]);
    expect(fireTimes("*/15 2 * * *", LORD_HOWE, "2026-10-03T12:00:00Z", 3)).toEqual([
      "2026-10-03T15:30:00.000Z", // 02:00 and 02:15 skipped: one run at 02:30, which also matches
      "2026-10-03T15:45:00.000Z", // 02:45
      "2026-10-04T15:00:00.000Z",
    ]);
  });

  it("fires at 02:00 in Chatham on its spring-forward day, when 02:00 still exists", () => {
    expect(iso(nextCronTime("0 2 * * *", CHATHAM, ms("2026-09-26T13:05:00Z")))).toBe(
      "2026-09-26T13:15:00.000Z", // 02:00 (+12:45); the jump is at 02:45
    );
    expect(iso(nextCronTime("0 3 * * *", CHATHAM, ms("2026-09-26T12:00:00Z")))).toBe(
      "2026-09-26T14:15:00.000Z", // 03:00 does not exist: 04:00 (+13:45)
    );
  });

  it("fires an hour-`*` expression in both instances of a repeated half hour", () => {
    expect(iso(nextCronTime("30 * * * *", LORD_HOWE, ms("2026-04-04T14:30:00Z")))).toBe(
      "2026-04-04T15:00:00.000Z", // the repeated 01:30 (+10:30)
    );
    expect(fireTimes("45 1 * * *", LORD_HOWE, "2026-04-04T12:00:00Z", 2)).toEqual([
      "2026-04-04T14:45:00.000Z", // fixed hour: the first 01:45 only
      "2026-04-05T15:15:00.000Z",
    ]);
  });

  it("keeps per-second expressions continuous across both changes", () => {
    expect(fireTimes("* * * * * *", LORD_HOWE, "2026-10-03T15:29:58Z", 3)).toEqual([
      "2026-10-03T15:29:59.000Z",
      "2026-10-03T15:30:00.000Z", // 02:30:00; the skipped 02:00:00 shifted is the same run
      "2026-10-03T15:30:01.000Z",
    ]);
    expect(fireTimes("*/1 * * * * *", LORD_HOWE, "2026-04-04T14:59:58Z", 3)).toEqual([
      "2026-04-04T14:59:59.000Z",
      "2026-04-04T15:00:00.000Z", // 01:30:00 again
      "2026-04-04T15:00:01.000Z",
    ]);
    expect(fireTimes("* * 1 * * *", LORD_HOWE, "2026-04-04T14:59:58Z", 2)).toEqual([
      "2026-04-04T14:59:59.000Z", // 01:59:59 (+11); hour 1 is fixed: no second pass
      "2026-04-05T14:30:00.000Z",
    ]);
    expect(iso(previousCronTime("* * * * * *", LORD_HOWE, ms("2026-04-04T15:30:00Z")))).toBe(
      "2026-04-04T15:29:59.000Z",
    );
  });

  it("keeps firing daily across Australia/Lord_Howe's April 2026 change (cron-parser alone stops)", () => {
    let after = Date.parse("2026-04-01T00:00:00Z");
    const fires: string[] = [];
    for (let i = 0; i < 6; i++) {
      const next = nextCronTime("0 2 * * *", "Australia/Lord_Howe", after);
      if (next === null) break;
      fires.push(new Date(next).toISOString());
      after = next;
    }
    expect(fires).toEqual([
      "2026-04-01T15:00:00.000Z",
      "2026-04-02T15:00:00.000Z",
      "2026-04-03T15:00:00.000Z",
      "2026-04-04T15:30:00.000Z",
      "2026-04-05T15:30:00.000Z",
      "2026-04-06T15:30:00.000Z",
    ]);
  });
});

describe("DST in more zones", () => {
  it("London: a skipped 01:30 runs at 02:30 BST, a repeated one at its first instance", () => {
    expect(fireTimes("30 1 * * *", "Europe/London", "2026-03-28T12:00:00Z", 2)).toEqual([
      "2026-03-29T01:30:00.000Z", // 02:30 BST
      "2026-03-30T00:30:00.000Z",
    ]);
    expect(fireTimes("30 1 * * *", "Europe/London", "2026-10-24T12:00:00Z", 2)).toEqual([
      "2026-10-25T00:30:00.000Z", // 01:30 BST; the 01:30 GMT repeat is skipped
      "2026-10-26T01:30:00.000Z",
    ]);
    expect(fireTimes("*/30 * * * *", "Europe/London", "2026-10-24T23:45:00Z", 5)).toEqual([
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T01:00:00.000Z", // 01:00 GMT, the repeat
      "2026-10-25T01:30:00.000Z",
      "2026-10-25T02:00:00.000Z",
    ]);
  });

  it("Sao Paulo 2018-19: midnight skipped, and 23:30 repeated", () => {
    expect(fireTimes("0 0 * * *", "America/Sao_Paulo", "2018-11-03T12:00:00Z", 2)).toEqual([
      "2018-11-04T03:00:00.000Z", // 00:00 does not exist: 01:00 (-02)
      "2018-11-05T02:00:00.000Z",
    ]);
    expect(fireTimes("30 23 * * *", "America/Sao_Paulo", "2019-02-16T12:00:00Z", 2)).toEqual([
      "2019-02-17T01:30:00.000Z", // the first 23:30 (-02)
      "2019-02-18T02:30:00.000Z",
    ]);
  });

  it("Kathmandu 1986: a 15-minute gap shifts 00:10 to 00:25, and 00:00 onto the real 00:15", () => {
    expect(iso(nextCronTime("10 0 * * *", "Asia/Kathmandu", ms("1985-12-31T00:00:00Z")))).toBe(
      "1985-12-31T18:40:00.000Z",
    );
    expect(fireTimes("0,15 0 * * *", "Asia/Kathmandu", "1985-12-31T00:00:00Z", 2)).toEqual([
      "1985-12-31T18:30:00.000Z", // one run for the shifted 00:00 and the real 00:15
      "1986-01-01T18:15:00.000Z",
    ]);
  });

  it("New York: the previous fire time inside the repeated hour is the first instance", () => {
    expect(
      iso(previousCronTime("30 1 * * *", "America/New_York", ms("2026-11-01T06:45:00Z"))),
    ).toBe("2026-11-01T05:30:00.000Z");
  });
});

/**
 * Runs `fn`, counting calls into cron-parser (parses and next/prev steps, spied on the library so
 * any implementation is measured) and time zone offset look-ups.
 */
function measureWork<T>(fn: () => T): { result: T; parserSearches: number; offsetLookups: number } {
  const spies = [
    vi.spyOn(CronExpressionParser, "parse"),
    vi.spyOn(CronExpression.prototype, "next"),
    vi.spyOn(CronExpression.prototype, "prev"),
  ];
  const lookups = zoneWork.offsetLookups;
  try {
    const result = fn();
    const parserSearches = spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    return { result, parserSearches, offsetLookups: zoneWork.offsetLookups - lookups };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe("previousCronTime after a fall-back costs the same however far the change is", () => {
  // Europe/Berlin falls back at 2026-10-25T01:00Z; the repeated hour ends at 02:00Z.
  const change = ms("2026-10-25T01:00:00Z");

  it("bounds cron-parser searches and offset look-ups for per-second expressions", () => {
    for (const cron of ["* * * * * *", "* * 2 * * *", "*/5 * 1-3 * * *"]) {
      for (const since of [1, 600, 3540, 3599, 3660, 7200]) {
        const before = change + since * 1000 + 500;
        const work = measureWork(() => previousCronTime(cron, "Europe/Berlin", before));
        expect(work.result, `${cron} at +${since}s`).not.toBeNull();
        expect(work.parserSearches, `${cron} at +${since}s`).toBeLessThanOrEqual(6);
        expect(work.offsetLookups, `${cron} at +${since}s`).toBeLessThanOrEqual(150);
      }
    }
  });

  it("answers per-second expressions by elapsed time, and fixed hours by their first pass", () => {
    const before = change + 59 * 60_000 + 500; // 02:59:00.5 CET, late in the repeat
    expect(iso(previousCronTime("* * * * * *", "Europe/Berlin", before))).toBe(
      "2026-10-25T01:59:00.000Z",
    );
    // Hour 2 is fixed: its seconds ran in the first pass, the last at 02:59:59 CEST.
    expect(iso(previousCronTime("* * 2 * * *", "Europe/Berlin", before))).toBe(
      "2026-10-25T00:59:59.000Z",
    );
  });
});
