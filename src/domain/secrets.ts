/**
 * Tokens and secrets. A tenant token is `sched.<tenant id>.<token id>.<secret>`: the tenant id
 * lets the Worker route without a global lookup, the token id finds the stored hash, and only the
 * SHA-256 of the secret is kept, so a leaked database does not leak usable tokens.
 *
 * A signed token's secret is 32 random characters then a 32-character tag, an HMAC of everything
 * before it under the operator's TOKEN_SIGNING_KEY: the Worker checks the tag before it reads a
 * body or asks any object, so a forged token costs no tenant anything. The tag proves the token was
 * issued here, not that it is still valid: the tenant's object checks the hash, the scope and
 * revocation on every call. Tokens issued before signing have a 43-character secret and no tag
 * (`tagged: false`); the Worker lets them through only while ACCEPT_UNTAGGED_TOKENS says so.
 */
import { randomChars } from "./ids";

const TOKEN_PATTERN =
  /^sched\.([a-z0-9][a-z0-9-]{1,38}[a-z0-9])\.([0-9a-z]{16})\.([A-Za-z0-9_-]{64}|[A-Za-z0-9_-]{43})$/;

/** Characters of the random part and of the tag of a signed secret (24 bytes each, base64url). */
const RANDOM_CHARS = 32;
const TAG_BYTES = 24;

export interface ParsedToken {
  tenantId: string;
  tokenId: string;
  secret: string;
  /** Whether the secret carries a tag (issued with a signing key). */
  tagged: boolean;
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
  const secret = match[3] as string;
  return {
    tenantId: match[1] as string,
    tokenId: match[2] as string,
    secret,
    tagged: secret.length === RANDOM_CHARS + 32,
  };
}

/** Imported HMAC keys by their text: a Worker isolate imports each key once. */
const importedKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(signingKey: string): Promise<CryptoKey> {
  let key = importedKeys.get(signingKey);
  if (!key) {
    if (importedKeys.size >= 8) importedKeys.clear(); // keys change only on rotation
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(signingKey),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    importedKeys.set(signingKey, key);
  }
  return key;
}

/** The tag of a signed secret: HMAC-SHA256 of the token before it, its first 24 bytes, base64url. */
async function tagOf(
  tenantId: string,
  tokenId: string,
  random: string,
  signingKey: string,
): Promise<string> {
  const signed = new TextEncoder().encode(`sched.${tenantId}.${tokenId}.${random}`);
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(signingKey), signed);
  return base64url(new Uint8Array(mac).slice(0, TAG_BYTES));
}

/**
 * Whether a tagged token was issued under one of `signingKeys` (the current key, and the previous
 * one during a rotation). Compared in constant time; every key is tried, so the time does not say
 * which one matched.
 */
export async function tagMatches(token: ParsedToken, signingKeys: string[]): Promise<boolean> {
  if (!token.tagged) return false;
  const random = token.secret.slice(0, RANDOM_CHARS);
  const presented = new TextEncoder().encode(token.secret.slice(RANDOM_CHARS));
  let matched = false;
  for (const key of signingKeys) {
    const expected = new TextEncoder().encode(
      await tagOf(token.tenantId, token.tokenId, random, key),
    );
    if (
      expected.byteLength === presented.byteLength &&
      crypto.subtle.timingSafeEqual(expected, presented)
    )
      matched = true;
  }
  return matched;
}

/** A new signed token for `tenantId`: the full string (shown once) and the parts to store. */
export async function newToken(
  tenantId: string,
  signingKey: string,
): Promise<{ token: string; tokenId: string; secret: string }> {
  const tokenId = randomChars(16);
  const random = base64url(crypto.getRandomValues(new Uint8Array(24)));
  const secret = `${random}${await tagOf(tenantId, tokenId, random, signingKey)}`;
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
