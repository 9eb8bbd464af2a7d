// The soak's report: a summary of the samples, soak.json and soak.md (also re-rendered alone).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Sample } from "./sample.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** What soak.md is made of, besides the samples. */
export type ReportHead = Parameters<typeof markdown>[0];

/** Writes soak.json and soak.md to `out`, keeping their hand-kept parts; prints the table. */
export async function writeReport(
  out: string,
  report: ReportHead & { samples: unknown[] },
  samples: Sample[],
  log: (message: string) => void,
): Promise<void> {
  await mkdir(out, { recursive: true });
  // Hand-kept findings survive a new run: `variants` in soak.json, `## Notes` onwards in soak.md.
  const previousJson = await readFile(join(out, "soak.json"), "utf8").catch(() => "{}");
  let variants: unknown;
  try {
    variants = (JSON.parse(previousJson) as { variants?: unknown }).variants;
  } catch {
    // not JSON: start afresh
  }
  const json = variants === undefined ? report : { ...report, variants };
  await writeFile(join(out, "soak.json"), compactJson(json));
  console.log(`\n${await writeMarkdown(out, report, samples)}`);
  log(`written ${join(out, "soak.json")} and soak.md`);
}

/** Indented JSON with one line per sample, so the file stays small and readable. */
function compactJson(value: { samples: unknown[] }): string {
  const rows = value.samples.map((s) => `    ${JSON.stringify(s)}`).join(",\n");
  const text = JSON.stringify({ ...value, samples: "@samples" }, null, 2);
  return `${text.replace('"@samples"', `[\n${rows}\n  ]`)}\n`;
}

/** Writes soak.md, keeping its `## Notes` section; returns the generated part. */
async function writeMarkdown(out: string, report: ReportHead, samples: Sample[]) {
  const previous = await readFile(join(out, "soak.md"), "utf8").catch(() => "");
  const notes = previous.indexOf("\n## Notes");
  const md = markdown(report, samples);
  await writeFile(join(out, "soak.md"), notes < 0 ? md : `${md}${previous.slice(notes)}`);
  return md;
}

/** `--render`: soak.md again from soak.json (after a change to the table or the notes). */
export async function render(out: string, log: (message: string) => void): Promise<void> {
  const report = JSON.parse(await readFile(join(out, "soak.json"), "utf8")) as ReportHead & {
    samples: Sample[];
  };
  await writeMarkdown(out, report, report.samples);
  log(`rendered ${join(out, "soak.md")}`);
}

export function versions(): Record<string, string> {
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

export function summary(samples: Sample[]) {
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
