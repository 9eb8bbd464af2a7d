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

function isPrivateIpv4(v4: number): boolean {
  return PRIVATE_IPV4.some(([base, bits]) => v4 >>> (32 - bits) === base >>> (32 - bits));
}

/** The address inside an IPv4-mapped IPv6 host: `::ffff:127.0.0.1`, which URL writes `::ffff:7f00:1`. */
function mappedIpv4(host: string): number | null {
  const match = /^::ffff:(?:([0-9a-f]{1,4}):([0-9a-f]{1,4})|([\d.]+))$/.exec(host);
  if (!match) return null;
  if (match[3] !== undefined) return ipv4ToInt(match[3]);
  return Number.parseInt(match[1] as string, 16) * 65536 + Number.parseInt(match[2] as string, 16);
}

export function isPrivateHost(hostname: string): boolean {
  // `localhost.` is `localhost` to DNS, so a trailing dot is dropped before comparing.
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal"))
    return true;
  const v4 = ipv4ToInt(host) ?? mappedIpv4(host);
  if (v4 !== null) return isPrivateIpv4(v4);
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
