/**
 * Time zone names accepted for cron schedules: IANA Area/Location names in any letter case (and
 * `UTC`), stored in the runtime's canonical spelling. Offsets (`+02:00`) and one-word legacy
 * names (`EST`, `CET`, `GMT`) are refused: tzdata now links `EST` to America/Panama, which has no
 * DST, so accepting it would silently run an "Eastern" job an hour off half of the year.
 */

/** The canonical name of an accepted zone (`europe/berlin` → `Europe/Berlin`), or null. */
export function canonicalTimeZone(name: string): string | null {
  if (name.toUpperCase() === "UTC") return "UTC";
  if (!name.includes("/")) return null;
  try {
    // Resolves case and links (`US/Eastern` → `America/New_York`; `Etc/UTC` → `UTC`).
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}
