/**
 * The CLI's part of a first run: one field of an answer for a shell variable (`--field`), waiting
 * for a run and seeing its attempts and its console page (`runs get --wait`), and fire times in the
 * schedule's zone beside UTC with the DST days marked.
 */
import { describe, expect, inject, it } from "vitest";
import { cli, cliJson, tenantToken } from "./support/cli-runner.ts";
import { sinkUrl, uniqueId } from "./support/fixtures.ts";

describe("--field", () => {
  it("prints one field of the answer on stdout and what a person reads on stderr", async () => {
    const id = uniqueId("field");
    const ran = await cli(["tenants", "create", "--id", id, "--name", "Field", "--field", "token"]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(new RegExp(`^sched\\.${id}\\.[^\\s]+\\n$`));
    expect(ran.stderr).toMatch(/signing secret\s+whsec_\S+\s+\(shown once\)/);
    const job = await cli(
      ["jobs", "create", "--target", sinkUrl(), "--cron", "0 3 * * *", "--field", "schedule.cron"],
      { token: ran.stdout.trim() },
    );
    expect(job.stdout).toBe("0 3 * * *\n");
  });

  it("refuses a field the answer does not have, and --field with --json", async () => {
    const token = await tenantToken();
    const missing = await cli(["jobs", "list", "--field", "nope"], { token });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("the answer has no nope (its fields: data, next_cursor)");
    const both = await cli(["jobs", "list", "--field", "data", "--json"], { token });
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("give --json or --field, not both");
  });
});

describe("runs get --wait", () => {
  it("waits for a job's first run, then shows its attempts, its job's name and its console page", async () => {
    const token = await tenantToken();
    const created = await cli(
      [
        "jobs",
        "create",
        "--name",
        "hello",
        "--target",
        sinkUrl(),
        "--delay",
        "2s",
        "--field",
        "id",
      ],
      { token },
    );
    const job = created.stdout.trim();
    expect(job).toMatch(/^job_/);
    const ran = await cli(["runs", "get", "--job", job, "--wait"], { token });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^status\s+succeeded$/m);
    expect(ran.stdout).toMatch(new RegExp(`^job\\s+hello \\(${job}\\)$`, "m"));
    expect(ran.stdout).toMatch(/^1\s+succeeded\s+200\s/m);
    const runId = /^id\s+(run_\S+)$/m.exec(ran.stdout)?.[1];
    expect(ran.stdout).toContain(`in the console  ${inject("baseUrl")}/console/runs/${runId}`);

    const triggered = await cli(["jobs", "trigger", job, "--field", "id"], { token });
    const again = await cliJson(["runs", "get", triggered.stdout.trim(), "--wait"], token);
    expect(again).toMatchObject({ status: "succeeded", trigger: "manual", job_id: job });
  });

  it("gives up after --wait-seconds with exit 3, saying what it waited for", async () => {
    const token = await tenantToken();
    const job = (await cliJson(["jobs", "create", "--target", sinkUrl(), "--delay", "1h"], token))
      .id as string;
    const ran = await cli(["runs", "get", "--job", job, "--wait", "--wait-seconds", "1"], {
      token,
    });
    expect(ran.code).toBe(3);
    expect(ran.stderr).toContain(`error: job ${job} has no run yet after 1 s`);
    const now = await cli(["runs", "get", "--job", job], { token });
    expect(now.code).toBe(1);
    expect(now.stderr).toContain("has no run yet (--wait waits for its first)");
  });
});

describe("previews", () => {
  it("show each fire time in the zone and in UTC, and mark the day the clocks change", async () => {
    const token = await tenantToken();
    const args = ["--cron", "30 2 * 3 0", "--timezone", "Europe/Berlin", "--count", "5"];
    const preview = await cli(["schedules", "preview", ...args], { token });
    expect(preview.code).toBe(0);
    const [header, ...lines] = preview.stdout.trim().split("\n");
    expect(header).toMatch(/^Europe\/Berlin\s+UTC$/);
    expect(lines).toHaveLength(5);
    // Five Sundays of March hold its last, when 02:30 does not exist: it runs at 03:30.
    const dst = lines.filter((line) => line.includes("DST change"));
    expect(dst).toHaveLength(1);
    expect(dst[0]).toMatch(
      /^Sun \d{4}-03-\d\d 03:30:00 UTC\+2\s+\d{4}-03-\d\d 01:30:00 UTC\s+DST change: UTC\+1 → UTC\+2$/,
    );

    const job = await cliJson(
      ["jobs", "create", "--target", sinkUrl(), ...args.slice(0, 4)],
      token,
    );
    const jobPreview = await cli(["jobs", "preview", job.id, "--count", "5"], { token });
    expect(jobPreview.stdout).toBe(preview.stdout);
  });
});
