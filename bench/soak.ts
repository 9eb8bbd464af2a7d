// Entry of `npm run soak [-- --minutes 10]`: a memory soak of `wrangler dev` (issue item 18).
//
// One standard tenant; 20 jobs on a 1-second cron and, every second, a batch of 20 one-time jobs
// due one second later, all delivering to the local sink. Every `--sample-seconds` (10) it records
// the resident memory of the wrangler process group (each `workerd`, split into anonymous and
// file-backed pages, and wrangler's node process), the bytes under --persist-to and the deliveries
// the sink received; with --inspector also the V8 heaps (`Runtime.getHeapUsage`; once a minute
// after a forced GC) of our Worker's isolate and of Miniflare's isolates in the same process.
// Writes soak.json and soak.md to `--out` (bench/results).
// Its parts are in bench/soak/: proc.ts (memory from /proc), inspector.ts (isolates' heaps),
// system-under-test.ts (wrangler dev, started and stopped), sample.ts and report.ts.
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
import { statSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Api, type Tenant } from "./client.ts";
import { loadAverage } from "./report.ts";
import { diskUsage, mb, memoryOf } from "./soak/proc.ts";
import { render, summary, versions, writeReport } from "./soak/report.ts";
import type { Sample } from "./soak/sample.ts";
import { SystemUnderTest } from "./soak/system-under-test.ts";

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

/** What the run started; stopped at its end, on a failure or a signal. */
const underTest = new SystemUnderTest(values["keep-log"]);

async function shutdown(code: number): Promise<never> {
  await underTest.cleanup(code !== 0);
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

  const {
    system: sys,
    group,
    persistDir,
    rawDir,
  } = await underTest.start({ minutes, logLevel, targetMode, localObservability, sessions }, log);

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
    if (!snapshotDir || !underTest.inspector) return;
    const path = join(snapshotDir, `soak-${name}.heapsnapshot`);
    try {
      await underTest.inspector.snapshot(path);
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
    if (underTest.inspector) {
      try {
        const usage = await underTest.inspector.heapUsage(false);
        heapUsed = usage.used_mb;
        heapTotal = usage.total_mb;
        backing = usage.backing_mb;
        // A forced GC once a minute shows what stays reachable; between them the heap runs free.
        if (i % Math.max(1, Math.round(60_000 / sampleMs)) === 0)
          heapAfterGc = (await underTest.inspector.heapUsage(true)).used_mb;
      } catch (error) {
        log(`inspector: ${(error as Error).message}`);
        if (++inspectorFailures >= 3) {
          log("inspector: giving up after 3 failures");
          underTest.inspector.close();
          underTest.inspector = undefined;
        }
      }
    }
    // Committed heaps each sample; once a minute also what stays reachable after a forced GC.
    const internal: Record<string, number> = {};
    const gcMinute = i % Math.max(1, Math.round(60_000 / sampleMs)) === 0;
    let internalAfterGc: number | null = null;
    await Promise.all(
      [...underTest.internals].map(async ([id, session]) => {
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
      internal_heaps_mb: underTest.internals.size
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
  await underTest.cleanup();
  underTest.system = undefined;
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
      ...(process.env.BENCH_SOURCE_DIR && !underTest.scratch
        ? { source: process.env.BENCH_SOURCE_DIR }
        : {}),
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
  await writeReport(values.out, report, samples, log);
}

(values.render ? render(values.out, log) : main()).catch(async (error) => {
  console.error(error);
  await shutdown(1);
});
