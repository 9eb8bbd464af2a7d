/**
 * Two small SVG charts, drawn at the width they get: stacked bars (runs by outcome) and lines
 * (fire lag quantiles). Both take a plain series, `{ t, values: { key: number | null } }[]`, so
 * they draw whatever source fills it. Each comes with its numbers as a table for screen readers
 * and for reading exact values.
 */
import { useEffect, useRef, useState } from "hono/jsx/dom";
import { type Point, ticksFor } from "../metrics";
import { formatInZone, zoneAbbreviation } from "../time";

export interface Series {
  key: string;
  label: string;
}

const HEIGHT = 220;
const PAD = { top: 12, right: 12, bottom: 28, left: 48 };

function useWidth(): [{ current: HTMLDivElement | null }, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => setWidth(Math.max(240, Math.floor(element.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

function timeLabel(t: number, zone: string, bucketMs: number): string {
  const text = formatInZone(t, zone, { seconds: false });
  const [date, time] = text.split(" ");
  return bucketMs >= 3_600_000 || (t % 86_400_000 === 0 && bucketMs >= 600_000)
    ? `${date?.slice(5)} ${time}`
    : (time ?? text);
}

/** How many buckets apart the time labels are: round times, about one per 90 px. */
function labelStep(n: number, plotW: number, bucketMs: number): number {
  const wanted = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(plotW / 90))));
  const minutes = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440];
  const step = minutes
    .map((m) => (m * 60_000) / bucketMs)
    .find((b) => Number.isInteger(b) && b >= wanted);
  return step ?? wanted;
}

function Axes(props: {
  width: number;
  ticks: number[];
  points: Point[];
  zone: string;
  bucketMs: number;
  unit: (v: number) => string;
}) {
  const plotW = props.width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const max = props.ticks.at(-1) as number;
  const n = props.points.length;
  const every = labelStep(n, plotW, props.bucketMs);
  return (
    <g class="axes">
      {props.ticks.map((v) => {
        const y = PAD.top + plotH - (v / max) * plotH;
        return (
          <g>
            <line class="grid" x1={PAD.left} x2={props.width - PAD.right} y1={y} y2={y} />
            <text class="tick" x={PAD.left - 6} y={y + 4} text-anchor="end">
              {props.unit(v)}
            </text>
          </g>
        );
      })}
      {props.points.map((p, i) =>
        Math.round(p.t / props.bucketMs) % every === 0 ? (
          <text
            class="tick"
            x={PAD.left + (i + 0.5) * (plotW / n)}
            y={HEIGHT - 8}
            text-anchor="middle"
          >
            {timeLabel(p.t, props.zone, props.bucketMs)}
          </text>
        ) : null,
      )}
    </g>
  );
}

