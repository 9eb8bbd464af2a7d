// Entry of `npm run soak [-- --minutes 10]`: a memory soak of `wrangler dev` (issue item 18).
//
// One standard tenant; 20 jobs on a 1-second cron and, every second, a batch of 20 one-time jobs
// due one second later, all delivering to the local sink. Every `--sample-seconds` (10) it records
// the resident memory of the wrangler process group (each `workerd`, split into anonymous and
// file-backed pages, and wrangler's node process), the bytes under --persist-to and the deliveries
// the sink received; with --inspector also the V8 heaps (`Runtime.getHeapUsage`; once a minute
// after a forced GC) of our Worker's isolate and of Miniflare's isolates in the same process.
// Writes soak.json and soak.md to `--out` (bench/results).
//
// Options:
//   --minutes N            10 by default; 3 for a quick look
//   --log-level L          info or debug: runs a scratch copy of the sources with that LOG_LEVEL
//   --target T             ok, or fail (the sink answers 500)
//   --local-observability  on or off: wrangler's X_LOCAL_OBSERVABILITY (on by default in wrangler)
//   --inspector S          none (default), worker (our isolate, through wrangler's inspector
//                          proxy), internals (Miniflare's isolates, directly) or all. A session
//                          forces a GC in its isolates once a minute, which changes the RSS curve.
//   --snapshot-dir DIR     heap snapshots of our isolate after the first minute and at the end
//   --keep-log FILE        a copy of wrangler's output (BENCH_WRANGLER_LOG_LEVEL=log adds the
//                          Worker's console lines)
//   --out DIR              bench/results by default
//   --render               only rewrite soak.md from soak.json in --out (no run)
// BENCH_SOURCE_DIR runs a scratch copy of the sources, as for the benchmark.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Api, type Tenant } from "./client.ts";
import { loadAverage } from "./report.ts";
import { Inspector } from "./soak/inspector.ts";
import {
  cmdline,
  diskUsage,
  mb,
  members,
  memoryOf,
  type ProcMemory,
  wranglerGroup,
} from "./soak/proc.ts";
import type { System } from "./system.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const RESULTS_DIR = new URL("./results", import.meta.url).pathname;
const JOBS_PER_SECOND = 20;
const CRON_JOBS = 20;
/** Creation requests in flight at once; a tick that finds this many still open is skipped. */
const MAX_OPEN_REQUESTS = 5;
/** After the last creation: time for the last one-time jobs to be delivered. */
const DRAIN_MS = 15_000;

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    "sample-seconds": { type: "string", default: "10" },
    "log-level": { type: "string", default: "info" },
    target: { type: "string", default: "ok" },
    "local-observability": { type: "string", default: "on" },
    inspector: { type: "string", default: "none" },
    "snapshot-dir": { type: "string" },
    "keep-log": { type: "string" },
    out: { type: "string", default: RESULTS_DIR },
    render: { type: "boolean", default: false },
  },
});
const minutes = Number(values.minutes);
const sampleMs = Number(values["sample-seconds"]) * 1000;
const logLevel = values["log-level"];
const targetMode = values.target;
if (!(minutes > 0 && minutes <= 120)) throw new Error("--minutes must be in (0, 120]");
if (!(sampleMs >= 1000 && sampleMs <= 60_000)) throw new Error("--sample-seconds: 1 to 60");
if (logLevel !== "info" && logLevel !== "debug") throw new Error("--log-level: info or debug");
if (targetMode !== "ok" && targetMode !== "fail") throw new Error("--target: ok or fail");
const sessions = values.inspector;
if (!["none", "worker", "internals", "all"].includes(sessions))
  throw new Error("--inspector: none, worker, internals or all");
const localObservability = values["local-observability"];
if (localObservability !== "on" && localObservability !== "off")
  throw new Error("--local-observability: on or off");

const log = (message: string) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- the system under test ----

