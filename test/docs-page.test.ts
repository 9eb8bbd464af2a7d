/**
 * /docs, the OpenAPI viewer, through the Worker: a CSP that lets only the page's own inline style
 * and script run (their hashes match what is served) and only this origin be fetched, and headers
 * that keep it out of frames. test-node/docs-page.test.ts opens it in a browser.
 */
import { describe, expect, it } from "vitest";
import { call } from "./support/api";

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** The directives of a CSP header by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name as string, values]),
  );
}

describe("GET /docs", () => {
  it("serves the viewer with a CSP allowing only its own inline script and style, and no framing", async () => {
    const response = await call("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");

    const csp = directives(response.headers.get("content-security-policy") ?? "");
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("connect-src")).toEqual(["'self'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("form-action")).toEqual(["'none'"]);

    // Exactly the page's own script and style, by hash: no 'unsafe-inline', nothing from elsewhere.
    const html = await response.text();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? "");
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(csp.get("script-src")).toEqual([`'sha256-${await sha256(scripts[0] as string)}'`]);
    expect(csp.get("style-src")).toEqual([`'sha256-${await sha256(styles[0] as string)}'`]);
    expect(html).toContain('fetch("/openapi.json")');
  });
});