function DataTable(props: {
  points: Point[];
  series: Series[];
  zone: string;
  unit: (v: number) => string;
  caption: string;
}) {
  const rows = props.points.filter((p) => props.series.some((s) => (p.values[s.key] ?? 0) !== 0));
  return (
    <details class="chart-data">
      <summary>Show the numbers</summary>
      {rows.length === 0 ? (
        <p class="muted">No data in this window.</p>
      ) : (
        <table class="table compact">
          <caption class="visually-hidden">{props.caption}</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              {props.series.map((s) => (
                <th scope="col">{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr>
                <td>{formatInZone(p.t, props.zone, { seconds: false })}</td>
                {props.series.map((s) => {
                  const v = p.values[s.key];
                  return <td>{v === null || v === undefined ? "—" : props.unit(v)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

function Legend(props: { series: Series[]; prefix: string }) {
  return (
    <ul class="legend">
      {props.series.map((s) => (
        <li>
          <span class={`swatch ${props.prefix}-${s.key}`} aria-hidden="true" />
          {s.label}
        </li>
      ))}
    </ul>
  );
}

/** Stacked bars: one bar per bucket, a segment per series. */
export function StackedBars(props: {
  title: string;
  points: Point[];
  series: Series[];
  zone: string;
  bucketMs: number;
}) {
  const [ref, width] = useWidth();
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const totals = props.points.map((p) =>
    props.series.reduce((sum, s) => sum + (p.values[s.key] ?? 0), 0),
  );
  const ticks = ticksFor(Math.max(0, ...totals), true);
  const max = ticks.at(-1) as number;
  const n = Math.max(1, props.points.length);
  const slot = plotW / n;
  const barW = Math.max(1, slot - Math.min(4, slot * 0.25));
  const count = (v: number) => String(Math.round(v));
  const sum = totals.reduce((a, b) => a + b, 0);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <Legend series={props.series} prefix="series" />
      <div class="chart-box" ref={ref}>
        <svg
          width={width}
          height={HEIGHT}
          role="img"
          aria-label={`${props.title}: ${sum} runs in ${props.points.length} buckets`}
        >
          <Axes
            width={width}
            ticks={ticks}
            points={props.points}
            zone={props.zone}
            bucketMs={props.bucketMs}
            unit={count}
          />
          {props.points.map((p, i) => {
            let y = PAD.top + plotH;
            const x = PAD.left + i * slot + (slot - barW) / 2;
            const parts = props.series
              .filter((s) => (p.values[s.key] ?? 0) > 0)
              .map((s) => `${p.values[s.key]} ${s.label.toLowerCase()}`);
            return (
              <g class="bar">
                <title>
                  {`${formatInZone(p.t, props.zone, { seconds: false })}: ${parts.join(", ") || "no runs"}`}
                </title>
                {props.series.map((s) => {
                  const v = p.values[s.key] ?? 0;
                  if (v <= 0) return null;
                  const h = (v / max) * plotH;
                  y -= h;
                  return <rect class={`series-${s.key}`} x={x} y={y} width={barW} height={h} />;
                })}
              </g>
            );
          })}
        </svg>
      </div>
      <DataTable
        points={props.points}
        series={props.series}
        zone={props.zone}
        unit={count}
        caption={props.title}
      />
    </figure>
  );
}

/** Lines, one per series; a bucket without a value breaks the line. */
export function Lines(props: {
  title: string;
  points: Point[];
  series: Series[];
  zone: string;
  bucketMs: number;
  unit: (v: number) => string;
}) {
  const [ref, width] = useWidth();
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const values = props.points.flatMap((p) =>
    props.series.map((s) => p.values[s.key]).filter((v): v is number => typeof v === "number"),
  );
  const ticks = ticksFor(Math.max(0, ...values), false);
  const max = ticks.at(-1) as number;
  const n = Math.max(1, props.points.length);
  const slot = plotW / n;
  const xOf = (i: number) => PAD.left + (i + 0.5) * slot;
  const yOf = (v: number) => PAD.top + plotH - (v / max) * plotH;
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <Legend series={props.series} prefix="line" />
      <div class="chart-box" ref={ref}>
        <svg
          width={width}
          height={HEIGHT}
          role="img"
          aria-label={`${props.title}: ${values.length ? `highest ${props.unit(Math.max(...values))}` : "no data"}`}
        >
          <Axes
            width={width}
            ticks={ticks}
            points={props.points}
            zone={props.zone}
            bucketMs={props.bucketMs}
            unit={props.unit}
          />
          {props.series.map((s) => {
            const segments: string[][] = [[]];
            props.points.forEach((p, i) => {
              const v = p.values[s.key];
              if (typeof v === "number") segments.at(-1)?.push(`${xOf(i)},${yOf(v)}`);
              else if (segments.at(-1)?.length) segments.push([]);
            });
            return (
              <g class={`line line-${s.key}`}>
                {segments
                  .filter((seg) => seg.length > 1)
                  .map((seg) => (
                    <polyline points={seg.join(" ")} />
                  ))}
                {props.points.map((p, i) => {
                  const v = p.values[s.key];
                  // Dots on short series; on long ones only where a value stands alone.
                  const alone =
                    typeof props.points[i - 1]?.values[s.key] !== "number" &&
                    typeof props.points[i + 1]?.values[s.key] !== "number";
                  return typeof v === "number" && (n <= 180 || alone) ? (
                    <circle cx={xOf(i)} cy={yOf(v)} r={2.5}>
                      <title>{`${formatInZone(p.t, props.zone, { seconds: false })}: ${s.label} ${props.unit(v)}`}</title>
                    </circle>
                  ) : null;
                })}
              </g>
            );
          })}
        </svg>
      </div>
      <DataTable
        points={props.points}
        series={props.series}
        zone={props.zone}
        unit={props.unit}
        caption={props.title}
      />
    </figure>
  );
}

/** The zone label of an axis, e.g. `UTC+1`. */
export function axisZone(zone: string): string {
  return zoneAbbreviation(Date.now(), zone);
}