/** A scratch copy of the sources whose wrangler.toml sets LOG_LEVEL (BENCH_SOURCE_DIR). */
async function sourcesWithLogLevel(level: string): Promise<string> {
  const source = process.env.BENCH_SOURCE_DIR ?? ROOT;
  const dir = await mkdtemp(join(tmpdir(), "scheduler-soak-src-"));
  for (const entry of ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json"])
    await cp(join(source, entry), join(dir, entry), { recursive: true });
  const toml = await readFile(join(dir, "wrangler.toml"), "utf8");
  if (!/^LOG_LEVEL = ".*"$/m.test(toml)) throw new Error("wrangler.toml has no LOG_LEVEL line");
  await writeFile(
    join(dir, "wrangler.toml"),
    toml.replace(/^LOG_LEVEL = ".*"$/m, `LOG_LEVEL = "${level}"`),
  );
  return dir;
}

interface Sample {
  t_s: number;
  processes: ProcMemory[];
  workerd_rss_mb: number;
  runtime_rss_mb: number | null;
  runtime_anon_mb: number | null;
  heap_used_mb: number | null;
  heap_after_gc_mb: number | null;
  /** V8 heap committed for our isolate (used plus free space V8 keeps). */
  heap_committed_mb: number | null;
  array_buffers_mb: number | null;
  /** Committed V8 heap of the runtime's other isolates (Miniflare's), summed and by isolate. */
  internal_heaps_mb: number | null;
  /** Their heaps in use after a forced GC (once a minute). */
  internal_heaps_after_gc_mb: number | null;
  internal_heaps: Record<string, number>;
  /** Bytes on disk under --persist-to (the objects' SQLite files, queue and other local state). */
  state_mb: number;
  deliveries: number;
  jobs_created: number;
  wrangler_log_kb: number;
}

let system: System | undefined;
let inspector: Inspector | undefined;
let internals = new Map<string, Inspector>();
let scratch: string | undefined;
let rawDir: string | undefined;

async function cleanup(failed = false): Promise<void> {
  inspector?.close();
  for (const session of internals.values()) session.close();
  internals = new Map();
  await system?.stop().catch(() => {});
  const keep = values["keep-log"];
  if (keep && rawDir) await cp(join(rawDir, "wrangler.log"), keep).catch(() => {});
  if (failed && rawDir) {
    // The wrangler log is all there is to tell why; show its end before it goes.
    const text = await readFile(join(rawDir, "wrangler.log"), "utf8").catch(() => "");
    console.error(`--- end of wrangler.log ---\n${text.split("\n").slice(-30).join("\n")}`);
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
  if (rawDir) await rm(rawDir, { recursive: true, force: true });
}

async function shutdown(code: number): Promise<never> {
  await cleanup(code !== 0);
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void shutdown(130));

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadAverage();
  // Hard stop: the run, its drain and start-up, whatever hangs.
  const watchdog = setTimeout(
    () => {
      console.error("soak: watchdog expired");
      void shutdown(1);
    },
    minutes * 60_000 + DRAIN_MS + 240_000,
  );
  watchdog.unref();

  if (logLevel !== "info") {
    scratch = await sourcesWithLogLevel(logLevel);
    process.env.BENCH_SOURCE_DIR = scratch;
  }
  // Wrangler's local observability (a streaming tail of every invocation into a trace store in
  // the runtime, on by default) is switched with this variable; the child inherits it.
  process.env.X_LOCAL_OBSERVABILITY = localObservability === "on" ? "true" : "false";
  // Imported after BENCH_SOURCE_DIR is set: system.ts reads it when it loads.
  const { startSystem } = await import("./system.ts");
  rawDir = await mkdtemp(join(tmpdir(), "scheduler-soak-raw-"));
  log(`soak: ${minutes} min, LOG_LEVEL=${logLevel}, targets ${targetMode}; starting wrangler dev`);
  system = await startSystem({ rawDir });
  const sys = system;
  const port = new URL(sys.baseUrl).port;
  const group = wranglerGroup(port);
  const proxyPid = members(group).find((m) => m.role === "proxy")?.pid;
  const wranglerArgs = cmdline(group);
  const persistDir = wranglerArgs[wranglerArgs.indexOf("--persist-to") + 1] ?? "";
  log(`system up at ${sys.baseUrl}; group ${group}: ${JSON.stringify(members(group))}`);
  if ((sessions === "worker" || sessions === "all") && proxyPid !== undefined)
    inspector = await Inspector.connect(proxyPid, log);
  const runtimePid = members(group).find((m) => m.role === "runtime")?.pid;
  if ((sessions === "internals" || sessions === "all") && runtimePid !== undefined) {
    internals = await Inspector.connectInternals(runtimePid);
    log(`inspector: ${internals.size} other isolates in the runtime`);
  }

  const api = new Api(sys.baseUrl, sys.adminToken);
  const tenant: Tenant = await api.createTenant(`soak-${Date.now().toString(36)}`, "standard");
  const query = targetMode === "fail" ? "?status=500" : "";
  const target = (path: string, i: number) => ({
    type: "http",
    url: `${sys.sink.url}${path}${query}`,
    method: "POST",
    body: { i },
  });
  const retry = { max_attempts: 1, initial_backoff_seconds: 1, max_backoff_seconds: 1 };
  const createBatch = (jobs: unknown[]) =>
    api.json<{ data: unknown[] }>("POST", "/v1/jobs/batch", tenant.token, { jobs }, 201);
  await createBatch(
    Array.from({ length: CRON_JOBS }, (_, i) => ({
      name: `soak-cron-${i}`,
      schedule: { cron: "* * * * * *" },
      target: target("/cron", i),
      retry,
    })),
  );
  log(`${CRON_JOBS} cron jobs (every second) created`);

  // Deliveries are counted and forgotten, so the sink's own memory stays flat.
  let deliveries = 0;
  const byPath: Record<string, number> = {};
  const countDeliveries = () => {
    for (const d of sys.sink.deliveries) byPath[d.path] = (byPath[d.path] ?? 0) + 1;
    deliveries += sys.sink.deliveries.length;
    sys.sink.deliveries.length = 0;
  };

  let created = CRON_JOBS;
  let open = 0;
  let skippedTicks = 0;
  let failedRequests = 0;
  const t0 = Date.now();
  const end = t0 + minutes * 60_000;
  const ticks = minutes * 60;
  const creator = (async () => {
    for (let tick = 0; tick < ticks; tick++) {
      const at = t0 + tick * 1000;
      if (at > end) break;
      if (at > Date.now()) await sleep(at - Date.now());
      if (open >= MAX_OPEN_REQUESTS) {
        skippedTicks++;
        continue;
      }
      open++;
      const jobs = Array.from({ length: JOBS_PER_SECOND }, (_, i) => ({
        name: `soak-once-${tick}-${i}`,
        schedule: { delay_seconds: 1 },
        target: target("/once", tick * JOBS_PER_SECOND + i),
        retry,
      }));
      createBatch(jobs)
        .then(() => {
          created += JOBS_PER_SECOND;
        })
        .catch((error: unknown) => {
          failedRequests++;
          if (failedRequests <= 5) log(`create failed: ${(error as Error).message}`);
        })
        .finally(() => {
          open--;
        });
    }
  })();

  const samples: Sample[] = [];
  // A workerd that restarts (a crash, or something on the machine killing it) resets its memory:
  // such a run is reported, not trusted.
  const restarts: { t_s: number; role: string; from: number; to: number }[] = [];
  const lastPid = new Map<string, number>();
  const wranglerLog = join(rawDir, "wrangler.log");
  let logBytes = 0;
  let logShown = 0;
  const snapshotDir = values["snapshot-dir"];
  if (snapshotDir) await mkdir(snapshotDir, { recursive: true });
  let inspectorFailures = 0;
  const snapshot = async (name: string) => {
    if (!snapshotDir || !inspector) return;
    const path = join(snapshotDir, `soak-${name}.heapsnapshot`);
    try {
      await inspector.snapshot(path);
      log(`heap snapshot written to ${path}`);
    } catch (error) {
      log(`snapshot: ${(error as Error).message}`);
    }
  };
  const takeSample = async (i: number): Promise<Sample> => {
    countDeliveries();
    const processes = memoryOf(group);
    const runtime = processes.find((p) => p.role === "runtime");
    let heapUsed: number | null = null;
    let heapAfterGc: number | null = null;
    let backing: number | null = null;
    let heapTotal: number | null = null;
    if (inspector) {
      try {
        const usage = await inspector.heapUsage(false);
        heapUsed = usage.used_mb;
        heapTotal = usage.total_mb;
        backing = usage.backing_mb;
        // A forced GC once a minute shows what stays reachable; between them the heap runs free.
        if (i % Math.max(1, Math.round(60_000 / sampleMs)) === 0)
          heapAfterGc = (await inspector.heapUsage(true)).used_mb;
      } catch (error) {
        log(`inspector: ${(error as Error).message}`);
        if (++inspectorFailures >= 3) {
          log("inspector: giving up after 3 failures");
          inspector.close();
          inspector = undefined;
        }
      }
    }
    // Committed heaps each sample; once a minute also what stays reachable after a forced GC.
    const internal: Record<string, number> = {};
    const gcMinute = i % Math.max(1, Math.round(60_000 / sampleMs)) === 0;
    let internalAfterGc: number | null = null;
    await Promise.all(
      [...internals].map(async ([id, session]) => {
        const usage = await session.heapUsage(false).catch(() => null);
        if (usage) internal[id] = usage.total_mb;
        if (!gcMinute) return;
        const collected = await session.heapUsage(true).catch(() => null);
        if (collected) internalAfterGc = (internalAfterGc ?? 0) + collected.used_mb;
      }),
    );
    try {
      logBytes = statSync(wranglerLog).size;
    } catch {
      // no log yet
    }
    return {
      t_s: Math.round((Date.now() - t0) / 1000),
      processes,
      workerd_rss_mb: mb(
        processes
          .filter((p) => p.role !== "wrangler")
          .reduce((sum, p) => sum + p.rss_mb * 2 ** 20, 0),
      ),
      runtime_rss_mb: runtime?.rss_mb ?? null,
      runtime_anon_mb: runtime?.anon_mb ?? null,
      heap_used_mb: heapUsed,
      heap_after_gc_mb: heapAfterGc,
      heap_committed_mb: heapTotal,
      array_buffers_mb: backing,
      internal_heaps_mb: internals.size
        ? mb(Object.values(internal).reduce((sum, v) => sum + v * 2 ** 20, 0))
        : null,
      internal_heaps_after_gc_mb: internalAfterGc === null ? null : mb(internalAfterGc * 2 ** 20),
      internal_heaps: internal,
      state_mb: mb(diskUsage(persistDir)),
      deliveries,
      jobs_created: created,
      wrangler_log_kb: Math.round(logBytes / 1024),
    };
  };

  const total = Math.ceil((minutes * 60_000 + DRAIN_MS) / sampleMs);
  const stopAt = t0 + minutes * 60_000 + DRAIN_MS + sampleMs / 2;
  for (let i = 0; i <= total && Date.now() < stopAt; i++) {
    const at = t0 + i * sampleMs;
    if (at > Date.now()) await sleep(at - Date.now());
    const sample = await takeSample(i);
    samples.push(sample);
    for (const p of sample.processes) {
      const before = lastPid.get(p.role);
      if (before !== undefined && before !== p.pid) {
        restarts.push({ t_s: sample.t_s, role: p.role, from: before, to: p.pid });
        log(`WARNING: the ${p.role} process was replaced (pid ${before} -> ${p.pid})`);
      }
      lastPid.set(p.role, p.pid);
    }
    if (logBytes > logShown) {
      const text = await readFile(wranglerLog).catch(() => Buffer.alloc(0));
      const added = text
        .subarray(logShown)
        .toString("utf8")
        // Offline machines: wrangler cannot fetch `Request.cf`; not worth repeating.
        .replace(/.*Unable to fetch the `Request.cf` object.*\n/g, "")
        .replace(/Error: getaddrinfo ENOTFOUND[^\n]*\n(\s+at [^\n]*\n)*/g, "");
      logShown = text.length;
      if (added.trim()) log(`wrangler.log: ${added.trim().slice(0, 800)}`);
    }
    const procs = sample.processes.map((p) => `${p.role} ${p.rss_mb}`).join(", ");
    log(
      `t=${sample.t_s}s rss MB: ${procs}; heap ${sample.heap_used_mb ?? "-"}${sample.heap_after_gc_mb === null ? "" : ` (gc ${sample.heap_after_gc_mb})`} committed ${sample.heap_committed_mb ?? "-"} buffers ${sample.array_buffers_mb ?? "-"}; other isolates ${sample.internal_heaps_mb ?? "-"}${sample.internal_heaps_after_gc_mb === null ? "" : ` (gc ${sample.internal_heaps_after_gc_mb})`}; state ${sample.state_mb} MB; deliveries ${sample.deliveries}; jobs ${sample.jobs_created}; log ${sample.wrangler_log_kb} KB`,
    );
    if (i === Math.round(60_000 / sampleMs)) await snapshot(`${sample.t_s}s`);
  }
  await snapshot("end");
  await creator;
  const runSeconds = Math.round((samples.at(-1)?.t_s ?? 0) - 1);
  await cleanup();
  system = undefined;
  clearTimeout(watchdog);

  const report = {
    date: new Date(started).toISOString(),
    duration_s: Math.round((Date.now() - started) / 1000),
    params: {
      minutes,
      sample_seconds: sampleMs / 1000,
      cron_jobs: CRON_JOBS,
      one_time_jobs_per_second: JOBS_PER_SECOND,
      log_level: logLevel,
      targets: targetMode,
      local_observability: localObservability,
      inspector: sessions,
      tier: "standard",
      ...(process.env.BENCH_SOURCE_DIR && !scratch ? { source: process.env.BENCH_SOURCE_DIR } : {}),
    },
    machine: {
      cores: cpus().length,
      memory_gb: Math.round(totalmem() / 2 ** 30),
      load_average: { start: loadAtStart, end: loadAverage() },
    },
    versions: versions(),
    counts: {
      jobs_created: created,
      deliveries,
      once_deliveries: byPath["/once"] ?? 0,
      once_expected: created - CRON_JOBS,
      cron_deliveries: byPath["/cron"] ?? 0,
      cron_expected_about: runSeconds * CRON_JOBS,
      skipped_ticks: skippedTicks,
      process_restarts: restarts.length,
      failed_requests: failedRequests,
    },
    summary: summary(samples),
    restarts,
    samples: samples.map(({ processes, ...rest }) => ({
      ...rest,
      processes: processes.map(({ role, rss_mb, anon_mb, file_mb }) => ({
        role,
        rss_mb,
        anon_mb,
        file_mb,
      })),
    })),
  };
  await mkdir(values.out, { recursive: true });
  // Hand-kept findings survive a new run: `variants` in soak.json, `## Notes` onwards in soak.md.
  const previousJson = await readFile(join(values.out, "soak.json"), "utf8").catch(() => "{}");
  let variants: unknown;
  try {
    variants = (JSON.parse(previousJson) as { variants?: unknown }).variants;
  } catch {
    // not JSON: start afresh
  }
  const json = variants === undefined ? report : { ...report, variants };
  await writeFile(join(values.out, "soak.json"), compactJson(json));
  console.log(`\n${await writeMarkdown(report, samples)}`);
  log(`written ${join(values.out, "soak.json")} and soak.md`);
}

/** Indented JSON with one line per sample, so the file stays small and readable. */
function compactJson(value: { samples: unknown[] }): string {
  const rows = value.samples.map((s) => `    ${JSON.stringify(s)}`).join(",\n");
  const text = JSON.stringify({ ...value, samples: "@samples" }, null, 2);
  return `${text.replace('"@samples"', `[\n${rows}\n  ]`)}\n`;
}

/** Writes soak.md, keeping its `## Notes` section; returns the generated part. */
async function writeMarkdown(report: Parameters<typeof markdown>[0], samples: Sample[]) {
  const previous = await readFile(join(values.out, "soak.md"), "utf8").catch(() => "");
  const notes = previous.indexOf("\n## Notes");
  const md = markdown(report, samples);
  await writeFile(join(values.out, "soak.md"), notes < 0 ? md : `${md}${previous.slice(notes)}`);
  return md;
}

/** `--render`: soak.md again from soak.json (after a change to the table or the notes). */
async function render(): Promise<void> {
  const report = JSON.parse(await readFile(join(values.out, "soak.json"), "utf8")) as Parameters<
    typeof markdown
  >[0] & { samples: Sample[] };
  await writeMarkdown(report, report.samples);
  log(`rendered ${join(values.out, "soak.md")}`);
}

function versions(): Record<string, string> {
  const version = (pkg: string) =>
    JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8"))
      .version as string;
  let commit = "";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
  } catch {
    // not a checkout
  }
  return {
    node: process.version,
    wrangler: version("wrangler"),
    workerd: version("workerd"),
    commit,
  };
}

