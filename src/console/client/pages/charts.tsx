/**
 * Charts of the tenant's runs: runs by outcome and fire lag p50/p99 over the last hour or day.
 *
 * The API has no per-minute history, so the series are built here from the run list (newest
 * first, at most MAX_PAGES pages read per view): exact while the window holds fewer runs than
 * that, otherwise the chart says which part of the window it covers. The totals come from the
 * tenant's metrics (counters since its object started counting). The chart components take a plain
 * series, so a rollup route can replace `runSeries` without touching them.
 */
import { api, type Run } from "../api";
import { useAsync, useInterval } from "../hooks";
import {
  byLabel,
  fireLagQuantiles,
  histogramQuantile,
  OUTCOMES,
  type Point,
  parsePrometheus,
  runsByOutcome,
  total,
  type Window,
} from "../metrics";
import { Link, location, navigate, withQuery } from "../router";
import { useStore } from "../store";
import { durationText, formatInZone, localZone } from "../time";
import { Lines, StackedBars } from "../ui/chart";
import { ErrorBox, Facts, Loading, Page, Time } from "../ui/components";

const WINDOWS = {
  hour: { label: "Last hour", span: 3_600_000, bucketMs: 60_000, bucketText: "per minute" },
  day: { label: "Last day", span: 86_400_000, bucketMs: 900_000, bucketText: "per 15 minutes" },
} as const;
type WindowName = keyof typeof WINDOWS;

const PAGE_SIZE = 200;
const MAX_PAGES = 10;

interface RunSeries {
  outcomes: Point[];
  lag: Point[];
  /** The oldest scheduled time the runs read reach back to (the window's start when complete). */
  coveredFrom: number;
  complete: boolean;
  runs: number;
}

/** Reads the runs of the window, newest first, and buckets them. */
async function runSeries(window: Window, signal: AbortSignal): Promise<RunSeries> {
  const runs: Run[] = [];
  let cursor: string | undefined;
  let complete = false;
  const list = api().runs.list({ limit: PAGE_SIZE }, { signal });
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await list.page(cursor);
    runs.push(...answer.data);
    const oldest = answer.data.at(-1);
    if (!answer.next_cursor || (oldest && Date.parse(oldest.scheduled_for) < window.from)) {
      complete = true;
      break;
    }
    cursor = answer.next_cursor;
  }
  const coveredFrom = complete
    ? window.from
    : Math.max(window.from, Date.parse(runs.at(-1)?.scheduled_for ?? String(window.from)));
  const blank = (points: Point[]) =>
    points.map((p) =>
      p.t + window.bucketMs <= coveredFrom
        ? { t: p.t, values: Object.fromEntries(Object.keys(p.values).map((k) => [k, null])) }
        : p,
    );
  const inWindow = runs.filter((r) => Date.parse(r.scheduled_for) >= window.from);
  return {
    outcomes: blank(runsByOutcome(inWindow, window)),
    lag: blank(fireLagQuantiles(inWindow, window)),
    coveredFrom,
    complete,
    runs: inWindow.length,
  };
}

