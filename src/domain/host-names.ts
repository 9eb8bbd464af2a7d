/**
 * Host names that are private by definition: special-use and reserved names, names that only
 * private networks resolve, and names that wildcard DNS services resolve to the address they spell.
 * A Worker cannot resolve DNS before it fetches, so these are refused by the name alone; a public
 * name whose records point at a private address is not caught here (README, "Security model").
 */
import { parseIpv4 } from "./ip-address";
import { isPublicIpv4 } from "./ip-ranges";

/** Suffixes (without the leading dot) refused with the reason a tenant reads in the 400. */
const PRIVATE_SUFFIXES: readonly (readonly [suffix: string, reason: string])[] = [
  ["localhost", "localhost names this machine (RFC 6761)"],
  ["local", ".local names are multicast DNS on the local link (RFC 6762)"],
  ["internal", ".internal is reserved for private networks (ICANN, 2024)"],
  ["home.arpa", "home.arpa names hosts on home networks (RFC 8375)"],
  ["arpa", ".arpa names are DNS infrastructure, not web hosts (RFC 3172)"],
  ["test", ".test is reserved for testing and never resolves publicly (RFC 6761)"],
  ["invalid", ".invalid is reserved to be invalid and never resolves (RFC 6761)"],
  ["example", ".example is reserved for documentation (RFC 6761)"],
  ["onion", ".onion names are Tor services, not in the public DNS (RFC 7686)"],
  ["alt", ".alt names are outside the DNS by definition (RFC 9476)"],
  // Never delegated in the root zone: they resolve only inside the private networks that use them.
  ["lan", ".lan is not a public top-level domain; routers use it for the local network"],
  ["intranet", ".intranet is not a public top-level domain; it names private networks"],
  ["private", ".private is not a public top-level domain; it names private networks"],
  ["localdomain", ".localdomain is not a public top-level domain; it names this machine"],
  // ICANN deferred these indefinitely because private networks use them (name collisions).
  ["home", ".home is used by private networks and will not be delegated (ICANN, 2018)"],
  ["corp", ".corp is used by private networks and will not be delegated (ICANN, 2018)"],
  ["mail", ".mail is used by private networks and will not be delegated (ICANN, 2018)"],
];

/**
 * Public domains whose every name resolves to an address chosen by the name (wildcard DNS, DNS
 * rebinding) or to loopback. Not exhaustive: names that spell a private IPv4 address are refused
 * under any domain (below); these are refused whole because they also take hex, IPv6 or
 * rebinding forms.
 */
const ADDRESS_SPELLING_DOMAINS: readonly string[] = [
  "nip.io",
  "sslip.io",
  "xip.io",
  "traefik.me",
  "1u.ms",
  "rbndr.us",
  "localtest.me",
  "lvh.me",
  "vcap.me",
  "localhost.direct",
  "lacolhost.com",
  "fuf.me",
];

function hasSuffix(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join(".");
}

/** A private IPv4 address spelled in the name as four dotted labels or `a-b-c-d`, if any. */
function spelledPrivateIpv4(labels: readonly string[]): number | null {
  const decimal = /^(?:0|[1-9]\d{0,2})$/;
  for (let i = 0; i + 4 <= labels.length; i++) {
    const quad = labels.slice(i, i + 4);
    if (!quad.every((label) => decimal.test(label))) continue;
    const address = parseIpv4(quad.join("."));
    if (address !== null && !isPublicIpv4(address)) return address;
  }
  for (const label of labels) {
    for (const match of label.matchAll(
      /(?:^|[^\d])(\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})(?=$|[^\d])/g,
    )) {
      const address = parseIpv4((match[1] as string).replaceAll("-", "."));
      if (address !== null && !isPublicIpv4(address)) return address;
    }
  }
  return null;
}

/**
 * Why `hostname` (a host name, not an IP literal: the URL parser has already turned numeric hosts
 * into addresses) is private by definition, or null when it may be public. Case and one trailing
 * dot (`localhost.` is `localhost` to DNS) do not matter.
 */
export function privateNameReason(hostname: string): string | null {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  for (const [suffix, reason] of PRIVATE_SUFFIXES) if (hasSuffix(name, suffix)) return reason;
  const labels = name.split(".");
  if (labels.length < 2)
    return `a single-label name ("${name}") resolves only through a local search domain`;
  for (const domain of ADDRESS_SPELLING_DOMAINS) {
    if (hasSuffix(name, domain))
      return `${domain} names resolve to the address they spell or to loopback, which may be private`;
  }
  const spelled = spelledPrivateIpv4(labels);
  if (spelled !== null)
    return `the name spells the private address ${formatIpv4(spelled)}, which wildcard DNS services resolve it to`;
  return null;
}
