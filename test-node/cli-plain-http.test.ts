/**
 * The CLI warns on stderr when it sends a token over plain http to another machine. "Another
 * machine" is this one's network address (not loopback), where a small relay forwards to the
 * running `npm run dev`, so the command itself works and only the warning differs.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ROOT } from "./support/dev-system.ts";
import { createTenant } from "./support/fixtures.ts";

/** This machine's first address that is not loopback, if it has one. */
const address = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

let relay: Server;
let relayUrl = "";
let token = "";

beforeAll(async () => {
  token = (await createTenant()).tenant.token;
  if (!address) return;
  // Forwards every request to the dev system as it came (method, path, headers, body).
  relay = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = await fetch(`${inject("baseUrl")}${req.url}`, {
      method: req.method,
      headers: Object.fromEntries(
        Object.entries(req.headers).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string" && entry[0] !== "host",
        ),
      ),
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "" });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => relay.listen(0, address, resolve));
  const port = (relay.address() as { port: number }).port;
  relayUrl = `http://${address}:${port}`;
});

afterAll(async () => {
  await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
});

function cli(args: string[], url: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, SCHEDULER_URL: url, SCHEDULER_TOKEN: token };
  delete env.SCHEDULER_ADMIN_TOKEN;
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/edge-scheduler.js"), ...args], {
      cwd: inject("devDir"),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe("the CLI and plain http", () => {
  it.skipIf(!address)(
    "warns on stderr when the token goes over plain http to another host, and still does the work",
    async () => {
      const remote = await cli(["jobs", "list"], relayUrl);
      expect(remote.code).toBe(0);
      expect(remote.stderr).toContain(
        `warning: ${relayUrl} is plain http to another machine: the token travels unencrypted`,
      );
      const json = await cli(["jobs", "list", "--json"], relayUrl);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stderr.trim()).warning).toContain("use https");
      expect(JSON.parse(json.stdout)).toHaveProperty("data");
    },
  );

  it("says nothing for a local URL", async () => {
    const local = await cli(["jobs", "list"], inject("baseUrl"));
    expect(local.code).toBe(0);
    expect(local.stderr).toBe("");
  });
});
