/**
 * The web console in a real browser (headless Chromium) against the real system the Node tests
 * share (`npm run dev`: the Worker with its static assets, Durable Objects and Queues, delivering to
 * the HTTP sink on 127.0.0.1). Each test has its own tenant and browser context.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SchedulerProblem } from "../../src/client/index.ts";
import { adminClient, createTenant, deliveriesAt, sinkUrl, waitFor } from "../support/fixtures.ts";
import {
  launchBrowser,
  newPage,
  screenshot,
  scriptErrors,
  signIn,
  signInAsOperator,
  textMatches,
} from "./browser.ts";

let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const page of pages) expect(scriptErrors(page)).toEqual([]);
  await browser?.close();
});

async function open(viewport?: { width: number; height: number }) {
  const { page } = await newPage(browser, viewport);
  pages.push(page);
  return page;
}

describe("serving", () => {
  it("answers the page for every /console path with a strict CSP, and the assets beside it", async () => {
    const base = inject("baseUrl");
    for (const path of ["/console", "/console/", "/console/jobs/job_x/edit"]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(response.headers.get("content-security-policy")).toContain("form-action 'none'");
      expect(await response.text()).toContain('<script type="module" src="/console/app.js">');
    }
    const script = await fetch(`${base}/console/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${base}/console/console.css`)).headers.get("content-type")).toMatch(/css/);
    expect((await fetch(`${base}/console/missing.js`)).status).toBe(404);
  });
});

describe("the console in a browser", () => {
  it("signs in with a tenant token kept in sessionStorage only, refuses a wrong one at its field, and signs out", async () => {
    const { tenant } = await createTenant();
    const page = await open();
    // A deep link asks for the token, then opens what was asked for.
    await page.goto("/console/dead-letters");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Tenant token").fill(`${tenant.token}x`);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await textMatches(page.locator("#tenant-token-error"), /did not accept this token/);
    expect(await page.getByLabel("Tenant token").getAttribute("aria-invalid")).toBe("true");

    await page.getByLabel("Tenant token").fill(tenant.token);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Dead letters", level: 1 }).waitFor();
    await page.getByText("No dead letters.").waitFor();
    expect(await page.evaluate("document.activeElement?.id")).toBe("page-title");
    expect(page.url()).not.toContain(tenant.token);
    expect(await page.evaluate("document.cookie")).toBe("");
    expect(await page.evaluate("sessionStorage.getItem('scheduler-console.session')")).toContain(
      tenant.token,
    );
    expect(await page.evaluate("localStorage.length")).toBe(0);
    await page.getByText(`Tenant ${tenant.id}`).waitFor();

    await page.getByRole("link", { name: "Jobs" }).click();
    await page.getByText("No jobs yet.").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
  });

  it("creates a cron job through the form: a live preview with DST days, then a run that succeeds", async () => {
    const { tenant, client } = await createTenant();
    const page = await open();
    await signIn(page, tenant.token);
    await page.getByRole("link", { name: "New job" }).click();
    await page.getByRole("heading", { name: "New job" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("heartbeat");
    await page.getByLabel("Time zone").fill("Europe/Berlin");
    // Sundays of March and October at 02:30: any 10 of them hold a last Sunday, a DST day.
    await page.getByLabel("Cron expression").fill("30 2 * 3,10 0");
    const preview = page.locator("#preview-times li");
    await preview.nth(9).waitFor();
    expect(await preview.count()).toBe(10);
    const dstDays = page.locator("#preview-times li.dst-day");
    expect(await dstDays.count()).toBeGreaterThan(0);
    const dstText = await dstDays.first().innerText();
    expect(dstText).toMatch(/DST change: UTC\+(1 → UTC\+2|2 → UTC\+1)/);
    expect(dstText).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC(?![+-])/); // also in UTC
    await page.getByLabel("URL").fill(sinkUrl("/console-cron"));
    await screenshot(page, "job-form");

    // Every 2 seconds, so a run comes soon.
    await page.getByLabel("Cron expression").fill("*/2 * * * * *");
    await textMatches(page.locator("#preview-times"), /:\d\d:\d[02468] UTC\+1/);
    await page.getByRole("button", { name: "Create job" }).click();
    await page.getByRole("heading", { name: "heartbeat", level: 1 }).waitFor();
    expect(page.url()).toMatch(/\/console\/jobs\/job_/);
    const [job] = await client.jobs.list().toArray();
    expect(job).toMatchObject({
      name: "heartbeat",
      schedule: { cron: "*/2 * * * * *", timezone: "Europe/Berlin" },
      target: { type: "http", url: sinkUrl("/console-cron"), method: "POST" },
    });
    // The runs table follows the job: a run appears and succeeds.
    await textMatches(
      page.locator("section[aria-labelledby=job-runs] table tbody"),
      /succeeded/,
      20_000,
    );
    expect((await deliveriesAt(sinkUrl("/console-cron"))).length).toBeGreaterThan(0);
    await screenshot(page, "job");

    // Two more jobs, for the list.
    await client.jobs.create({
      name: "nightly-backup",
      priority: "low",
      schedule: { cron: "30 2 * * *", timezone: "America/New_York" },
      target: { type: "worker", pool: "shell", payload: { command: ["backup.sh"] } },
    });
    await client.jobs.create({
      name: "invoice-reminder",
      priority: "high",
      schedule: { delay_seconds: 3600 },
      target: { type: "http", url: sinkUrl() },
    });
    await page.getByRole("navigation").getByRole("link", { name: "Jobs" }).click();
    const row = page.getByRole("row", { name: /heartbeat/ });
    await textMatches(row, /succeeded/);
    await textMatches(row, /UTC\+1[\s\S]*UTC/); // next run in the job's zone and in UTC
    await screenshot(page, "jobs");
  });

  it("shows the API's validation messages next to their fields", async () => {
    const { tenant } = await createTenant();
    const page = await open();
    await signIn(page, tenant.token, "/console/jobs/new");
    // The live preview reports a bad cron expression at the cron field as it is typed.
    await page.getByLabel("Cron expression").fill("61 * * * *");
    await textMatches(page.locator("#job-cron-error"), /\S/);
    await page.getByLabel("Cron expression").fill("0 3 * * *");
    await page.locator("#preview-times li").first().waitFor();
    expect(await page.locator("#job-cron-error").count()).toBe(0);

    await page.getByLabel("URL").fill("not a url");
    await page.getByLabel("Longest backoff (s)").fill("1");
    await page.getByRole("button", { name: "Create job" }).click();
    await textMatches(page.locator("#job-url-error"), /url/i);
    await textMatches(page.locator("#job-max-backoff-error"), /at least initial_backoff_seconds/);
    expect(await page.getByLabel("URL").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByLabel("URL").getAttribute("aria-describedby")).toContain(
      "job-url-error",
    );
    // The first field named gets the focus; the summary lists each problem.
    expect(await page.evaluate("document.activeElement?.id")).toBe("job-url");
    await textMatches(
      page.locator(".form-summary"),
      /target\.url[\s\S]*retry\.max_backoff_seconds/,
    );
    await screenshot(page, "job-form-errors");
    // Nothing was created.
    await page.getByRole("link", { name: "Jobs", exact: true }).first().click();
    await page.getByText("No jobs yet.").waitFor();
  });

  it("filters and searches jobs, pauses, resumes, triggers, edits, and cancels only after a confirmation", async () => {
    const { tenant, client } = await createTenant();
    const job = await client.jobs.create({
      name: "nightly",
      schedule: { cron: "0 3 * * *", timezone: "America/New_York" },
      target: { type: "http", url: sinkUrl("/console-trigger") },
    });
    await client.jobs.create({
      name: "weekly-digest",
      priority: "low",
      schedule: { cron: "0 8 * * 1" },
      target: { type: "http", url: sinkUrl() },
    });
    const page = await open();
    await signIn(page, tenant.token);
    const rows = page.locator("table tbody tr");
    await rows.nth(1).waitFor();
    await page.getByLabel("Name contains").fill("DIGEST");
    await textMatches(page.locator("table tbody"), /^(?![\s\S]*nightly)[\s\S]*weekly-digest/);
    expect(page.url()).toContain("q=DIGEST");
    await page.getByLabel("Name contains").fill("");
    await page.getByLabel("Priority").selectOption("low");
    await textMatches(page.locator("table tbody"), /^(?![\s\S]*nightly)[\s\S]*weekly-digest/);
    await page.getByLabel("Priority").selectOption("");

    // Pause from the list; the job's page shows it and resumes it.
    await page
      .getByRole("row", { name: /nightly/ })
      .getByRole("button", { name: "Pause nightly" })
      .click();
    await textMatches(page.getByRole("row", { name: /nightly/ }), /paused/);
    await page.getByLabel("Status").selectOption("paused");
    await textMatches(page.locator("table tbody"), /^(?![\s\S]*weekly-digest)[\s\S]*nightly/);
    await page.getByRole("link", { name: "nightly" }).click();
    await page.getByRole("heading", { name: "nightly", level: 1 }).waitFor();
    const actions = page.locator(".page-actions");
    expect((await client.jobs.get(job.id)).status).toBe("paused");
    await textMatches(page.locator(".crumbs"), /paused/);
    await actions.getByRole("button", { name: "Resume nightly" }).click();
    await actions.getByRole("button", { name: "Pause nightly" }).waitFor();
    expect((await client.jobs.get(job.id)).status).toBe("active");

    // Trigger now: a run at once, delivered.
    await actions.getByRole("button", { name: "Trigger now nightly" }).click();
    await textMatches(page.locator("section[aria-labelledby=job-runs] table tbody"), /manual/);
    await waitFor(
      async () => (await deliveriesAt(sinkUrl("/console-trigger"))).length === 1,
      "the delivery",
    );

    // Edit: only the changed fields are sent, with the version they are based on.
    const before = await client.jobs.get(job.id);
    await actions.getByRole("button", { name: "Edit" }).click();
    await page.getByRole("heading", { name: "Edit nightly" }).waitFor();
    expect(await page.getByLabel("Cron expression").inputValue()).toBe("0 3 * * *");
    expect(await page.getByLabel("Time zone").inputValue()).toBe("America/New_York");
    await page.getByLabel("Name", { exact: true }).fill("nightly-report");
    await page.getByLabel("Attempts at most").fill("5");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name: "nightly-report", level: 1 }).waitFor();
    const edited = await client.jobs.get(job.id);
    expect(edited).toMatchObject({
      name: "nightly-report",
      retry: { max_attempts: 5 },
      version: before.version + 1,
    });
    expect(edited.next_run_at).toBe(before.next_run_at);

    // Cancel asks first; dismissing the question changes nothing.
    await actions.getByRole("button", { name: "Cancel nightly-report" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel nightly-report?" });
    await dialog.waitFor();
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Cancel");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect((await client.jobs.get(job.id)).status).toBe("active");
    await actions.getByRole("button", { name: "Cancel nightly-report" }).click();
    await dialog.getByRole("button", { name: "Cancel the job" }).click();
    await textMatches(page.locator(".crumbs"), /cancelled/);
    expect((await client.jobs.get(job.id)).status).toBe("cancelled");
  });

  it("lists a failing job's dead run and replays it, and several at once, from the dead letters", async () => {
    const { tenant, client } = await createTenant();
    // The sink fails each run's first attempt; one attempt allowed, so the runs die, and a replay succeeds.
    const urls = [1, 2, 3].map((i) => sinkUrl(`/console-dead-${i}`, "fail_times=1"));
    for (const [i, url] of urls.entries())
      await client.jobs.create({
        name: `flaky-${i + 1}`,
        retry: { max_attempts: 1 },
        target: { type: "http", url },
      });
    await waitFor(
      async () => (await client.deadLetters.list().toArray()).length === 3,
      "three dead runs",
    );
    const page = await open();
    await signIn(page, tenant.token, "/console/dead-letters");
    const rows = page.locator("table tbody tr");
    await rows.nth(2).waitFor();
    await textMatches(page.locator("table"), /flaky-1[\s\S]*HTTP 500/);
    await screenshot(page, "dead-letters");

    // One: its own Replay button.
    const first = rows.filter({ hasText: "flaky-1" });
    const runId = (await first.locator("a.mono").innerText()).trim();
    await first.getByRole("button", { name: `Replay run ${runId}` }).click();
    await textMatches(first, /replayed/);

    // Many: select all dead ones, one confirmation.
    await page.getByLabel(/Select all 2 shown/).check();
    await page.getByRole("button", { name: "Replay selected (2)" }).click();
    await page
      .getByRole("dialog", { name: "Replay 2 runs?" })
      .getByRole("button", { name: "Replay 2 runs" })
      .click();
    await textMatches(page.locator(".notices"), /Replayed 2 runs/);

    // The replayed run succeeds; its page shows both attempts.
    await page.getByRole("link", { name: runId }).click();
    await page.getByRole("heading", { name: `Run ${runId}` }).waitFor();
    await textMatches(page.locator(".crumbs"), /succeeded/, 20_000);
    // Its job by name, not by id, under "Its job" and among the facts.
    await textMatches(page.locator(".crumbs"), /Its job\s+flaky-1/);
    await page.locator(".crumbs").getByRole("link", { name: "flaky-1" }).waitFor();
    const attempts = page.locator("li.attempt");
    await textMatches(attempts.nth(0), /Attempt 2[\s\S]*succeeded[\s\S]*200/);
    await textMatches(attempts.nth(1), /Attempt 1[\s\S]*failed[\s\S]*500[\s\S]*failing with 500/);
    await screenshot(page, "run");
    await waitFor(
      async () => (await client.deadLetters.list().toArray()).length === 0,
      "no dead runs left",
    );
  });

  it("creates a task graph through the form and draws its occurrence's tasks with their states", async () => {
    const { tenant, client } = await createTenant();
    const page = await open();
    await signIn(page, tenant.token, "/console/jobs/new");
    await page.getByLabel("Name", { exact: true }).fill("etl");
    await page.getByLabel("Once, now").check();
    await page.getByLabel("A task graph (tasks with dependencies)").check();
    const tasks = [
      { key: "extract", target: { type: "http", url: sinkUrl("/console-extract") } },
      { key: "broken", depends_on: ["nope"], target: { type: "http", url: sinkUrl() } },
    ];
    await page.getByLabel("Tasks (JSON)").fill(JSON.stringify(tasks));
    await page.getByRole("button", { name: "Create job" }).click();
    // The API names the bad dependency; the message sits at the tasks field.
    await textMatches(page.locator("#job-tasks-error"), /\[1\]\.depends_on\[0\]/);
    tasks[1] = {
      key: "load",
      depends_on: ["extract"],
      target: { type: "http", url: sinkUrl("/console-load") },
    };
    await page.getByLabel("Tasks (JSON)").fill(JSON.stringify(tasks));
    await page.getByRole("button", { name: "Create job" }).click();
    await page.getByRole("heading", { name: "etl", level: 1 }).waitFor();
    await textMatches(page.locator("section[aria-labelledby=job-target]"), /extract[\s\S]*load/);
    const [run] = await waitFor(async () => {
      const runs = await client.runs.list().toArray();
      return runs[0]?.status === "succeeded" && runs;
    }, "the occurrence to succeed");
    await page.goto(`/console/runs/${run?.id}`);
    await page.getByRole("heading", { name: "Tasks" }).waitFor();
    expect(await page.locator(".graph-box g.node-succeeded").count()).toBe(2);
    expect(await page.locator(".graph-box path.edge").count()).toBe(1);
    await textMatches(
      page.locator("section[aria-labelledby=run-tasks] table"),
      /extract[\s\S]*load[\s\S]*extract/,
    );
    await screenshot(page, "graph-run");
  });

  it("shows the wait when the API answers 429, and a loading state for a slow answer", async () => {
    const { tenant, client } = await createTenant();
    await client.jobs.create({
      name: "slow-list",
      target: { type: "http", url: sinkUrl() },
      schedule: { cron: "0 3 * * *" },
    });
    const page = await open();
    await signIn(page, tenant.token, "/console/runs");
    let refused = 0;
    await page.route("**/v1/jobs?*", async (route) => {
      if (refused++ === 0)
        return route.fulfill({
          status: 429,
          headers: { "retry-after": "2", "content-type": "application/problem+json" },
          body: JSON.stringify({
            type: "about:blank",
            title: "Too Many Requests",
            status: 429,
            detail: "Over the tier's request rate.",
          }),
        });
      await new Promise((r) => setTimeout(r, 700));
      return route.continue();
    });
    await page.getByRole("link", { name: "Jobs", exact: true }).click();
    await textMatches(
      page.locator(".banner-warn"),
      /rate limiting[\s\S]*GET \/v1\/jobs[\s\S]*[12] s/,
    );
    await page.getByText("Loading jobs…").waitFor();
    await page.getByRole("link", { name: "slow-list" }).waitFor();
    await page.locator(".banner-warn").waitFor({ state: "detached" });
    expect(refused).toBe(2);
  });

  it("is usable at 390 px: no sideways scrolling, tables as cards, the form with its preview", async () => {
    const { tenant, client } = await createTenant();
    await client.jobs.create({
      name: "mobile-report",
      schedule: { cron: "15 8 * * 1-5", timezone: "Asia/Kolkata" },
      target: { type: "http", url: sinkUrl() },
    });
    const page = await open({ width: 390, height: 844 });
    await signIn(page, tenant.token);
    await page.getByRole("link", { name: "mobile-report" }).waitFor();
    const overflow = () =>
      page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    expect(await overflow()).toBeLessThanOrEqual(0);
    // The header row of the table is hidden; each cell carries its label.
    expect(await page.locator("table thead").boundingBox()).toMatchObject({ width: 1, height: 1 });
    const cell = page.locator("td[data-label='Next run']").first();
    const box = await cell.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    await textMatches(cell, /UTC\+5:30[\s\S]*UTC/);
    await screenshot(page, "jobs-390");
    for (const [link, heading] of [
      ["Runs", "Runs"],
      ["Charts", "Charts"],
    ] as const) {
      await page.getByRole("link", { name: link, exact: true }).click();
      await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
    }
    await page.goto("/console/jobs/new");
    await page.getByLabel("Cron expression").fill("0 9 * * *");
    await page.locator("#preview-times li").first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
  });

  it("charts the tenant's runs by outcome and fire lag", async () => {
    const { tenant, client } = await createTenant();
    // Four runs that succeed and two that die, all due now.
    for (const i of [1, 2, 3, 4])
      await client.jobs.create({ name: `now-${i}`, target: { type: "http", url: sinkUrl() } });
    for (const i of [1, 2])
      await client.jobs.create({
        name: `failing-${i}`,
        retry: { max_attempts: 1 },
        target: { type: "http", url: sinkUrl("/console-chart-fail", "status=500") },
      });
    await waitFor(
      async () =>
        (await client.runs.list({ status: "succeeded" }).toArray()).length === 4 &&
        (await client.deadLetters.list().toArray()).length === 2,
      "four succeeded and two dead runs",
    );
    const page = await open();
    await signIn(page, tenant.token, "/console/charts");
    await textMatches(
      page.locator("#charts-summary"),
      /6 runs finished and 6 first attempts started in the last hour/,
    );
    // The minute's bar (two, if the runs straddle a minute), green and red, and its lag point. The
    // day shows the same runs.
    expect(await page.locator("figure.chart rect.series-succeeded").count()).toBeGreaterThan(0);
    expect(await page.locator("figure.chart rect.series-failed").count()).toBeGreaterThan(0);
    expect(await page.locator("figure.chart .line-p50 circle").count()).toBeGreaterThan(0);
    const totals = await textMatches(page.locator("#totals ~ dl"), /Dead letters\s+2/);
    expect(totals).toContain("2 failed");
    expect(totals).toContain("4 succeeded");
    await screenshot(page, "charts");
    await page.getByLabel("Last day").check();
    await textMatches(page.locator("#charts-summary"), /6 runs finished[\s\S]*in the last day/);
    expect(page.url()).toContain("window=day");
  });

  it("the operator suspends and resumes a tenant, changes its tier, issues a token shown once and revokes it", async () => {
    const { tenant, client } = await createTenant();
    const at = new Date(Date.now() + 3_600_000).toISOString();
    await client.jobs.create({
      schedule: { at },
      target: { type: "http", url: "https://example.com/x" },
    });
    const page = await open();
    await signInAsOperator(page, inject("adminToken"));
    await page.getByRole("link", { name: tenant.id }).waitFor();
    // Each row shows the tenant's load from GET /v1/admin/tenants/:id/usage.
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: tenant.id }) });
    await textMatches(row.locator('td[data-label="Jobs"]'), /^1$/);
    await textMatches(row.locator('td[data-label="In flight"]'), /^0 \/ \d+$/);
    await textMatches(row.locator('td[data-label="429s (1 h)"]'), /^0$/);
    await page.getByRole("link", { name: tenant.id }).click();
    await page.getByRole("heading", { name: `Tenant ${tenant.id}` }).waitFor();

    await page.getByRole("button", { name: "Suspend the tenant" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Suspend the tenant" }).click();
    await page.getByRole("button", { name: "Resume the tenant" }).waitFor();
    expect((await adminClient().tenants.get(tenant.id)).suspended).toBe(true);
    const refused = await client.jobs
      .list()
      .page()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SchedulerProblem);
    expect((refused as SchedulerProblem).status).toBe(403);
    await page.getByRole("button", { name: "Resume the tenant" }).click();
    await page.getByRole("button", { name: "Suspend the tenant" }).waitFor();
    expect((await adminClient().tenants.get(tenant.id)).suspended).toBe(false);

    await page.getByLabel("Tier", { exact: true }).selectOption("premium");
    await page.getByRole("button", { name: "Change tier" }).click();
    await textMatches(page.locator("#tenant-facts ~ dl"), /Tier\s+premium/);
    expect((await adminClient().tenants.get(tenant.id)).tier).toBe("premium");

    await page.getByLabel("Scope").selectOption("read");
    await page.getByRole("button", { name: "Issue a token" }).click();
    const issued = page.locator("#issued-token");
    await issued.waitFor();
    const token = await issued.inputValue();
    expect(token).toMatch(new RegExp(`^sched\\.${tenant.id}\\.`));
    expect((await adminClient().withToken(token).jobs.list().page()).data).toHaveLength(1);
    await screenshot(page, "tenant");
    const tokenId = token.split(".")[2] as string;
    await page.getByRole("button", { name: `Revoke token ${tokenId}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke the token" }).click();
    await issued.waitFor({ state: "detached" });
    const revoked = await adminClient()
      .withToken(token)
      .jobs.list()
      .page()
      .catch((e: unknown) => e);
    expect((revoked as SchedulerProblem).status).toBe(401);
  });

  it("is reachable by keyboard: a skip link first, visible focus, every input labelled", async () => {
    const { tenant } = await createTenant();
    const page = await open();
    await signIn(page, tenant.token, "/console/jobs/new");
    await page.getByLabel("Cron expression").waitFor();
    // The skip link is the first stop of the Tab order and shows itself when focused.
    const first = await page.evaluate(
      `[...document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")].find((el) => el.tabIndex >= 0)?.textContent`,
    );
    expect(first).toBe("Skip to content");
    await page.locator("a.skip").focus();
    expect((await page.locator("a.skip").boundingBox())?.y).toBeGreaterThanOrEqual(0);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Shift+Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");
    const outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle");
    expect(outline).toBe("solid");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement?.id")).toBe("main");
    // Tab goes through the form's fields in order.
    await page.getByLabel("Name", { exact: true }).focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.id")).toBe("job-priority");
    // Every control has a label (its accessible name).
    const unlabelled =
      await page.evaluate(`[...document.querySelectorAll("input, select, textarea")]
      .filter((el) => el.type !== "hidden" && !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
      .map((el) => el.id || el.name)`);
    expect(unlabelled).toEqual([]);
  });
});
