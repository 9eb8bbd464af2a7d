/**
 * Delivery signatures, one per live secret, space-separated, so a receiver can verify against either
 * secret while a rotation overlaps:
 * - `webhook-signature`: Standard Webhooks, `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`;
 * - `x-scheduler-signature`: `v1,<base64 HMAC-SHA256 of the lines "<that body signature>",
 *   and the x-scheduler-* values (run id, task, task run id, attempt, scheduled for)>`, so what
 *   the headers say about the run is signed too, and bound to this body (src/client/webhooks.ts).
 */

function base64ToBytes(value: string): Uint8Array {
  return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
}

function bytesToBase64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

/** Imported keys by secret: a batch signs many deliveries with the same tenant secret. */
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 1000;

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= MAX_CACHED_KEYS) keys.clear();
    const raw = base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  return key;
}

async function hmac(secret: string, content: string): Promise<string> {
  const key = await keyFor(secret);
  return bytesToBase64(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(content)));
}

/** What the x-scheduler-* headers say about a delivery; all of it is signed. */
export interface DeliveryMetadata {
  /** `x-scheduler-run-id`: the run, or for a task its occurrence. */
  runId: string;
  /** `x-scheduler-task` and `x-scheduler-task-run-id`, for a task of a graph. */
  task: { key: string; runId: string } | null;
  attempt: number;
  /** `x-scheduler-scheduled-for`, ISO 8601. */
  scheduledFor: string;
}

/**
 * The text `x-scheduler-signature` signs: one line each, in this order. Header values cannot hold
 * a line break, so the lines cannot be shifted into one another.
 */
export function metadataContent(bodySignature: string, metadata: DeliveryMetadata): string {
  return [
    bodySignature,
    metadata.runId,
    metadata.task?.key ?? "",
    metadata.task?.runId ?? "",
    String(metadata.attempt),
    metadata.scheduledFor,
  ].join("\n");
}

/** The `webhook-signature` and `x-scheduler-signature` header values of one delivery. */
export async function signDelivery(
  secrets: string[],
  id: string,
  timestamp: number,
  body: string,
  metadata: DeliveryMetadata,
): Promise<{ signature: string; metadataSignature: string }> {
  const content = `${id}.${timestamp}.${body}`;
  const pairs = await Promise.all(
    secrets.map(async (secret) => {
      const signature = await hmac(secret, content);
      return [signature, await hmac(secret, metadataContent(signature, metadata))] as const;
    }),
  );
  return {
    signature: pairs.map(([s]) => `v1,${s}`).join(" "),
    metadataSignature: pairs.map(([, m]) => `v1,${m}`).join(" "),
  };
}
