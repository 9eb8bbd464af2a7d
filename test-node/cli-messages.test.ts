/**
 * The CLI's errors say what happened and what to do: a cron field's mistake once, by its field; a
 * token that was sent but not accepted as unknown or revoked; no answer with the URL tried and how
 * to start a scheduler or point at another.
 */
import { describe, expect, it } from "vitest";
import { freePort } from "../tools/processes.ts";
import { cli, tenantToken } from "./support/cli-runner.ts";

describe("CLI error messages", () => {
  it("prints a cron field's mistake once, naming the field", async () => {
    const token = await tenantToken();
    const ran = await cli(
      ["jobs", "create", "--target", "https://example.com/hook", "--cron", "0 25 * * *"],
      { token },
    );
    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe(
      "error: POST /v1/jobs: 400 Invalid request\n  schedule.cron: hour must be 0-23, got 25\n",
    );
    const preview = await cli(["schedules", "preview", "--cron", "0 0 * * 8"], { token });
    expect(preview.stderr.match(/day of week must be 0-7, got 8/g)).toHaveLength(1);
  });

  it("says a token that was sent is unknown or revoked, not that one is required", async () => {
    const token = await tenantToken();
    const wrongSecret = token.replace(/\.[^.]+$/, `.${"B".repeat(64)}`);
    const tenant = await cli(["jobs", "list"], { token: wrongSecret });
    expect(tenant.code).toBe(2);
    expect(tenant.stderr).toContain("401 Unauthorized: The token is unknown or revoked.");
    const admin = await cli(["tenants", "list", "--token", "not-the-admin-token"]);
    expect(admin.code).toBe(2);
    expect(admin.stderr).toContain(
      "The token is unknown or revoked: it is not this scheduler's admin token.",
    );
    for (const ran of [tenant, admin]) expect(ran.stderr).not.toContain("required");
  });

  it("names the URL it tried when nothing answers, and how to start a scheduler or point at another", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const ran = await cli(["tenants", "list"], { env: { SCHEDULER_URL: url } });
    expect(ran.code).toBe(3);
    expect(ran.stderr).toContain(
      `error: no answer from ${url} (GET /v1/admin/tenants: connection refused: nothing listens there).`,
    );
    expect(ran.stderr).toContain("Start it with `npm run dev` in the project directory");
    expect(ran.stderr).toContain("SCHEDULER_URL (or --url)");
    expect(ran.stderr).not.toContain("fetch failed");

    const asJson = await cli(["tenants", "list", "--json"], { env: { SCHEDULER_URL: url } });
    expect(asJson.code).toBe(3);
    expect(JSON.parse(asJson.stderr)).toMatchObject({
      url,
      error: expect.stringContaining(`no answer from ${url}`),
    });
  });
});
