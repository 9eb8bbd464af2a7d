/**
 * Charts of the tenant's runs over the last hour or day, from its per-minute rollup
 * (`GET /v1/stats`, kept by the tenant's object for 24 hours): runs finished by outcome, and the
 * fire lag p50/p99 of first attempts. Below them, totals from the tenant's metrics (counters since
 * its object started counting). The chart components take a plain series.
 */
import { api } from "../api";
import { useAsync, useInterval } from "../hooks";
import {
  byLabel,
  finishedByOutcome,
  fireLagSeries,
  histogramQuantile,
  OUTCOMES,
  parsePrometheus,
  total,
} from "../metrics";
import { Link, location, navigate, withQuery } from "../router";
import { useStore } from "../store";
import { durationText, localZone } from "../time";
import { Lines, StackedBars } from "../ui/chart";
import { ErrorBox, Facts, Loading, Page, Time } from "../ui/components";

const WINDOWS = {
  hour: { label: "Last hour", runBucketMs: 60_000, runText: "per minute" },
  day: { label: "Last day", runBucketMs: 900_000, runText: "per 15 minutes" },
} as const;
type WindowName = keyof typeof WINDOWS;

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
  const stats = useAsync((signal) => api().stats({ window: name }, { signal }), [name]);
  useInterval(stats.reload, 30_000, !stats.loading);
  const minutes = stats.data?.window === name ? stats.data.minutes : undefined;
  const finished = minutes ? finishedByOutcome(minutes, spec.runBucketMs) : [];
  const lag = minutes ? fireLagSeries(minutes) : [];
  const count = finished.reduce(
    (sum, p) => sum + Object.values(p.values).reduce<number>((a, v) => a + (v ?? 0), 0),
    0,
  );
  const started = minutes?.reduce((sum, m) => sum + m.fire_lag_ms.count, 0) ?? 0;
  return (
    <Page
      title="Charts"
      actions={
        <button type="button" class="button plain" onClick={stats.reload}>
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
      <Loading when={stats.loading} label="Reading the statistics…" />
      <ErrorBox
        error={stats.error}
        onRetry={stats.reload}
        context="Could not read the statistics"
      />
      {minutes ? (
        <>
          <p class="hint" id="charts-summary">
            {count} run{count === 1 ? "" : "s"} finished and {started} first attempt
            {started === 1 ? "" : "s"} started in the {spec.label.toLowerCase()}; times in {zone}.
          </p>
          <div class="charts">
            <StackedBars
              title={`Runs finished ${spec.runText}, by outcome`}
              points={finished}
              series={OUTCOMES.map((o) => ({ key: o.key, label: o.label }))}
              zone={zone}
              bucketMs={spec.runBucketMs}
            />
            <Lines
              title="Fire lag per minute (p50, p99)"
              points={lag}
              series={[
                { key: "p50", label: "p50" },
                { key: "p99", label: "p99" },
              ]}
              zone={zone}
              bucketMs={60_000}
              unit={(v) => durationText(v)}
            />
          </div>
          <p class="muted small">
            Fire lag: scheduled time to the start of a run's first attempt, estimated from a
            histogram per minute. Read at <Time iso={new Date().toISOString()} />.
          </p>
        </>
      ) : null}
      <Totals />
    </Page>
  );
}
