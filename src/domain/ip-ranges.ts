/**
 * Which literal addresses a webhook must not reach: everything the IANA special-purpose registries
 * mark as not globally reachable (private, loopback, link-local, shared, documentation, benchmarking,
 * multicast, reserved), and IPv6 forms that embed such an IPv4 address.
 */
import { ipv4InPrefix, ipv6InPrefix, parseIpv6 } from "./ip-address";

const NOT_PUBLIC_IPV4: readonly (readonly [base: number, bits: number])[] = [
  [0x00000000, 8], // "this network"
  [0x0a000000, 8], // private
  [0x64400000, 10], // shared address space (carrier-grade NAT)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local (cloud metadata endpoints)
  [0xac100000, 12], // private
  [0xc0000000, 24], // IETF protocol assignments
  [0xc0000200, 24], // documentation (TEST-NET-1)
  [0xc0586300, 24], // 6to4 relay anycast
  [0xc0a80000, 16], // private
  [0xc6120000, 15], // benchmarking
  [0xc6336400, 24], // documentation (TEST-NET-2)
  [0xcb007100, 24], // documentation (TEST-NET-3)
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, including broadcast 255.255.255.255
];

export function isPublicIpv4(address: number): boolean {
  return !NOT_PUBLIC_IPV4.some(([base, bits]) => ipv4InPrefix(address, base, bits));
}

const v6 = (text: string): number[] => parseIpv6(text) as number[];

/** Prefixes whose last 32 bits are an IPv4 address that decides where packets really go. */
const EMBEDS_IPV4_IN_LAST_32: readonly (readonly [prefix: number[], bits: number])[] = [
  [v6("::"), 96], // IPv4-compatible (deprecated); also covers :: and ::1
  [v6("::ffff:0:0"), 96], // IPv4-mapped
  [v6("::ffff:0:0:0"), 96], // IPv4-translated (SIIT)
  [v6("64:ff9b::"), 96], // NAT64 well-known prefix
];

const SIX_TO_FOUR = v6("2002::");
const TEREDO = v6("2001::");
const GLOBAL_UNICAST = v6("2000::");

/** Inside global unicast 2000::/3 but not globally reachable. */
const NOT_PUBLIC_IPV6: readonly (readonly [prefix: number[], bits: number])[] = [
  [v6("2001:db8::"), 32], // documentation
  [v6("3fff::"), 20], // documentation
  [v6("2001:2::"), 48], // benchmarking
  [v6("2001:10::"), 28], // ORCHID (deprecated)
];

const ipv4Of = (high: number, low: number): number => high * 0x10000 + low;

/** The IPv4 address that an IPv6 address stands for (NAT64, 6to4, Teredo…), if any. */
function embeddedIpv4(words: readonly number[]): number[] | null {
  const w = (i: number) => words[i] as number;
  if (EMBEDS_IPV4_IN_LAST_32.some(([prefix, bits]) => ipv6InPrefix(words, prefix, bits))) {
    return [ipv4Of(w(6), w(7))];
  }
  if (ipv6InPrefix(words, SIX_TO_FOUR, 16)) return [ipv4Of(w(1), w(2))];
  // Teredo: server IPv4 in bits 32-63, client IPv4 bit-inverted in the last 32 bits.
  if (ipv6InPrefix(words, TEREDO, 32)) {
    return [ipv4Of(w(2), w(3)), ipv4Of(w(6) ^ 0xffff, w(7) ^ 0xffff)];
  }
  return null;
}

/**
 * Public only when every embedded IPv4 is public, or when the address is global unicast (2000::/3)
 * outside the special blocks. That rejects unique-local fc00::/7, link-local fe80::/10, site-local
 * fec0::/10, multicast ff00::/8, local-use NAT64 64:ff9b:1::/48 and anything IANA has not allocated.
 */
export function isPublicIpv6(words: readonly number[]): boolean {
  const embedded = embeddedIpv4(words);
  if (embedded) return embedded.every(isPublicIpv4);
  if (!ipv6InPrefix(words, GLOBAL_UNICAST, 3)) return false;
  return !NOT_PUBLIC_IPV6.some(([prefix, bits]) => ipv6InPrefix(words, prefix, bits));
}
