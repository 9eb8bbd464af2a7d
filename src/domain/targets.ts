/**
 * Which webhook URLs may be called. Production requires https: and public hosts so that a tenant
 * cannot aim the scheduler at internal services (SSRF); local development may opt out.
 * Only literal hosts are checked: Workers cannot resolve DNS, and Cloudflare's fetch does not reach
 * private networks from the edge anyway.
 */
import { parseIpv4, parseIpv6 } from "./ip-address";
import { isPublicIpv4, isPublicIpv6 } from "./ip-ranges";
import { fail } from "./problem";

export function isPrivateHost(hostname: string): boolean {
  // `localhost.` is `localhost` to DNS, so a trailing dot is dropped before comparing names.
  const host = hostname.toLowerCase();
  if (host.startsWith("[") || host.includes(":")) {
    const words = parseIpv6(host);
    // Not an address at all: fetch could not call it either, so refuse rather than guess.
    return words === null || !isPublicIpv6(words);
  }
  const v4 = parseIpv4(host);
  if (v4 !== null) return !isPublicIpv4(v4);
  const name = host.replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost") || name.endsWith(".internal");
}

/** Throws a 400 problem at `path` unless `url` may be a webhook target. */
export function assertTargetAllowed(url: string, allowInsecure: boolean, path: string): void {
  if (allowInsecure) return;
  const parsed = new URL(url);
  if (parsed.protocol !== "https:") {
    throw fail.invalid(path, "must use https: (http: is allowed only with ALLOW_INSECURE_TARGETS)");
  }
  if (isPrivateHost(parsed.hostname)) {
    throw fail.invalid(path, "must not point at a private or loopback address");
  }
}
