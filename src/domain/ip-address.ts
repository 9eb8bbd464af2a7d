/**
 * Literal IP addresses in URL hosts, parsed to numbers so that ranges are compared as bits,
 * never as text (`::7f00:1`, `0:0::ffff:7f00:1` and `::ffff:127.0.0.1` are one address each).
 */

/**
 * An IPv4 host as the WHATWG URL parser reads it, or null when `host` is not one. It accepts the
 * shorthand forms `new URL` normalises (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`), so a check on
 * a raw host agrees with the address fetch would call.
 */
export function parseIpv4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length > 1 && parts.at(-1) === "") parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIpv4Number(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const last = numbers.pop() as number;
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) return null;
  return numbers.reduce((acc, n, i) => acc + n * 256 ** (3 - i), last);
}

function parseIpv4Number(part: string): number | null {
  if (/^0[xX][0-9a-fA-F]*$/.test(part)) return part.length === 2 ? 0 : Number.parseInt(part, 16);
  if (/^0[0-7]+$/.test(part)) return Number.parseInt(part, 8);
  if (/^(?:0|[1-9]\d*)$/.test(part)) return Number(part);
  return null;
}

/** Strict dotted-quad IPv4 (the tail of `::ffff:1.2.3.4`): four decimal parts, no shorthand. */
function parseDottedQuad(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^(?:0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255))
    return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Hex groups of one side of `::`; a dotted IPv4 may only end the address. */
function parseGroups(text: string, mayEndInIpv4: boolean): number[] | null {
  if (text === "") return [];
  const groups = text.split(":");
  const words: number[] = [];
  for (const [i, group] of groups.entries()) {
    if (mayEndInIpv4 && i === groups.length - 1 && group.includes(".")) {
      const v4 = parseDottedQuad(group);
      if (v4 === null) return null;
      words.push(v4 >>> 16, v4 & 0xffff);
    } else if (/^[0-9a-f]{1,4}$/i.test(group)) {
      words.push(Number.parseInt(group, 16));
    } else {
      return null;
    }
  }
  return words;
}

/** An IPv6 address (brackets optional) as eight 16-bit words, with `::` expanded; null if not one. */
export function parseIpv6(host: string): number[] | null {
  const text = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  if (halves.length === 1) {
    const words = parseGroups(text, true);
    return words?.length === 8 ? words : null;
  }
  const head = parseGroups(halves[0] as string, false);
  const tail = parseGroups(halves[1] as string, true);
  // `::` stands for at least one zero group.
  if (!head || !tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** Whether the first `bits` bits of `words` equal those of `prefix` (both eight 16-bit words). */
export function ipv6InPrefix(words: readonly number[], prefix: readonly number[], bits: number) {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((words[i] as number) & mask) !== ((prefix[i] as number) & mask)) return false;
  }
  return true;
}

/** Whether IPv4 `address` lies in `base/bits`. */
export function ipv4InPrefix(address: number, base: number, bits: number): boolean {
  if (bits === 0) return true;
  return address >>> (32 - bits) === base >>> (32 - bits);
}
