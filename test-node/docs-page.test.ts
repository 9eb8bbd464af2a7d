/**
 * /docs in a real browser (headless Chromium) against `npm run dev`: under its CSP the viewer
 * still loads /openapi.json and lists the operations, and the browser reports no CSP violation.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, newPage, scriptErrors } from "./console/browser.ts";

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe("the /docs viewer in a browser", () => {
  it("lists the API's operations under its CSP, with nothing refused", async () => {
    const { context, page } = await newPage(browser);
    const refused: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") refused.push(message.text());
    });
    const response = await page.goto(`${inject("baseUrl")}/docs`);
    expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    await page.locator("details.op summary", { hasText: "/v1/jobs" }).first().waitFor();
    expect(await page.locator("details.op").count()).toBeGreaterThan(10);
    expect(await page.locator("#d").innerText()).toContain("version");
    // The style applied (a CSP refusal would leave the browser's default margins).
    expect(await page.evaluate("getComputedStyle(document.body).maxWidth")).toBe("960px");
    expect(refused).toEqual([]);
    expect(scriptErrors(page)).toEqual([]);
    await context.close();
  });
});
