/**
 * Which webhook URLs may be called. Production requires https: and a host that is not private by
 * definition (literal addresses by range, names by src/domain/host-names.ts), so that a tenant
 * cannot aim the scheduler at internal services (SSRF); local development may opt out with
 * ALLOW_INSECURE_TARGETS. Checked when a job is written and again before each delivery.
 * Workers cannot resolve DNS, so a public name whose records point at a private address passes;
 * `global_fetch_strictly_public` (wrangler.toml) keeps such a fetch on the public internet.
 */
import { privateNameReason } from "./host-names";
import { parseIpv4, parseIpv6 } from "./ip-address";
import { isPublicIpv4, isPublicIpv6 } from "./ip-ranges";
import { fail } from "./problem";

/** Why a URL host is private (an address in a non-public range, or a private name), or null. */
export function privateHostReason(hostname: string): string | null {
  const host = hostname.toLowerCase();
  if (host.startsWith("[") || host.includes(":")) {
    const words = parseIpv6(host);
    // Not an address at all: fetch could not call it either, so refuse rather than guess.
    if (words === null) return `${host} is not a valid IPv6 address`;
    return isPublicIpv6(words) ? null : `${host} is a private, loopback or reserved address`;
  }
  const v4 = parseIpv4(host);
  if (v4 !== null)
    return isPublicIpv4(v4) ? null : `${host} is a private, loopback or reserved address`;
  return privateNameReason(host);
}

export function isPrivateHost(hostname: string): boolean {
  return privateHostReason(hostname) !== null;
}

/** Why `url` may not be a webhook target (a sentence a tenant can act on), or null when it may. */
export function targetRefusal(url: string, allowInsecure: boolean): string | null {
  if (allowInsecure) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL";
  }
  if (parsed.protocol !== "https:")
    return "must use https: (http: is allowed only with ALLOW_INSECURE_TARGETS)";
  const reason = privateHostReason(parsed.hostname);
  return reason === null ? null : `must not point at a private host: ${reason}`;
}

/** Throws a 400 problem at `path` unless `url` may be a webhook target. */
export function assertTargetAllowed(url: string, allowInsecure: boolean, path: string): void {
  const refusal = targetRefusal(url, allowInsecure);
  if (refusal !== null) throw fail.invalid(path, refusal);
}
