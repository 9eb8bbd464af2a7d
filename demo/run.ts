/**
 * The demo: against a running `npm run dev`, starts a local webhook sink, creates a tenant and a
 * few jobs, and prints signed deliveries as they arrive (verifying each signature), then shows a
 * failing job's attempts ending in the dead letters, and the tenant's metrics.
 *
 *   terminal 1: npm run dev
 *   terminal 2: npm run demo            (SCHEDULER_URL=http://localhost:8787 by default)
 */
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { startSink } from "../tools/webhook-sink.ts";

const base = process.env.SCHEDULER_URL ?? "http://localhost:8787";
const seconds = Number(process.env.DEMO_SECONDS ?? 25);

function adminToken(): string {
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  for (const file of [".dev.vars"]) {
    try {
      const match = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(file, "utf8"));
      if (match?.[1]) return match[1].trim();
    } catch {}
  }
  throw new Error("set ADMIN_TOKEN, or start `npm run dev` first: it writes .dev.vars");
}

async function api(path: string, token: string, body?: unknown, method?: string): Promise<any> {
  const response = await fetch(`${base}${path}`, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
}

function verify(secret: string, headers: Record<string, string>, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key)
    .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`)
    .digest("base64");
  return (headers["webhook-signature"] ?? "").split(" ").some((s) => s === `v1,${expected}`);
}

async function main(): Promise<void> {
  const health = await fetch(`${base}/health`).catch(() => null);
  if (!health?.ok) throw new Error(`no scheduler at ${base}: start it with \`npm run dev\` first`);
  const sink = await startSink();
  const tenant = await api("/v1/admin/tenants", adminToken(), {
    name: "Demo tenant",
    tier: "standard",
  });
  console.log(`tenant ${tenant.id} created; sink listening on ${sink.url}`);
  const token = tenant.token as string;

  const jobs = await api("/v1/jobs/batch", token, {
    jobs: [
      {
        name: "every-5-seconds",
        schedule: { cron: "*/5 * * * * *" },
        target: { type: "http", url: `${sink.url}/cron`, body: { kind: "cron" } },
      },
      {
        name: "once-in-3-seconds",
        schedule: { delay_seconds: 3 },
        priority: "high",
        target: { type: "http", url: `${sink.url}/once` },
      },
      {
        name: "always-failing",
        target: { type: "http", url: `${sink.url}/broken?status=503` },
        retry: { max_attempts: 3, initial_backoff_seconds: 1, max_backoff_seconds: 4 },
      },
    ],
  });
  for (const job of jobs.data) console.log(`job ${job.name}: next_run_at ${job.next_run_at}`);

  let shown = 0;
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    for (const d of sink.deliveries.slice(shown)) {
      const lag = d.received_at - Date.parse(d.headers["x-scheduler-scheduled-for"] ?? "");
      const ok = verify(tenant.signing_secret, d.headers, d.body)
        ? "signature ok"
        : "SIGNATURE BAD";
      console.log(
        `${new Date(d.received_at).toISOString()} ${d.path.padEnd(8)} run ${d.headers["x-scheduler-run-id"]} attempt ${d.headers["x-scheduler-attempt"]} lag ${lag} ms, ${ok}`,
      );
    }
    shown = sink.deliveries.length;
  }

  const failing = jobs.data.find((j: any) => j.name === "always-failing");
  const runs = await api(`/v1/jobs/${failing.id}/runs`, token);
  for (const run of runs.data) {
    const detail = await api(`/v1/runs/${run.id}`, token);
    console.log(`\nfailing job run ${run.id}: ${detail.status}`);
    for (const a of detail.attempts)
      console.log(
        `  attempt ${a.attempt}: ${a.outcome} ${a.status_code ?? ""} after ${a.duration_ms} ms`,
      );
  }
  const dead = await api("/v1/dead-letters", token);
  console.log(`\ndead letters: ${dead.data.map((r: any) => r.id).join(", ") || "none"}`);
  const metrics: string = await api("/v1/metrics", token);
  console.log("\nmetrics (excerpt):");
  for (const line of metrics.split("\n"))
    if (/^scheduler_(runs_finished_total|attempts_total|runs\{)/.test(line))
      console.log(`  ${line}`);
  await api(`/v1/jobs/${jobs.data[0].id}`, token, undefined, "DELETE");
  await sink.close();
  console.log(`\ncurl -H "authorization: Bearer ${token}" ${base}/v1/metrics   # to see them all`);
}

main().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
