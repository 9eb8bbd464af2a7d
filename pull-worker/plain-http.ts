/**
 * Whether a URL would carry a token in clear text to another machine: plain `http://` to a host
 * that is not this one (localhost, 127.0.0.0/8, ::1). Both the worker and the CLI warn then.
 */

/** True for `http:` URLs whose host is not loopback. */
export function sendsTokenInClear(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "http:") return false;
  // The URL parser already normalised the host: `127.1` is `127.0.0.1`, IPv6 is in brackets.
  const host = parsed.hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]") return false;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return false;
  return true;
}
