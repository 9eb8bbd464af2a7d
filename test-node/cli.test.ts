/**
 * The CLI as a person or a script runs it: a child process of bin/edge-scheduler.js against the
 * running `npm run dev`, reading its admin token from the .dev.vars that `npm run dev` wrote.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { cli, cliJson, tenantToken } from "./support/cli-runner.ts";
import { ROOT } from "./support/dev-system.ts";
import { deliveriesAt, sinkUrl, uniqueId, waitFor } from "./support/fixtures.ts";

describe("npm run dev (two commands, nothing else)", () => {
  it("generated .dev.vars with an admin token, printed it, and serves a working system", async () => {
    const token = inject("adminToken");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(inject("devOutput")).toContain(`ADMIN_TOKEN=${token}`);
    const devVars = await readFile(join(inject("devDir"), ".dev.vars"), "utf8");
    expect(devVars).toContain(`ADMIN_TOKEN=${token}`);
    const health = await cli(["health"]);
    expect(health).toMatchObject({ code: 0, stdout: "ok, ready\n" });
  });
});

describe("edge-scheduler", () => {
  it("creates a tenant and a job, lists it, triggers it; the run succeeds at the sink", async () => {
    const human = await cli(["tenants", "create", "--name", "Human", "--id", uniqueId("cli")]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/export SCHEDULER_TOKEN='sched\.[^']+'/);
    expect(human.stdout).toMatch(/signing secret\s+whsec_/);
    const humanId = /^id\s+(\S+)/m.exec(human.stdout)?.[1] as string;
    const usage = await cliJson(["tenants", "usage", humanId]);
    expect(usage).toMatchObject({ tenant_id: humanId, runs_in_flight: 0, dead_letters: 0 });
    expect((await cli(["tenants", "usage", humanId])).stdout).toMatch(/429s \(last hour\)\s+0/);

    const token = await tenantToken();
    const url = sinkUrl();
    const job = await cliJson(
      [
        "jobs",
        "create",
        "--target",
        url,
        "--cron",
        "0 3 * * *",
        "--timezone",
        "Europe/Berlin",
        "--name",
        "cli-job",
        "--body",
        '{"from":"cli"}',
        "--header",
        "X-Team: ops",
        "--metadata",
        "owner=cli",
      ],
      token,
    );
    expect(job).toMatchObject({
      name: "cli-job",
      status: "active",
      schedule: { cron: "0 3 * * *", timezone: "Europe/Berlin" },
      target: { url, headers: { "X-Team": "ops" }, body: { from: "cli" } },
      metadata: { owner: "cli" },
    });

    const table = await cli(["jobs", "list"], { token });
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trim().split("\n");
    expect(header).toMatch(/^ID\s+NAME\s+STATUS\s+PRIORITY\s+SCHEDULE\s+NEXT RUN/);
    expect(row).toContain(job.id);
    expect(row).toContain("cli-job");
    const page = await cliJson(["jobs", "list"], token);
    expect(page).toEqual({ data: [job], next_cursor: null });

    const shown = await cli(["jobs", "get", job.id], { token });
    expect(shown.stdout).toMatch(/schedule\s+cron 0 3 \* \* \* Europe\/Berlin/);

    const run = await cliJson(["jobs", "trigger", job.id], token);
    expect(run).toMatchObject({ job_id: job.id, trigger: "manual" });
    const done = await waitFor(async () => {
      const detail = await cliJson(["runs", "get", run.id], token);
      return detail.status === "succeeded" && detail;
    }, "the triggered run to succeed");
    expect(done.attempts).toHaveLength(1);
    const [delivery] = await deliveriesAt(url);
    expect(delivery?.body).toBe('{"from":"cli"}');
    expect(delivery?.headers["x-team"]).toBe("ops");

    const runText = await cli(["runs", "get", run.id], { token });
    expect(runText.stdout).toMatch(/status\s+succeeded/);
    expect(runText.stdout).toMatch(/#\s+OUTCOME\s+STATUS/);
    const runs = await cli(["runs", "list", "--job", job.id], { token });
    expect(runs.stdout).toContain(run.id);
  });

  it("replays dead letters (--all) and the replayed run succeeds", async () => {
    const token = await tenantToken();
    const job = await cliJson(
      ["jobs", "create", "--target", sinkUrl(undefined, "fail_times=1"), "--max-attempts", "1"],
      token,
    );
    const dead = await waitFor(async () => {
      const page = await cliJson(["dead-letters", "list"], token);
      return page.data[0];
    }, "a dead letter");
    expect(dead).toMatchObject({ job_id: job.id, status: "dead" });
    const listed = await cli(["dead-letters", "list"], { token });
    expect(listed.stdout).toContain(dead.id);

    const replayed = await cliJson(["dead-letters", "replay", "--all"], token);
    expect(replayed.failed).toEqual([]);
    expect(replayed.data.map((r: { id: string }) => r.id)).toEqual([dead.id]);
    await waitFor(
      async () => (await cliJson(["runs", "get", dead.id], token)).status === "succeeded",
      "the replayed run to succeed",
    );
    expect((await cliJson(["dead-letters", "list"], token)).data).toEqual([]);
    const none = await cli(["dead-letters", "replay", "--all"], { token });
    expect(none).toMatchObject({ code: 0, stdout: "no dead letters\n" });
  });

  it("pauses, resumes and cancels several jobs at once", async () => {
    const token = await tenantToken();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (await cliJson(["jobs", "create", "--target", sinkUrl(), "--cron", "0 3 * * *"], token)).id,
      );
    const paused = await cliJson(["jobs", "pause", ...ids], token);
    expect(paused.data.map((j: { status: string }) => j.status)).toEqual([
      "paused",
      "paused",
      "paused",
    ]);
    const mixed = await cli(["jobs", "resume", ids[0] as string, "job_missing", "--json"], {
      token,
    });
    expect(mixed.code).toBe(2);
    const report = JSON.parse(mixed.stdout);
    expect(report.data).toHaveLength(1);
    expect(report.failed).toEqual([
      expect.objectContaining({
        id: "job_missing",
        problem: expect.objectContaining({ status: 404 }),
      }),
    ]);
    const cancelled = await cli(["jobs", "cancel", ...ids], { token });
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout.trim().split("\n")).toHaveLength(3);
    expect(cancelled.stderr).toContain("cancelling jobs: 3 done, 0 failed");
  });

  it("creates jobs from a file in batches; a refused batch names the entry and --from resumes", async () => {
    const token = await tenantToken();
    const dir = join(tmpdir(), uniqueId("jobs"));
    const file = `${dir}.json`;
    const jobs = Array.from({ length: 25 }, (_, i) => ({
      name: `bulk ${i}`,
      schedule: { cron: "0 3 * * *" },
      target: { type: "http", url: sinkUrl() },
    }));
    (jobs[12] as { target: { url: string } }).target.url = "not a url";
    await writeFile(file, JSON.stringify(jobs));
    try {
      const refused = await cli(["jobs", "create", "--file", file, "--batch-size", "10"], {
        token,
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`${file}[12].target.url`);
      expect(refused.stderr).toContain("--from 10");
      expect((await cliJson(["jobs", "list", "--all"], token)).data).toHaveLength(10);

      (jobs[12] as { target: { url: string } }).target.url = sinkUrl();
      await writeFile(file, JSON.stringify({ jobs }));
      const rest = await cliJson(
        ["jobs", "create", "--file", file, "--batch-size", "10", "--from", "10"],
        token,
      );
      expect(rest.created).toBe(15);
      const all = await cliJson(["jobs", "list", "--all", "--limit", "7"], token);
      expect(all.data.map((j: { name: string }) => j.name)).toEqual(jobs.map((j) => j.name));
    } finally {
      await rm(file, { force: true });
    }
  });

  it("lists and drains pull workers", async () => {
    const token = await tenantToken();
    const pool = uniqueId("pool");
    const claimed = await fetch(`${inject("baseUrl")}/v1/workers/claim`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ worker_id: "cli-w1", pools: [pool] }),
    });
    expect(claimed.status).toBe(200);
    const listed = await cli(["workers", "list"], { token });
    expect(listed.stdout).toMatch(/^ID\s+STATE\s+POOLS/);
    expect(listed.stdout).toMatch(new RegExp(`cli-w1\\s+active\\s+${pool}`));
    const drained = await cliJson(["workers", "drain", "cli-w1"], token);
    expect(drained).toMatchObject({ id: "cli-w1", state: "draining" });
    expect((await cliJson(["workers", "list"], token)).data[0].state).toBe("draining");
    expect((await cli(["workers", "drain", "nobody"], { token })).code).toBe(2);
  });

  it("issues a worker token limited to pools (--pools); its claims outside them are refused", async () => {
    const tenant = await cliJson(["tenants", "create", "--name", "Pools", "--id", uniqueId("cli")]);
    const issued = await cliJson([
      "tokens",
      "issue",
      tenant.id,
      "--scope",
      "worker",
      "--pools",
      "video,audio",
    ]);
    expect(issued).toMatchObject({ scope: "worker", pools: ["video", "audio"] });
    const human = await cli([
      "tokens",
      "issue",
      tenant.id,
      "--scope",
      "worker",
      "--pools",
      "video",
      "--pools",
      "audio",
    ]);
    expect(human.stdout).toMatch(/^pools\s+video, audio$/m);
    const claim = (pools: string[]) =>
      fetch(`${inject("baseUrl")}/v1/workers/claim`, {
        method: "POST",
        headers: { authorization: `Bearer ${issued.token}`, "content-type": "application/json" },
        body: JSON.stringify({ worker_id: "pools-w1", pools }),
      });
    expect((await claim(["video"])).status).toBe(200);
    expect((await claim(["billing"])).status).toBe(403);
    // Pools on a write token are refused by the API, which names the field.
    const refused = await cli(["tokens", "issue", tenant.id, "--pools", "video"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("pools");
  });

  it("previews schedules and shows metrics, as text or JSON", async () => {
    const token = await tenantToken();
    const preview = await cliJson(
      [
        "schedules",
        "preview",
        "--cron",
        "30 2 * * *",
        "--timezone",
        "Europe/Berlin",
        "--count",
        "2",
      ],
      token,
    );
    expect(preview.timezone).toBe("Europe/Berlin");
    expect(preview.fire_times).toHaveLength(2);
    const metrics = await cli(["metrics"], { token });
    expect(metrics.stdout).toContain("# TYPE scheduler_runs gauge");
    const samples = await cliJson(["metrics", "--filter", "in_flight"], token);
    expect([...new Set(samples.map((s: { name: string }) => s.name))].sort()).toEqual([
      // (no key) and (other keys), always there (docs/observability.md)
      "scheduler_flow_key_runs_in_flight",
      "scheduler_max_in_flight",
      "scheduler_runs_in_flight",
    ]);
    expect((await cli(["metrics", "--admin"])).stdout).toContain("scheduler_tenants");
    expect((await cliJson(["stats", "--window", "day"], token)).window).toBe("day");
    expect((await cli(["stats"], { token })).code).toBe(0);
  });

  it("exits 2 on a 4xx problem and prints each failing field; 1 on usage; 3 without an answer", async () => {
    const token = await tenantToken();
    const invalid = await cli(["jobs", "create", "--target", "not a url", "--cron", "61 * * * *"], {
      token,
    });
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toBe("");
    expect(invalid.stderr).toContain("400 Invalid request");
    expect(invalid.stderr).toMatch(/^ {2}schedule\.cron: /m);
    expect(invalid.stderr).toMatch(/^ {2}target\.url: /m);

    const asJson = await cli(["jobs", "create", "--target", "not a url", "--json"], { token });
    expect(asJson.code).toBe(2);
    const problem = JSON.parse(asJson.stderr);
    expect(problem).toMatchObject({ status: 400, request: "POST /v1/jobs" });
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain("target.url");

    expect((await cli(["jobs", "get", "job_missing"], { token })).code).toBe(2);
    expect((await cli(["jobs", "list"], { token: "sched.nobody.0000000000000000.x" })).code).toBe(
      2,
    );
    expect((await cli(["tenants", "create", "--name", "x", "--token", "wrong"])).code).toBe(2);

    for (const usage of [
      ["jobs", "create"],
      ["jobs", "list", "--bogus"],
      ["jobs", "list", "--limit", "0"],
      ["frobnicate"],
      ["jobs", "get"],
    ]) {
      const ran = await cli(usage, { token });
      expect(ran.code, usage.join(" ")).toBe(1);
      expect(ran.stderr).toMatch(/^error: /);
    }
    // No tenant token at all: a usage error that says where a token comes from.
    const tokenless = await cli(["jobs", "list"]);
    expect(tokenless.code).toBe(1);
    expect(tokenless.stderr).toContain("SCHEDULER_TOKEN");

    const unreachable = await cli(["jobs", "list", "--url", "http://127.0.0.1:1"], { token });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain("no answer");
  });

  it("resolves with npx inside the project after npm ci", async () => {
    const ran = await cli(["--version"], {
      cwd: ROOT,
      command: ["npx", "--no-install", "edge-scheduler"],
    });
    expect(ran).toMatchObject({ code: 0, stdout: "edge-scheduler 0.1.0\n" });
    const help = await cli(["--help"], { cwd: ROOT });
    expect(help.stdout).toContain("Exit codes: 0 done, 1 usage error, 2 the API refused");
    expect(help.stdout).toContain("dead-letters replay");
  });
});
