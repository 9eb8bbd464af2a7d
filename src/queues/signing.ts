/** Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret. */

function base64ToBytes(value: string): Uint8Array {
  return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
}

function bytesToBase64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

async function hmac(secret: string, content: string): Promise<string> {
  const keyBytes = base64ToBytes(
    secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret,
  );
  const key = await crypto.subtle.importKey(
    "raw",
    keyBytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return bytesToBase64(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(content)));
}

/**
 * The `webhook-signature` header value: one `v1,` signature per secret, space-separated, so a
 * receiver can verify against either secret while a rotation overlaps.
 */
export async function signWebhook(
  secrets: string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const content = `${id}.${timestamp}.${body}`;
  const signatures = await Promise.all(secrets.map((secret) => hmac(secret, content)));
  return signatures.map((s) => `v1,${s}`).join(" ");
}