function Totals() {
  const metrics = useAsync(async (signal) => parsePrometheus(await api().metrics({ signal })), []);
  const samples = metrics.data;
  if (!samples)
    return (
      <>
        <Loading when={metrics.loading} />
        <ErrorBox
          error={metrics.error}
          onRetry={metrics.reload}
          context="Could not read the metrics"
        />
      </>
    );
  const runs = byLabel(samples, "scheduler_runs", "status");
  const attempts = byLabel(samples, "scheduler_attempts_total", "outcome");
  const p50 = histogramQuantile(samples, "scheduler_fire_lag_seconds", 0.5);
  const p99 = histogramQuantile(samples, "scheduler_fire_lag_seconds", 0.99);
  const seconds = (v: number | null) => (v === null ? "no runs yet" : durationText(v * 1000));
  return (
    <section class="card" aria-labelledby="totals">
      <h2 id="totals">Now, and since counting began</h2>
      <p class="hint">
        From the tenant's metrics (<code>GET /v1/metrics</code>). Counters start when the tenant's
        object starts counting; fire lag quantiles are estimated from histogram buckets.
      </p>
      <Facts
        items={[
          [
            "Runs in flight",
            `${total(samples, "scheduler_runs_in_flight")} of ${total(samples, "scheduler_max_in_flight")}`,
          ],
          ["Waiting (pending)", String(runs.pending ?? 0)],
          ["Retrying", String(runs.retrying ?? 0)],
          ["Dead letters", <Link to="/dead-letters">{String(runs.dead ?? 0)}</Link>],
          [
            "Attempts",
            Object.keys(attempts).length
              ? Object.entries(attempts)
                  .map(([k, v]) => `${v} ${k.replace("_", " ")}`)
                  .join(", ")
              : "none yet",
          ],
          ["Fire lag p50", seconds(p50)],
          ["Fire lag p99", seconds(p99)],
          [
            "Requests refused (429)",
            String(total(samples, "scheduler_requests_rate_limited_total")),
          ],
        ]}
      />
    </section>
  );
}

export function ChartsPage() {
  const { query } = useStore(location);
  const name: WindowName = query.get("window") === "day" ? "day" : "hour";
  const spec = WINDOWS[name];
  const zone = localZone();
  const series = useAsync(
    (signal) => {
      const to = Math.ceil(Date.now() / spec.bucketMs) * spec.bucketMs;
      return runSeries({ from: to - spec.span, to, bucketMs: spec.bucketMs }, signal);
    },
    [name],
  );
  useInterval(series.reload, 60_000, !series.loading);
  const data = series.data;
  return (
    <Page
      title="Charts"
      actions={
        <button type="button" class="button plain" onClick={series.reload}>
          Refresh
        </button>
      }
    >
      <fieldset class="segmented">
        <legend class="visually-hidden">Window</legend>
        {(Object.keys(WINDOWS) as WindowName[]).map((w) => (
          <label class={`segment ${w === name ? "on" : ""}`}>
            <input
              type="radio"
              name="window"
              value={w}
              checked={w === name}
              onChange={() =>
                navigate(withQuery("/charts", query, { window: w }), { replace: true })
              }
            />
            {WINDOWS[w].label}
          </label>
        ))}
      </fieldset>
      <Loading when={series.loading} label="Reading runs…" />
      <ErrorBox error={series.error} onRetry={series.reload} context="Could not read the runs" />
      {data ? (
        <>
          <p class="hint">
            {data.runs} run{data.runs === 1 ? "" : "s"} scheduled in the {spec.label.toLowerCase()},
            by scheduled time, {spec.bucketText}, times in {zone}.{" "}
            {data.complete ? null : (
              <strong>
                Only runs from {formatInZone(data.coveredFrom, zone, { seconds: false })} on were
                read (the newest {PAGE_SIZE * MAX_PAGES}); earlier buckets are left empty.
              </strong>
            )}
          </p>
          <div class="charts">
            <StackedBars
              title={`Runs ${spec.bucketText} by outcome`}
              points={data.outcomes}
              series={OUTCOMES.map((o) => ({ key: o.key, label: o.label }))}
              zone={zone}
              bucketMs={spec.bucketMs}
            />
            <Lines
              title={`Fire lag ${spec.bucketText} (p50, p99)`}
              points={data.lag}
              series={[
                { key: "p50", label: "p50" },
                { key: "p99", label: "p99" },
              ]}
              zone={zone}
              bucketMs={spec.bucketMs}
              unit={(v) => durationText(v)}
            />
          </div>
          <p class="muted small">
            Read at <Time iso={new Date().toISOString()} />.
          </p>
        </>
      ) : null}
      <Totals />
    </Page>
  );
}
