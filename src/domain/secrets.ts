/**
 * Tokens and secrets. A tenant token is `sched.<tenant id>.<token id>.<secret>`: the tenant id
 * lets the Worker route without a global lookup, the token id finds the stored hash, and only the
 * SHA-256 of the secret is kept, so a leaked database does not leak usable tokens.
 */
import { randomChars } from "./ids";

const TOKEN_PATTERN =
  /^sched\.([a-z0-9][a-z0-9-]{1,38}[a-z0-9])\.([0-9a-z]{16})\.([A-Za-z0-9_-]{43})$/;

export interface ParsedToken {
  tenantId: string;
  tokenId: string;
  secret: string;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export function parseToken(raw: string): ParsedToken | null {
  const match = TOKEN_PATTERN.exec(raw);
  if (!match) return null;
  return { tenantId: match[1] as string, tokenId: match[2] as string, secret: match[3] as string };
}

/** A new token for `tenantId`: the full string (shown once) and the parts to store. */
export function newToken(tenantId: string): { token: string; tokenId: string; secret: string } {
  const tokenId = randomChars(16);
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { token: `sched.${tenantId}.${tokenId}.${secret}`, tokenId, secret };
}

/** A Standard Webhooks signing secret: `whsec_` and base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Compares two secrets in constant time. Both sides are hashed first so the comparison is over
 * equal lengths and its duration reveals neither content nor length.
 */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

/** Compares a stored hex hash with the hash of a presented secret, in constant time. */
export async function hashMatches(storedHex: string, secret: string): Promise<boolean> {
  const presented = await sha256Hex(secret);
  const encoder = new TextEncoder();
  const a = encoder.encode(storedHex);
  const b = encoder.encode(presented);
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}
