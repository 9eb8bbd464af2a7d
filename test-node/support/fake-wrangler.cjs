// A stand-in for the `wrangler` CLI, for testing `npm run setup` without a Cloudflare account (the
// only place the tests use a stand-in: no account is reachable here). It records each call and
// answers the commands setup uses the way wrangler 4 prints them: `queues list` as wrangler's table
// (two queues a page), `queues create`, `secret list --format json` (an error before the first
// deploy), and `deploy [--secrets-file f]` with the workers.dev URL. State lives in a JSON file.
//
//   FAKE_WRANGLER_STATE  the state file: { queues: [], deployed: false, secrets: {} }
//   FAKE_WRANGLER_LOG    calls are appended as JSON lines: { args, secrets }
//   FAKE_WRANGLER_LOGGED_OUT=1   every command fails as when not logged in
//   FAKE_WRANGLER_DEPLOY=hang|fail   deploy never ends (recording its pid), or fails
const fs = require("node:fs");
const path = require("node:path");

const args = process.argv.slice(2);
const statePath = process.env.FAKE_WRANGLER_STATE;
const state = fs.existsSync(statePath)
  ? JSON.parse(fs.readFileSync(statePath, "utf8"))
  : { queues: [], deployed: false, secrets: {} };
const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const record = (extra = {}) =>
  fs.appendFileSync(process.env.FAKE_WRANGLER_LOG, `${JSON.stringify({ args, ...extra })}\n`);
const banner = () => process.stdout.write(" ⛅️ wrangler 4.155.0\n───────────────────\n");
const fail = (message) => {
  process.stderr.write(`\n✘ [ERROR] ${message}\n\n`);
  process.exit(1);
};

function table(rows) {
  if (rows.length === 0) return "┌┐\n└┘\n";
  const head = Object.keys(rows[0]);
  const widths = head.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)) + 2);
  const line = (l, m, r) => `${l}${widths.map((w) => "─".repeat(w)).join(m)}${r}\n`;
  const row = (cells) =>
    `│${cells.map((c, i) => ` ${String(c).padEnd(widths[i] - 1)}`).join("│")}│\n`;
  return (
    line("┌", "┬", "┐") +
    row(head) +
    line("├", "┼", "┤") +
    rows.map((r) => row(head.map((h) => r[h]))).join(line("├", "┼", "┤")) +
    line("└", "┴", "┘")
  );
}

const [command, sub] = args;
// A deploy is recorded with the names of the secrets it uploads.
if (command !== "deploy") record();
if (process.env.FAKE_WRANGLER_LOGGED_OUT === "1")
  fail("You are not authenticated. Please run `wrangler login`.");

if (command === "queues" && sub === "list") {
  banner();
  const page = Number(flag("--page") ?? 1);
  const rows = state.queues.slice((page - 1) * 2, page * 2).map((name, i) => ({
    id: `${String(i).padStart(4, "0")}c0ffee${name.length}`.padEnd(32, "0"),
    name,
    created_on: "2026-11-30T10:00:00.000000Z",
    modified_on: "2026-11-30T10:00:00.000000Z",
    producers: "0",
    consumers: "0",
  }));
  process.stdout.write(table(rows));
} else if (command === "queues" && sub === "create") {
  banner();
  const name = args[2];
  if (state.queues.includes(name))
    fail(`A request to the Cloudflare API failed. Queue name already taken [code: 11009]`);
  state.queues.push(name);
  save();
  process.stdout.write(`🌀 Creating queue '${name}'\n✅ Created queue '${name}'\n`);
} else if (command === "secret" && sub === "list") {
  if (!state.deployed)
    fail(
      'Worker "edge-scheduler" not found.\n\nIf this is a new Worker, run `wrangler deploy` first to create it.',
    );
  process.stdout.write(
    `${JSON.stringify(
      Object.keys(state.secrets).map((name) => ({ name, type: "secret_text" })),
      null,
      "  ",
    )}\n`,
  );
} else if (command === "deploy") {
  banner();
  // Like the real deploy: every queue the configuration names must exist.
  const toml = fs.readFileSync(path.join(process.cwd(), "wrangler.toml"), "utf8");
  for (const match of toml.matchAll(/^\s*(?:queue|dead_letter_queue)\s*=\s*"([^"]+)"/gm))
    if (!state.queues.includes(match[1]))
      fail(
        `Queue "${match[1]}" does not exist. To create it, run: wrangler queues create ${match[1]}`,
      );
  const file = flag("--secrets-file");
  const secrets = file ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  if (process.env.FAKE_WRANGLER_DEPLOY === "hang") {
    record({ secrets: Object.keys(secrets), pid: process.pid });
    setInterval(() => {}, 60_000);
  } else {
    if (process.env.FAKE_WRANGLER_DEPLOY === "fail")
      fail("A request to the Cloudflare API failed.");
    Object.assign(state.secrets, secrets);
    record(file ? { secrets: Object.keys(secrets) } : {});
    state.deployed = true;
    save();
    process.stdout.write(
      [
        "Total Upload: 612.40 KiB / gzip: 121.77 KiB",
        "Your Worker has access to the following bindings:",
        "Binding                                   Resource",
        "env.TENANT_SCHEDULER (TenantScheduler)    Durable Object",
        "",
        "Uploaded edge-scheduler (3.21 sec)",
        "Deployed edge-scheduler triggers (1.02 sec)",
        "  https://edge-scheduler.example-account.workers.dev",
        "  Producer for runs-high",
        "  Consumer for runs-high",
        "Current Version ID: 6f1d9a2e-0000-4000-8000-000000000000",
        "",
      ].join("\n"),
    );
  }
} else {
  fail(`the stand-in does not know \`wrangler ${args.join(" ")}\``);
}
