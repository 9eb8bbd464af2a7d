// W12 object ceiling: one tenant's object driven through materialize → claim → report at
// saturation by the consumer's calls made directly (bench/object-ceiling, its own wrangler dev):
// runs/s, CPU ms per run inside the object, object requests per run, with claims of 6 runs (what
// the production consumer makes) and of 100 (the most a queue batch holds).
import type { DriveInput, DriveResult } from "../object-ceiling/protocol.ts";
import { canMeasureCpu, cpuOfTrees, cpuSpent } from "../process-cpu.ts";
import { startProfile } from "../profile.ts";
import type { Target, WorkloadResult } from "../report.ts";
import { perSecond, ratio } from "../stats.ts";
import { startObjectBench, type WranglerDev } from "../system.ts";
import { type Context, sleep, tenantId } from "./common.ts";

/** Claim sizes measured: the production consumer's (six slots, decision 69) and a full batch. */
const CLAIM_SIZES = [6, 100] as const;
/** Consumer invocations claiming at once: 16 × 6 ≈ the 100 runs a tenant may have queued. */
const CONCURRENCY = 16;
/** Jobs the object creates per second, assumed until W12's first tenant has measured it. */
const ASSUMED_CREATION_PER_S = 2000;

async function post<T>(dev: WranglerDev, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${dev.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`W12 ${path}: ${response.status} ${text.slice(0, 800)}`);
  return JSON.parse(text) as T;
}

interface Phase {
  drive: DriveResult;
  /** CPU ms of the bench Worker's processes (wrangler, workerd) over the drive. */
  cpu: { total_ms: number; by_command: Record<string, number> } | null;
  /** From the due time (or, for the echo object, the drive's start) to the last report. */
  spanMs: number;
  late: boolean;
}

async function measured(
  ctx: Context,
  dev: WranglerDev,
  input: DriveInput,
  startAt: number | null,
): Promise<Phase> {
  const cpuOk = canMeasureCpu();
  if (startAt !== null) await sleep(Math.max(0, startAt - Date.now() - 200));
  const late = startAt !== null && Date.now() > startAt;
  // `--profile`: the real object's drives, in the bench Worker's isolate (object and driver).
  const profile =
    ctx.profile && input.object === "tenant"
      ? await startProfile(dev.inspectorPort, dev.dir).catch((error) => {
          ctx.log(`  no CPU profile: ${error}`);
          return null;
        })
      : null;
  const before = cpuOk ? cpuOfTrees([dev.pid]) : null;
  const drive = await post<DriveResult>(dev, "/drive", input);
  const cpu = before ? cpuSpent(before, cpuOfTrees([dev.pid])) : null;
  if (profile)
    ctx.log(`  CPU profile: ${await profile.stop(ctx.rawDir, `w12-c${input.claim_size}`)}`);
  const from = startAt ?? drive.drive_started_at;
  return { drive, cpu, spanMs: drive.last_report_at - from, late };
}

/** The real object: a fresh tenant, `runs` jobs due at one instant, then the drive. */
async function tenantPhase(
  ctx: Context,
  dev: WranglerDev,
  runs: number,
  claimSize: number,
  creationPerS: number,
): Promise<Phase & { creationPerS: number }> {
  const tenant = tenantId(`w12-c${claimSize}`);
  const t0 = Date.now();
  const due = t0 + Math.ceil((runs / creationPerS) * 1500) + 2000;
  const { token } = await post<{ token: string }>(dev, "/prepare", {
    tenant_id: tenant,
    runs,
    due_at: due,
  });
  const created = perSecond(runs, Date.now() - t0);
  ctx.log(`  claims of ${claimSize}: ${runs} jobs due at ${new Date(due).toISOString()}`);
  const phase = await measured(
    ctx,
    dev,
    {
      tenant_id: tenant,
      token,
      runs,
      claim_size: claimSize,
      concurrency: CONCURRENCY,
      object: "tenant",
      deadline_ms: Math.max(120_000, runs * 20),
    },
    due,
  );
  return { ...phase, creationPerS: created };
}

/** The calibration: the same loop against an object that does nothing (echo-scheduler.ts). */
function echoPhase(
  ctx: Context,
  dev: WranglerDev,
  runs: number,
  claimSize: number,
): Promise<Phase> {
  return measured(
    ctx,
    dev,
    {
      tenant_id: tenantId(`w12-echo${claimSize}`),
      token: null,
      runs,
      claim_size: claimSize,
      concurrency: CONCURRENCY,
      object: "echo",
      deadline_ms: Math.max(60_000, runs * 10),
    },
    null,
  );
}

const per = (x: number | undefined, runs: number) =>
  x === undefined || runs === 0 ? Number.NaN : Math.round((x / runs) * 1000) / 1000;

