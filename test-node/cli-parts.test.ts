/** The CLI's and tools' parts that need no server: flags to jobs, tables, the progress bar, config. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { batches } from "../cli/commands/jobs.ts";
import { parsePrometheus, showFireTimes } from "../cli/commands/other.ts";
import { resolveSettings } from "../cli/config.ts";
import { jobFromFlags, parseDuration, patchFromFlags } from "../cli/job-input.ts";
import { COMMANDS, GLOBAL_OPTIONS, main } from "../cli/main.ts";
import { describeError, table, UsageError } from "../cli/output.ts";
import { forEachLimited, Progress } from "../cli/progress.ts";
import {
  parseRetryAfter,
  SchedulerConnectionError,
  SchedulerProblem,
} from "../src/client/index.ts";
import { ensureDevVars } from "../tools/dev.ts";

const scratch = await mkdtemp(join(tmpdir(), "cli-parts-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("commands", () => {
  it("have unique names and summaries, and no flag shadows a global one", () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const command of COMMANDS) {
      expect(command.summary, command.name).toBeTruthy();
      for (const option of Object.keys(command.options ?? {}))
        expect(GLOBAL_OPTIONS[option], `${command.name} --${option}`).toBeUndefined();
    }
    for (const noun of ["tenants", "tokens", "jobs", "runs", "dead-letters", "schedules"])
      expect(
        names.some((n) => n.startsWith(`${noun} `)),
        noun,
      ).toBe(true);
  });

  it("print help for every command without a server", async () => {
    for (const command of COMMANDS) {
      let out = "";
      const code = await main([...command.name.split(" "), "--help"], {
        stdout: { write: (t: string) => (out += t) },
        stderr: { write: () => true },
        env: {},
        cwd: scratch,
      });
      expect(code).toBe(0);
      expect(out).toContain(`Usage: edge-scheduler ${command.name}`);
    }
  });
});

describe("jobs from flags", () => {
  it("builds the job the API expects, leaving defaults to it", () => {
    expect(
      jobFromFlags(
        {
          target: "https://example.com/hook",
          cron: "0 3 * * *",
          timezone: "Europe/Berlin",
          header: ["X-A: 1", "X-B:two words"],
          body: '{"a":[1,2]}',
          "max-attempts": "5",
          priority: "high",
          metadata: ["team=ops"],
        },
        scratch,
      ),
    ).toEqual({
      schedule: { cron: "0 3 * * *", timezone: "Europe/Berlin" },
      target: {
        type: "http",
        url: "https://example.com/hook",
        headers: { "X-A": "1", "X-B": "two words" },
        body: { a: [1, 2] },
      },
      priority: "high",
      retry: { max_attempts: 5 },
      metadata: { team: "ops" },
    });
    expect(jobFromFlags({ target: "https://e.com", delay: "5m" }, scratch).schedule).toEqual({
      delay_seconds: 300,
    });
  });

  it("refuses contradictions before any request", () => {
    const bad: Record<string, string | string[]>[] = [
      {},
      { target: "https://e.com", cron: "* * * * *", at: "2030-01-01T00:00:00Z" },
      { target: "https://e.com", timezone: "UTC" },
      { target: "https://e.com", body: "{not json" },
      { target: "https://e.com", header: ["no colon"] },
      { target: "https://e.com", priority: "urgent" },
      { target: "https://e.com", "max-attempts": "two" },
    ];
    for (const values of bad) expect(() => jobFromFlags(values, scratch)).toThrow(UsageError);
    expect(parseDuration("2h", "delay")).toBe(7200);
    expect(() => parseDuration("soon", "delay")).toThrow(UsageError);
  });

  it("reads the body from @file and merges target changes into the current target", async () => {
    await writeFile(join(scratch, "body.json"), '{"from":"file"}');
    const patch = patchFromFlags({ body: "@body.json", now: true }, scratch, {
      type: "http",
      url: "https://e.com/x",
      method: "PUT",
      headers: { "X-Keep": "1" },
    });
    expect(patch).toEqual({
      schedule: null,
      target: {
        type: "http",
        url: "https://e.com/x",
        method: "PUT",
        headers: { "X-Keep": "1" },
        body: { from: "file" },
      },
    });
  });

  it("splits a file's jobs into batches by count and by size", () => {
    const small = Array.from({ length: 1050 }, () => ({
      target: { type: "http" as const, url: "https://e.com" },
    }));
    expect(batches(small, 500).map((b) => [b.start, b.jobs.length])).toEqual([
      [0, 500],
      [500, 500],
      [1000, 50],
    ]);
    const big = Array.from({ length: 10 }, () => ({
      target: { type: "http" as const, url: "https://e.com", body: "x".repeat(1024 * 1024) },
    }));
    const sized = batches(big, 1000);
    expect(sized.length).toBeGreaterThan(1);
    expect(sized.reduce((n, b) => n + b.jobs.length, 0)).toBe(10);
  });
});

describe("output", () => {
  it("aligns tables and cuts long cells", () => {
    const text = table(
      [
        { id: "a", url: "x".repeat(60) },
        { id: "bbb", url: null },
      ],
      [
        ["ID", (r) => r.id],
        ["URL", (r) => r.url],
      ],
    );
    expect(text.split("\n")).toEqual(["ID   URL", `a    ${"x".repeat(47)}…`, "bbb  -"]);
  });

  it("draws a progress bar only on a terminal, and runs work with bounded concurrency", async () => {
    const writes: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (t: string) => writes.push(t) };
    const bar = new Progress(tty, 4, "replaying");
    bar.advance(2);
    bar.advance(2, 1);
    bar.finish();
    const drawn = writes.join("");
    expect(drawn).toContain("replaying [");
    expect(drawn).toContain("4/4 100% 1 failed");
    expect(new Progress(tty, 10, "x").render(60)).toMatch(/^x \[-+\] 0\/10 0%$/);

    const piped: string[] = [];
    const quiet = new Progress({ write: (t: string) => piped.push(t) }, 4, "replaying");
    quiet.advance(4);
    quiet.finish();
    expect(piped).toEqual([]);

    let running = 0;
    let peak = 0;
    const results = await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (n === 4) throw new Error("four");
      return n * 10;
    });
    expect(peak).toBe(3);
    expect(results.map((r) => (r.ok ? r.value : "failed"))).toEqual([
      10,
      20,
      30,
      "failed",
      50,
      60,
      70,
    ]);
  });

  it("parses Prometheus text", () => {
    expect(
      parsePrometheus(
        '# HELP x y\nscheduler_runs{tenant="a",status="dead"} 2\nscheduler_runs_in_flight{tenant="a"} 0\nbare 1.5\n',
      ),
    ).toEqual([
      { name: "scheduler_runs", labels: { tenant: "a", status: "dead" }, value: 2 },
      { name: "scheduler_runs_in_flight", labels: { tenant: "a" }, value: 0 },
      { name: "bare", labels: {}, value: 1.5 },
    ]);
  });
});

describe("configuration", () => {
  it("takes the admin token from .dev.vars only for a local URL", async () => {
    const dir = await mkdtemp(join(scratch, "dev-"));
    await writeFile(join(dir, ".dev.vars"), 'ADMIN_TOKEN="local-secret"\n');
    expect(resolveSettings("admin", {}, {}, dir)).toEqual({
      baseUrl: "http://localhost:8787",
      token: "local-secret",
    });
    expect(() =>
      resolveSettings("admin", {}, { SCHEDULER_URL: "https://scheduler.example.com" }, dir),
    ).toThrow(UsageError);
    expect(
      resolveSettings("admin", { token: "flag" }, { SCHEDULER_ADMIN_TOKEN: "env" }, dir).token,
    ).toBe("flag");
    expect(resolveSettings("tenant", {}, { SCHEDULER_TOKEN: "t" }, dir).token).toBe("t");
    expect(() => resolveSettings("tenant", {}, {}, dir)).toThrow(/SCHEDULER_TOKEN/);
    expect(() => resolveSettings("none", { url: "nope" }, {}, dir)).toThrow(/not a URL/);
  });

  it("npm run dev's .dev.vars: generated once, then kept; added to a file without one; a signing key added where missing", async () => {
    const dir = await mkdtemp(join(scratch, "vars-"));
    const first = ensureDevVars(dir);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = ensureDevVars(dir);
    expect(again).toEqual({ ...first, created: false });
    expect(await readFile(join(dir, ".dev.vars"), "utf8")).toContain("ALLOW_INSECURE_TARGETS=true");

    const other = await mkdtemp(join(scratch, "vars-"));
    await writeFile(join(other, ".dev.vars"), "LOG_LEVEL=debug");
    const added = ensureDevVars(other);
    expect(added.created).toBe(true);
    expect(await readFile(join(other, ".dev.vars"), "utf8")).toMatch(
      new RegExp(
        `^LOG_LEVEL=debug\nADMIN_TOKEN=${added.token}\nTOKEN_SIGNING_KEY=[A-Za-z0-9_-]{43}\n$`,
      ),
    );
    expect(added.signingKeyAdded).toBe(false);
    expect(await readFile(join(dir, ".dev.vars"), "utf8")).toMatch(/^TOKEN_SIGNING_KEY=\S{43}$/m);

    // A file from before tenant tokens were signed keeps its admin token and gains a signing key.
    const older = await mkdtemp(join(scratch, "vars-"));
    await writeFile(join(older, ".dev.vars"), "ADMIN_TOKEN=kept\n");
    const upgraded = ensureDevVars(older);
    expect(upgraded).toMatchObject({ token: "kept", created: false, signingKeyAdded: true });
    expect(await readFile(join(older, ".dev.vars"), "utf8")).toMatch(
      /^ADMIN_TOKEN=kept\nTOKEN_SIGNING_KEY=[A-Za-z0-9_-]{43}\n$/,
    );
    expect(ensureDevVars(older).signingKeyAdded).toBe(false);
  });

  it("reads Retry-After as seconds or as a date", () => {
    expect(parseRetryAfter("3", 0)).toBe(3);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
  });
});

describe("messages", () => {
  it("print a validation problem's fields once, not again in its detail", () => {
    const problem = new SchedulerProblem(
      {
        type: "https://scheduler.dev/problems/validation",
        title: "Invalid request",
        status: 400,
        detail: "schedule.cron: hour must be 0-23, got 25; target.url: Invalid URL",
        errors: [
          { path: "schedule.cron", message: "hour must be 0-23, got 25" },
          { path: "target.url", message: "Invalid URL" },
        ],
      },
      "POST /v1/jobs",
    );
    expect(describeError(problem)).toBe(
      "POST /v1/jobs: 400 Invalid request\n  schedule.cron: hour must be 0-23, got 25\n  target.url: Invalid URL",
    );
    const conflict = new SchedulerProblem(
      { type: "x", title: "Conflict", status: 409, detail: "The job is cancelled." },
      "POST /v1/jobs/j/trigger",
    );
    expect(describeError(conflict)).toBe(
      "POST /v1/jobs/j/trigger: 409 Conflict: The job is cancelled.",
    );
  });

  it("name the address tried without an answer; a remote one gets no `npm run dev` advice", () => {
    const cause = Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.example"), {
      code: "ENOTFOUND",
    });
    const error = new SchedulerConnectionError(
      "GET /v1/jobs",
      new TypeError("fetch failed", { cause }),
    );
    const text = describeError(error, "https://nowhere.example");
    expect(text).toBe(
      "no answer from https://nowhere.example (GET /v1/jobs: the host name does not resolve).\n" +
        "Check that the address is right and reachable, or point the CLI at another scheduler with SCHEDULER_URL (or --url).",
    );
    expect(describeError(error, "http://localhost:8787")).toContain("npm run dev");
  });
});

describe("fire times", () => {
  it("show a UTC schedule in one column, a zoned one beside UTC with its DST day marked", () => {
    expect(showFireTimes({ timezone: "UTC", fire_times: ["2027-03-28T01:30:00.000Z"] })).toBe(
      "UTC\nSun 2027-03-28 01:30:00 UTC",
    );
    expect(
      showFireTimes({
        timezone: "America/New_York",
        fire_times: ["2027-03-13T07:30:00.000Z", "2027-03-14T07:30:00.000Z"],
      }).split("\n"),
    ).toEqual([
      "America/New_York               UTC",
      "Sat 2027-03-13 02:30:00 UTC-5  2027-03-13 07:30:00 UTC",
      "Sun 2027-03-14 03:30:00 UTC-4  2027-03-14 07:30:00 UTC  DST change: UTC-5 → UTC-4",
    ]);
    expect(showFireTimes({ timezone: "UTC", fire_times: [] })).toContain("does not run again");
  });
});