/** The sample nearest each whole minute, and the last one. */
function perMinute(samples: Sample[]): Sample[] {
  const last = samples.at(-1);
  if (!last) return [];
  const out: Sample[] = [];
  for (let m = 0; m <= Math.floor(last.t_s / 60); m++) {
    const near = samples.reduce((best, s) =>
      Math.abs(s.t_s - m * 60) < Math.abs(best.t_s - m * 60) ? s : best,
    );
    if (!out.includes(near)) out.push(near);
  }
  if (!out.includes(last)) out.push(last);
  return out;
}

function summary(samples: Sample[]) {
  const first = samples.find((s) => s.t_s >= 60) ?? samples[0];
  const last = samples.at(-1);
  const delta = (f: (s: Sample) => number | null) =>
    first && last && f(first) !== null && f(last) !== null
      ? Math.round(((f(last) as number) - (f(first) as number)) * 10) / 10
      : null;
  const gcs = samples.filter((s) => s.heap_after_gc_mb !== null);
  return {
    workerd_rss_mb: {
      start: samples[0]?.workerd_rss_mb,
      after_1_min: first?.workerd_rss_mb,
      end: last?.workerd_rss_mb,
      max: Math.max(...samples.map((s) => s.workerd_rss_mb)),
    },
    growth_after_first_minute_mb: {
      workerd_rss: delta((s) => s.workerd_rss_mb),
      runtime_rss: delta((s) => s.runtime_rss_mb),
      runtime_anon: delta((s) => s.runtime_anon_mb),
      proxy_rss: delta((s) => s.processes.find((p) => p.role === "proxy")?.rss_mb ?? null),
      state_on_disk: delta((s) => s.state_mb),
      heap_after_gc:
        gcs.length > 1
          ? Math.round(
              ((gcs.at(-1)?.heap_after_gc_mb ?? 0) -
                (gcs.find((s) => s.t_s >= 60)?.heap_after_gc_mb ?? gcs[0]?.heap_after_gc_mb ?? 0)) *
                10,
            ) / 10
          : null,
    },
    wrangler_log_kb: last?.wrangler_log_kb,
  };
}

