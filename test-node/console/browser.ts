/**
 * A headless Chromium for the console's tests: the binary inside `@sparticuz/chromium` (no download
 * step), driven by `playwright-core`, against the `npm run dev` the Node tests share.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import chromiumPkg from "@sparticuz/chromium";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import { inject } from "vitest";
import { ROOT } from "../support/dev-system.ts";

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPkg.executablePath(),
    args: chromiumPkg.args,
  });
}

/** A fresh context (its own sessionStorage), wide by default, in a zone with DST. */
export async function newPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport,
    timezoneId: "Europe/Berlin",
    locale: "en-GB",
    baseURL: inject("baseUrl"),
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // Script errors fail the test that caused them.
  const errors: Error[] = [];
  page.on("pageerror", (error) => errors.push(error));
  (page as Page & { scriptErrors: Error[] }).scriptErrors = errors;
  return { context, page };
}

export function scriptErrors(page: Page): Error[] {
  return (page as Page & { scriptErrors?: Error[] }).scriptErrors ?? [];
}

export async function signIn(page: Page, token: string, path = "/console/"): Promise<void> {
  await page.goto(path);
  await page.getByLabel("Tenant token").fill(token);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

export async function signInAsOperator(page: Page, adminToken: string): Promise<void> {
  await page.goto("/console/");
  await page.getByLabel("Admin token").fill(adminToken);
  await page.getByRole("button", { name: "Sign in as operator" }).click();
  await page.getByRole("heading", { name: "Tenants", level: 1 }).waitFor();
}

/** Waits until the locator's text matches, reading it again until `timeoutMs`. */
export async function textMatches(
  locator: Locator,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = (await locator.allInnerTexts().catch(() => [])).join("\n");
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`expected ${pattern} in ${JSON.stringify(last.slice(0, 500))}`);
}

/**
 * Screenshots of the main pages: into docs/screenshots when UPDATE_SCREENSHOTS=1 (to refresh the
 * README's pictures), otherwise not taken.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== "1") return;
  const dir = join(ROOT, "docs", "screenshots");
  mkdirSync(dir, { recursive: true });
  // The notices in the corner come and go: not part of the picture.
  const notices = (display: string) =>
    page.evaluate(`document.querySelector(".notices")?.style.setProperty("display", "${display}")`);
  await notices("none");
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  await notices("flex");
}
