/** Fire times as a list, each in the schedule's zone and in UTC, with the DST days marked. */
import { dstChangeOnDay, formatInZone, formatUtc, weekday } from "../time";

export function FireTimes(props: { times: string[]; zone: string; id?: string }) {
  if (props.times.length === 0)
    return <p class="muted">No fire times: this schedule does not run again.</p>;
  return (
    <ol class="fire-times" id={props.id}>
      {props.times.map((iso) => {
        const instant = Date.parse(iso);
        const change = dstChangeOnDay(instant, props.zone);
        return (
          <li class={change ? "dst-day" : undefined}>
            <span class="fire-local">
              <span class="weekday">{weekday(instant, props.zone)}</span>{" "}
              <time datetime={iso}>{formatInZone(iso, props.zone)}</time>
            </span>{" "}
            {props.zone !== "UTC" ? <span class="fire-utc">{formatUtc(iso)}</span> : null}{" "}
            {change ? (
              <span
                class="badge badge-warn dst-badge"
                title={`The clocks change on this day in ${props.zone}`}
              >
                DST change: {change.fromName} → {change.toName}
              </span>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
