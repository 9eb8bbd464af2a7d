/**
 * Words for a delivery that got no usable answer. workerd throws only "Network connection lost."
 * (refused or closed) or "internal error; reference = …" (a failed name lookup, a failed TLS
 * handshake, …) and logs the cause where a tenant never sees it; Cloudflare's edge answers some
 * origin failures with its own 52x responses. This says what happened, keeping the original text
 * (and the reference) in parentheses. Measured in workerd 1.20261023.1 (docs/decisions.md).
 */
import { connect } from "cloudflare:sockets";

/** How long the follow-up connection that tells "no such name" from "TLS failed" may take. */
export const PROBE_TIMEOUT_MS = 3000;

type Probe = "opened" | "failed" | "timed_out";

/**
 * Opens and closes one TCP connection to the target's host and port, sending nothing: whether the
 * name resolves to something that accepts connections. Only after a failed fetch, within its slot.
 */
async function probeConnection(hostname: string, port: number, timeoutMs: number): Promise<Probe> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Probe>((resolve) => {
    timer = setTimeout(() => resolve("timed_out"), timeoutMs);
  });
  try {
    const socket = connect({ hostname, port }, { secureTransport: "off", allowHalfOpen: false });
    // A connection that never opened also rejects `closed`; nobody else waits on it.
    socket.closed.catch(() => {});
    const outcome = await Promise.race([
      socket.opened.then(
        (): Probe => "opened",
        (): Probe => "failed",
      ),
      timeout,
    ]);
    socket.close().catch(() => {});
    return outcome;
  } catch {
    return "failed";
  } finally {
    clearTimeout(timer);
  }
}

function endpointOf(url: URL): { hostname: string; port: number; shown: string } {
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  return { hostname, port, shown: `${url.hostname}:${port}` };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What a `fetch` that threw (not by the attempt's timeout) means. `probeTimeoutMs` bounds the
 * follow-up connection (0 skips it). Never throws.
 */
export async function describeFetchError(
  error: unknown,
  url: string,
  probeTimeoutMs = PROBE_TIMEOUT_MS,
): Promise<string> {
  const original = messageOf(error);
  const lost = /^Network connection lost\.?$/.test(original);
  const internal = /^internal error; reference = \w+$/.test(original);
  if (!lost && !internal) return original;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return original;
  }
  const { hostname, port, shown } = endpointOf(target);
  const probe =
    probeTimeoutMs > 0 ? await probeConnection(hostname, port, probeTimeoutMs) : "timed_out";
  if (lost) {
    if (probe === "failed")
      return `connection refused: nothing accepts connections at ${shown} (${original})`;
    if (probe === "opened")
      return `${shown} accepted the connection but closed it before answering (${original})`;
    return `the connection to ${shown} was refused or closed before any answer (${original})`;
  }
  if (probe === "failed")
    return `name not resolved: ${target.hostname} has no address that accepts connections at ${shown} (${original})`;
  if (probe === "opened" && target.protocol === "https:")
    return `TLS handshake with ${shown} failed: it accepts connections, but not TLS this Worker trusts (a plain-HTTP port, or a self-signed, expired or mismatched certificate) (${original})`;
  if (probe === "opened")
    return `the request to ${shown} failed after the connection opened (${original})`;
  return `no connection to ${shown}: the name does not resolve or the host does not answer (${original})`;
}

/** Cloudflare's own answers when it cannot reach an origin, by status (body `error code: …`). */
const CLOUDFLARE_STATUS: Readonly<Record<number, string>> = {
  520: "the origin answered with an empty or unexpected response",
  521: "the origin refused the connection",
  522: "the connection to the origin timed out",
  523: "the origin is unreachable",
  524: "the origin accepted the connection but did not answer in time",
  525: "the TLS handshake with the origin failed",
  526: "the origin's TLS certificate is not valid",
};

/** Cloudflare error codes a Worker's subrequest can get as a 530 (or 403) body. */
const CLOUDFLARE_CODES: Readonly<Record<string, string>> = {
  "1000": "the name points at an address Cloudflare does not allow",
  "1001": "the name does not resolve",
  "1003": "the target is an IP address, which Cloudflare does not fetch directly",
  "1016": "the name does not resolve (origin DNS error)",
};

/**
 * The attempt's error for a non-2xx answer: `HTTP <status>`, plus what it means when the answer is
 * Cloudflare's own error page rather than the target's (its body begins `error code: <n>`).
 */
export function describeStatus(status: number, bodyPrefix: string): string {
  const code = /^error code: (\d{3,4})\b/.exec(bodyPrefix)?.[1];
  if (code === undefined) return `HTTP ${status}`;
  const meaning = CLOUDFLARE_CODES[code] ?? CLOUDFLARE_STATUS[Number(code)];
  return meaning
    ? `HTTP ${status}: ${meaning} (Cloudflare error ${code})`
    : `HTTP ${status} (Cloudflare error ${code})`;
}
