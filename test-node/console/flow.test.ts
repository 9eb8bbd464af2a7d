/**
 * The console's flow control in a real browser against `npm run dev`: flow keys and destinations
 * with their limits and live usage, limits set, refused, changed and removed, and a run's waiting
 * reason.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTenant, sinkUrl, uniqueId, waitFor } from "../support/fixtures.ts";
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

describe("flow control in the console", () => {
  it("shows a key's limits and live usage, refuses bad limits at their field, changes and removes them; a run says what it waits on", async () => {
    const { tenant, client } = await createTenant();
    const key = uniqueId("customer");
    await client.flowKeys.set(key, { rate: { limit: 1, period_seconds: 3600, burst: 1 } });
    const job = await client.jobs.create({
      name: "per-customer",
      flow_key: key,
      schedule: { cron: "0 3 * * *" },
      target: { type: "http", url: sinkUrl() },
    });
    const runs = [await client.jobs.trigger(job.id), await client.jobs.trigger(job.id)];
    const waiting = await waitFor(async () => {
      const states = await Promise.all(runs.map((r) => client.runs.get(r.id)));
      return states.some((r) => r.status === "succeeded") && states.find((r) => r.waiting_reason);
    }, "one run to succeed and the other to wait for its key");

    const { page } = await newPage(browser);
    pages.push(page);
    await signIn(page, tenant.token);
    await page.getByRole("link", { name: "Flow control" }).click();
    await page.getByRole("heading", { name: "Flow control", level: 1 }).waitFor();
    const row = page.locator(`#key-table tr[data-name="${key}"]`);
    await textMatches(row, /1 per 1 h, burst 1[\s\S]*its own[\s\S]*\b1\b[\s\S]*0 of 1/);
    await screenshot(page, "flow-control");

    // Edit: the form holds the key's limits; a running limit of 0 is refused at its field.
    await row.getByRole("button", { name: `Edit the limits of ${key}` }).click();
    await page.getByRole("heading", { name: `Limits of flow key ${key}` }).waitFor();
    expect(await page.locator("#key-limits-rate-limit").inputValue()).toBe("1");
    expect(await page.locator("#key-limits-period").inputValue()).toBe("3600");
    await page.locator("#key-limits-max-running").fill("0");
    await page.getByRole("button", { name: "Save the limits" }).click();
    await textMatches(page.locator("#key-limits-max-running-error"), /\S/);
    expect(await page.locator("#key-limits-max-running").getAttribute("aria-invalid")).toBe("true");
    expect((await client.flowKeys.get(key)).limits).toEqual({
      rate: { limit: 1, period_seconds: 3600, burst: 1 },
    });
    await page.locator("#key-limits-max-running").fill("3");
    await page.getByRole("button", { name: "Save the limits" }).click();
    await textMatches(row, /at most 3 running · 1 per 1 h, burst 1/);
    expect((await client.flowKeys.get(key)).limits).toMatchObject({ max_running: 3 });

    // The waiting run says why, on its page and in the list.
    await page.goto(`/console/runs/${waiting.id}`);
    await textMatches(
      page.locator(".facts"),
      new RegExp(`Waiting on\\s+its flow key ${key} is at its limits`),
    );
    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await textMatches(page.locator(`table tbody`), /waiting on flow key/);

    // Remove asks first; the waiting run then starts.
    await page.getByRole("link", { name: "Flow control" }).click();
    await row.getByRole("button", { name: `Remove the limits of ${key}` }).click();
    await page
      .getByRole("dialog", { name: `Remove the limits of ${key}?` })
      .getByRole("button", { name: "Remove the limits" })
      .click();
    await waitFor(
      async () => (await client.runs.get(waiting.id)).status === "succeeded",
      "the waiting run to start once the key has no limits",
    );
    // With no limits and no runs left, the key leaves the list at the next refresh.
    await row.waitFor({ state: "detached" });
  });

  it("limits a new destination through the form, naming a bad host at its field", async () => {
    const { tenant, client } = await createTenant();
    const { page } = await newPage(browser);
    pages.push(page);
    await signIn(page, tenant.token, "/console/flow");
    await page.getByRole("heading", { name: "Flow control", level: 1 }).waitFor();
    await page.getByText("No destination has limits or runs now.").waitFor();
    await page.locator("#host-limits-name").fill("API.Example.com");
    await page.locator("#host-limits-rate-limit").fill("100");
    await page.getByRole("button", { name: "Limit the destination" }).click();
    await textMatches(page.locator("#host-limits-name-error"), /\S/);
    expect((await client.destinations.list().toArray()).length).toBe(0);
    await page.locator("#host-limits-name").fill("api.example.com");
    await page.getByRole("button", { name: "Limit the destination" }).click();
    await textMatches(
      page.locator('#host-table tr[data-name="api.example.com"]'),
      /100 per 1 s, burst 100[\s\S]*its own[\s\S]*100 of 100/,
    );
    expect(await client.destinations.get("api.example.com")).toMatchObject({
      limits: { rate: { limit: 100, period_seconds: 1 } },
    });
    // The form is empty again, for the next one.
    expect(await page.locator("#host-limits-name").inputValue()).toBe("");
  });

  it("the operator sets a tenant's default flow limits, refused at their field when out of range, and removes them", async () => {
    const { tenant, client } = await createTenant();
    const { page } = await newPage(browser);
    pages.push(page);
    await signInAsOperator(page, inject("adminToken"));
    await page.goto(`/console/tenants/${tenant.id}`);
    await page.getByRole("heading", { name: "Default flow limits" }).waitFor();
    await textMatches(page.locator("#tenant-flow-defaults-now"), /none/);
    await page.locator("#tenant-limits-rate-limit").fill("60");
    await page.locator("#tenant-limits-period").fill("7200");
    await page.getByRole("button", { name: "Save the default flow limits" }).click();
    await textMatches(page.locator("#tenant-limits-period-error"), /\S/);
    expect((await client.flowKeys.get("anyone")).limits).toBeNull();
    await page.locator("#tenant-limits-period").fill("60");
    await page.locator("#tenant-limits-max-running").fill("4");
    await page.getByRole("button", { name: "Save the default flow limits" }).click();
    await textMatches(
      page.locator("#tenant-flow-defaults-now"),
      /at most 4 running · 60 per 1 min, burst 60/,
    );
    expect(await client.flowKeys.get("anyone")).toMatchObject({
      own_limits: false,
      limits: { max_running: 4, rate: { limit: 60, period_seconds: 60 } },
    });
    await page.getByRole("button", { name: "Remove the default flow limits" }).click();
    await textMatches(page.locator("#tenant-flow-defaults-now"), /none/);
    expect((await client.flowKeys.get("anyone")).limits).toBeNull();
  });
});
