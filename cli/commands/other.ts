/** schedules preview, metrics, health. */
import type { Schedule, SchedulePreview } from "../../src/client/index.ts";
// The console's own time functions (pure Intl), so both show zones and DST days alike.
import { dstChangeOnDay, formatInZone, formatUtc, weekday } from "../../src/console/client/time.ts";
import { type Command, choice, flag, int, str } from "../command.ts";
import { parseDuration } from "../job-input.ts";
import { EXIT, table, time, UsageError } from "../output.ts";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of a Prometheus text page (comments skipped). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c: string) =>
        c === "n" ? "\n" : c,
      );
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * Fire times as people read them: each in the schedule's zone (with its weekday and UTC offset)
 * and in UTC, and the days on which the zone's clocks change marked as the console marks them.
 */
export function showFireTimes(preview: Pick<SchedulePreview, "fire_times" | "timezone">): string {
  const zone = preview.timezone;
  if (preview.fire_times.length === 0) return `no fire times: this schedule does not run again`;
  const rows = preview.fire_times.map((iso) => {
    const instant = Date.parse(iso);
    const change = dstChangeOnDay(instant, zone);
    return {
      local: `${weekday(instant, zone)} ${formatInZone(iso, zone)}`,
      utc: formatUtc(iso),
      note: change ? `DST change: ${change.fromName} → ${change.toName}` : "",
    };
  });
  const columns =
    zone === "UTC"
      ? [["UTC"], ...rows.map((r) => [r.local])]
      : [[zone, "UTC"], ...rows.map((r) => [r.local, r.utc])];
  const widths = (columns[0] as string[]).map((_, i) =>
    Math.max(...columns.map((c) => (c[i] ?? "").length)),
  );
  return columns
    .map((cells, row) =>
      [
        ...cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)),
        row === 0 ? "" : (rows[row - 1]?.note ?? ""),
      ]
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export const otherCommands: Command[] = [
  {
    name: "schedules preview",
    summary: "the next fire times of a schedule not yet saved",
    auth: "tenant",
    options: {
      cron: { type: "string", value: "<expr>", description: "5 or 6 fields" },
      timezone: { type: "string", value: "<zone>", description: "IANA zone (default UTC)" },
      at: { type: "string", value: "<time>", description: "a one-time instant" },
      delay: { type: "string", value: "<duration>", description: "a one-time delay: 90, 5m, 2h" },
      count: { type: "string", value: "<n>", description: "how many (1 to 100, default 10)" },
    },
    async run(ctx) {
      const cron = str(ctx.values, "cron");
      const at = str(ctx.values, "at");
      const delay = str(ctx.values, "delay");
      const timezone = str(ctx.values, "timezone");
      let schedule: Schedule;
      if (cron !== undefined && at === undefined && delay === undefined)
        schedule = { cron, ...(timezone ? { timezone } : {}) };
      else if (at !== undefined && cron === undefined && delay === undefined) schedule = { at };
      else if (delay !== undefined && cron === undefined && at === undefined)
        schedule = { delay_seconds: parseDuration(delay, "delay") };
      else throw new UsageError("give exactly one of --cron, --at and --delay");
      const preview = await ctx.client.schedules.preview({
        schedule,
        ...(int(ctx.values, "count", { min: 1, max: 100 }) !== undefined
          ? { count: int(ctx.values, "count") }
          : {}),
      });
      ctx.print(preview, () => showFireTimes(preview));
      return undefined;
    },
  },
  {
    name: "metrics",
    summary: "the tenant's Prometheus metrics (--admin: tenant counts, admin token)",
    auth: (values) => (values.admin === true ? "admin" : "tenant"),
    options: {
      admin: { type: "boolean", description: "GET /v1/admin/metrics instead" },
      filter: {
        type: "string",
        value: "<text>",
        description: "only samples whose name contains this",
      },
    },
    async run(ctx) {
      const text = flag(ctx.values, "admin")
        ? await ctx.client.adminMetrics()
        : await ctx.client.metrics();
      const filter = str(ctx.values, "filter");
      const samples = parsePrometheus(text).filter((s) => !filter || s.name.includes(filter));
      ctx.print(samples, () =>
        filter
          ? table(samples, [
              ["NAME", (s) => s.name],
              [
                "LABELS",
                (s) =>
                  Object.entries(s.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" "),
              ],
              ["VALUE", (s) => s.value],
            ])
          : text.trimEnd(),
      );
      return undefined;
    },
  },
  {
    name: "stats",
    summary: "runs finished per minute by status and fire lag p50/p99 (last hour or day)",
    auth: "tenant",
    options: {
      window: { type: "string", value: "<hour|day>", description: "default hour" },
    },
    async run(ctx) {
      const stats = await ctx.client.stats({
        window: choice(ctx.values, "window", ["hour", "day"] as const),
      });
      const statuses = [...new Set(stats.minutes.flatMap((m) => Object.keys(m.runs)))].sort();
      const ms = (value: number | null) => (value === null ? "-" : `${Math.round(value)} ms`);
      ctx.print(stats, () =>
        stats.minutes.length
          ? table(stats.minutes, [
              ["MINUTE", (m) => time(m.minute)],
              ...statuses.map(
                (status): [string, (m: (typeof stats.minutes)[number]) => unknown] => [
                  status.toUpperCase(),
                  (m) => m.runs[status] ?? 0,
                ],
              ),
              ["STARTED", (m) => m.fire_lag_ms.count],
              ["LAG P50", (m) => ms(m.fire_lag_ms.p50)],
              ["LAG P99", (m) => ms(m.fire_lag_ms.p99)],
            ])
          : `no runs in the last ${stats.window}`,
      );
      return undefined;
    },
  },
  {
    name: "health",
    summary: "is the Worker up (/health) and its storage reachable (/health/ready)",
    auth: "none",
    async run(ctx) {
      const live = await ctx.client.health();
      try {
        const ready = await ctx.client.ready();
        ctx.print({ live: live.status, ready: ready.status }, `${live.status}, ${ready.status}`);
        return EXIT.ok;
      } catch (error) {
        ctx.print({ live: live.status, ready: "not ready" }, `${live.status}, not ready`);
        throw error;
      }
    },
  },
];