function markdown(
  report: {
    date: string;
    params: Record<string, unknown>;
    counts: Record<string, number>;
    summary: ReturnType<typeof summary>;
    restarts: { t_s: number; role: string }[];
    versions: Record<string, string>;
  },
  samples: Sample[],
): string {
  // Heap columns only when a session measured them (--inspector).
  const columns: [string, (s: Sample) => string][] = [
    ["minute", (s) => (s.t_s / 60).toFixed(1)],
    [
      "workerd RSS MB (runtime + proxy)",
      (s) =>
        `${s.workerd_rss_mb} (${s.runtime_rss_mb ?? "-"} + ${s.processes.find((p) => p.role === "proxy")?.rss_mb ?? "-"})`,
    ],
    ["runtime anon MB", (s) => String(s.runtime_anon_mb ?? "-")],
  ];
  if (samples.some((s) => s.heap_used_mb !== null)) {
    columns.push(
      [
        "JS heap MB used (after GC) / committed",
        (s) =>
          `${s.heap_used_mb ?? "-"}${s.heap_after_gc_mb === null ? "" : ` (${s.heap_after_gc_mb})`} / ${s.heap_committed_mb ?? "-"}`,
      ],
      ["ArrayBuffers MB", (s) => String(s.array_buffers_mb ?? "-")],
    );
  }
  if (samples.some((s) => s.internal_heaps_mb !== null)) {
    columns.push([
      "Miniflare isolates' heaps MB committed (after GC)",
      (s) =>
        `${s.internal_heaps_mb ?? "-"}${s.internal_heaps_after_gc_mb === null ? "" : ` (${s.internal_heaps_after_gc_mb})`}`,
    ]);
  }
  columns.push(
    ["state on disk MB", (s) => String(s.state_mb)],
    ["deliveries", (s) => String(s.deliveries)],
  );
  const lines = [
    "# Memory soak (`npm run soak`)",
    "",
    `${report.date}, commit ${report.versions.commit}: ${report.params.minutes} min, 20 cron jobs every second + 20 one-time jobs a second, LOG_LEVEL=${report.params.log_level}, targets ${report.params.targets}, local observability ${report.params.local_observability}, inspector ${report.params.inspector}, wrangler ${report.versions.wrangler}, workerd ${report.versions.workerd}.`,
    "RSS from /proc/<pid>/status; runtime = the workerd running the Worker, proxy = wrangler's proxy workerd; state = bytes under --persist-to.",
    "",
    `| ${columns.map(([name]) => name).join(" | ")} |`,
    `|${columns.map(() => "---|").join("")}`,
    ...perMinute(samples).map((s) => `| ${columns.map(([, cell]) => cell(s)).join(" | ")} |`),
  ];
  const g = report.summary.growth_after_first_minute_mb;
  lines.push(
    "",
    `Growth from minute 1 to the end: workerd RSS ${g.workerd_rss} MB (runtime ${g.runtime_rss}, of it anonymous ${g.runtime_anon}; proxy ${g.proxy_rss})${g.heap_after_gc === null ? "" : `, JS heap after GC ${g.heap_after_gc} MB`}, state on disk ${g.state_on_disk} MB.`,
    ...(report.restarts.length
      ? [
          `WARNING: a process was replaced during the run (${report.restarts.map((r) => `${r.role} at ${r.t_s} s`).join(", ")}); its memory restarted from zero.`,
        ]
      : []),
    `Counts: ${Object.entries(report.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
    "",
  );
  return lines.join("\n");
}

(values.render ? render() : main()).catch(async (error) => {
  console.error(error);
  await shutdown(1);
});
