/**
 * Which webhook URLs may be called. Production requires https: and public hosts so that a tenant
 * cannot aim the scheduler at internal services (SSRF); local development may opt out.
 * Only literal hosts are checked: Workers cannot resolve DNS, and Cloudflare's fetch does not reach
 * private networks from the edge anyway.
 */
import { fail } from "./problem";

const PRIVATE_IPV4 = [
  [0x00000000, 8],
  [0x0a000000, 8],
  [0x64400000, 10],
  [0x7f000000, 8],
  [0xa9fe0000, 16],
  [0xac100000, 12],
  [0xc0a80000, 16],
] as const;

function ipv4ToInt(host: string): number | null {
  const parts = host.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal"))
    return true;
  const v4 = ipv4ToInt(host);
  if (v4 !== null) {
    return PRIVATE_IPV4.some(([base, bits]) => v4 >>> (32 - bits) === base >>> (32 - bits));
  }
  if (host.includes(":")) {
    return host === "::1" || host === "::" || /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  }
  return false;
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