/** The figures of one claim size: measured throughput, CPU split, requests and rows per run. */
function figures(real: Phase, echo: Phase) {
  const runs = real.drive.claimed;
  const c = real.drive.counters ?? {};
  const totalCpu = real.cpu ? per(real.cpu.total_ms, runs) : null;
  const driverCpu = echo.cpu ? per(echo.cpu.total_ms, echo.drive.claimed) : null;
  const objectCpu =
    totalCpu !== null && driverCpu !== null
      ? Math.round(Math.max(0, totalCpu - driverCpu) * 1000) / 1000
      : null;
  // The counters were read by two metrics calls; the first one's request falls in the window.
  const requests = (c.scheduler_object_requests_total ?? Number.NaN) - 1;
  const alarms = requests - real.drive.claim_calls - real.drive.report_calls;
  return {
    runs_per_s: perSecond(runs, real.spanMs),
    span_ms: real.spanMs,
    cpu_ms_per_run_all: totalCpu,
    cpu_ms_per_run_driver: driverCpu,
    cpu_ms_per_run_object: objectCpu,
    object_ceiling_runs_per_s: objectCpu && objectCpu > 0 ? Math.round(1000 / objectCpu) : null,
    object_requests_per_run: per(requests, runs),
    claims_per_run: per(real.drive.claim_calls, runs),
    reports_per_run: per(real.drive.report_calls, runs),
    alarms_per_run: per(alarms, runs),
    rows_read_per_run: per(c.scheduler_sqlite_rows_read_total, runs),
    rows_written_per_run: per(c.scheduler_sqlite_rows_written_total, runs),
    echo_runs_per_s: perSecond(echo.drive.claimed, echo.spanMs),
  };
}

export async function objectCeiling(ctx: Context): Promise<WorkloadResult> {
  const runs = ctx.quick ? 3000 : 20_000;
  const dev = await startObjectBench({ rawDir: ctx.rawDir });
  const bySize: Record<number, ReturnType<typeof figures>> = {};
  const counts: Record<string, number> = {};
  const cpuByCommand: Record<string, Record<string, number>> = {};
  const notes: string[] = [];
  try {
    let creationPerS = ctx.batchRate > 1000 ? ctx.batchRate : ASSUMED_CREATION_PER_S;
    for (const size of CLAIM_SIZES) {
      const echo = await echoPhase(ctx, dev, runs, size);
      const real = await tenantPhase(ctx, dev, runs, size, creationPerS);
      creationPerS = Math.min(real.creationPerS, 20_000);
      bySize[size] = figures(real, echo);
      counts[`claimed_c${size}`] = real.drive.claimed;
      counts[`lost_c${size}`] = real.drive.not_claimed;
      counts[`claimed_twice_c${size}`] = real.drive.claimed_twice;
      counts[`succeeded_c${size}`] = real.drive.counters?.scheduler_runs_finished_total ?? 0;
      if (real.cpu) cpuByCommand[`claims_of_${size}`] = real.cpu.by_command;
      if (echo.cpu) cpuByCommand[`claims_of_${size}_echo`] = echo.cpu.by_command;
      if (real.late) notes.push(`claims of ${size}: job creation overran the due time.`);
      ctx.log(`  claims of ${size}: ${JSON.stringify(bySize[size])}`);
    }
  } finally {
    await dev.stop();
  }
  const six = bySize[6];
  const hundred = bySize[100];
  const lost = CLAIM_SIZES.reduce((n, s) => n + (counts[`lost_c${s}`] ?? 0), 0);
  const twice = CLAIM_SIZES.reduce((n, s) => n + (counts[`claimed_twice_c${s}`] ?? 0), 0);
  const flat = Object.fromEntries(
    CLAIM_SIZES.flatMap((s) =>
      Object.entries(bySize[s] ?? {}).map(([k, v]) => [`${k}_c${s}`, v as number]),
    ),
  );
  const targets: Target[] = [
    {
      name: "runs/s, claims of 100",
      value: hundred?.runs_per_s ?? null,
      target: ">= 3000",
      met: (hundred?.runs_per_s ?? 0) >= 3000,
    },
    {
      name: "object requests per run, claims of 100",
      value: hundred?.object_requests_per_run ?? null,
      target: "<= 0.1",
      met: (hundred?.object_requests_per_run ?? Number.POSITIVE_INFINITY) <= 0.1,
    },
    {
      name: "runs/s, claims of 6 (production consumer)",
      value: six?.runs_per_s ?? null,
      target: ">= 3000",
      met: (six?.runs_per_s ?? 0) >= 3000,
    },
    { name: "lost", value: lost, target: "= 0", met: lost === 0 },
    { name: "claimed twice", value: twice, target: "= 0", met: twice === 0 },
  ];
  return {
    name: "W12 object ceiling",
    params: {
      runs_per_claim_size: runs,
      claim_sizes: CLAIM_SIZES.join(" and "),
      concurrent_claimers: CONCURRENCY,
      tier: "premium",
      target: "none (results reported directly)",
    },
    counts,
    throughput: {
      runs_per_s_c6: six?.runs_per_s ?? Number.NaN,
      runs_per_s_c100: hundred?.runs_per_s ?? Number.NaN,
    },
    per_run: flat,
    ratio: {
      c100_vs_c6_runs_per_s: ratio(hundred?.runs_per_s, six?.runs_per_s),
    },
    cpu: { by_phase_and_process_ms: cpuByCommand },
    notes: [
      "Bench-only Worker (bench/object-ceiling) in its own wrangler dev: the production TenantScheduler, the run queues replaced by a capture entrypoint, the consumer's claimRuns/reportResults calls made by a driver in the same isolate (16 claimers, the consumer's report buffer).",
      "cpu_ms_per_run_all: CPU of the bench Worker's processes (user + system, /proc) over the drive ÷ runs; _driver: the same loop against an object that does nothing; _object = all − driver; object_ceiling_runs_per_s = 1000 ÷ _object (the object alone on a thread, computed).",
      "runs/s: from the due time to the last report answered, the driver sharing the object's thread.",
      `tools/capacity.ts takes runs_per_s_c6 of the committed full run as OBJECT_RUNS_PER_S_W12 (this run: ${six?.runs_per_s ?? "n/a"}).`,
      ...notes,
    ],
    targets,
  };
}
