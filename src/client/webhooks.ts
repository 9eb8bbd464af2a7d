/**
 * For receivers: checks that a delivery was signed by the scheduler (Standard Webhooks, as
 * src/queues/signing.ts signs: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
 * one signature per live secret, space-separated, while a rotation overlaps) and is recent.
 * Web Crypto only: works in Workers, Node 20+, Deno, Bun and browsers.
 */

export type WebhookFailure =
  | "missing_headers"
  | "bad_timestamp"
  | "timestamp_too_old"
  | "timestamp_in_future"
  | "bad_secret"
  | "no_matching_signature";

export class WebhookVerificationError extends Error {
  readonly reason: WebhookFailure;

  constructor(reason: WebhookFailure, message: string) {
    super(message);
    this.reason = reason;
    this.name = "WebhookVerificationError";
  }
}

export interface VerifyOptions {
  /** How far `webhook-timestamp` may be from now, either way. Default 300 s (Standard Webhooks). */
  toleranceSeconds?: number;
  /** The current time in ms (tests). */
  now?: number;
}

export interface VerifiedWebhook {
  /** `webhook-id`, `<run id>_<attempt>`: differs between attempts of one run. */
  id: string;
  /** Deduplicate on this: a run's attempts can reach a target more than once. */
  runId: string;
  attempt: number;
  /** When the run was due (`x-scheduler-scheduled-for`), or null if the header is absent. */
  scheduledFor: Date | null;
  timestamp: Date;
  /** The raw body as text ("" for GET). */
  body: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  payload: unknown;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const direct = headers[name] ?? headers[name.toLowerCase()];
  const value =
    direct ??
    Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}

function base64ToBytes(value: string): Uint8Array<ArrayBuffer> {
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function hmacKey(secret: string) {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  } catch {
    throw new WebhookVerificationError("bad_secret", "the secret is not a whsec_ base64 secret");
  }
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
}

/**
 * Verifies headers and raw body (for frameworks that hand you those, such as `node:http`).
 * `secret` may be several: during a rotation accept the new one and the old one. Throws
 * `WebhookVerificationError`; never trust the body before this returns.
 */
export async function verifyWebhookSignature(
  input: { headers: HeaderSource; body: string | Uint8Array },
  secret: string | string[],
  options: VerifyOptions = {},
): Promise<VerifiedWebhook> {
  const id = header(input.headers, "webhook-id");
  const timestampText = header(input.headers, "webhook-timestamp");
  const signatures = header(input.headers, "webhook-signature");
  if (!id || !timestampText || !signatures)
    throw new WebhookVerificationError(
      "missing_headers",
      "webhook-id, webhook-timestamp and webhook-signature are required",
    );
  if (!/^\d{1,12}$/.test(timestampText))
    throw new WebhookVerificationError("bad_timestamp", "webhook-timestamp is not Unix seconds");
  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (timestamp < nowSeconds - tolerance)
    throw new WebhookVerificationError(
      "timestamp_too_old",
      `webhook-timestamp is more than ${tolerance} s old`,
    );
  if (timestamp > nowSeconds + tolerance)
    throw new WebhookVerificationError(
      "timestamp_in_future",
      `webhook-timestamp is more than ${tolerance} s ahead`,
    );

  const encoder = new TextEncoder();
  const bodyBytes = typeof input.body === "string" ? encoder.encode(input.body) : input.body;
  const prefix = encoder.encode(`${id}.${timestampText}.`);
  const content = new Uint8Array(prefix.length + bodyBytes.length);
  content.set(prefix, 0);
  content.set(bodyBytes, prefix.length);

  // `v1,<base64>` entries; other versions (`v1a,` asymmetric) are skipped, not failed.
  const candidates = signatures
    .split(" ")
    .filter((entry) => entry.startsWith("v1,"))
    .flatMap((entry) => {
      try {
        return [base64ToBytes(entry.slice(3))];
      } catch {
        return [];
      }
    });
  for (const key of await Promise.all((Array.isArray(secret) ? secret : [secret]).map(hmacKey))) {
    for (const candidate of candidates) {
      // crypto.subtle.verify compares in constant time.
      if (await crypto.subtle.verify("HMAC", key, candidate, content)) {
        const body =
          typeof input.body === "string" ? input.body : new TextDecoder().decode(input.body);
        let payload: unknown;
        try {
          payload = body ? JSON.parse(body) : undefined;
        } catch {
          payload = undefined;
        }
        const scheduledFor = header(input.headers, "x-scheduler-scheduled-for");
        return {
          id,
          runId: header(input.headers, "x-scheduler-run-id") ?? id.replace(/_\d+$/, ""),
          attempt: Number(header(input.headers, "x-scheduler-attempt") ?? id.split("_").pop()),
          scheduledFor: scheduledFor ? new Date(scheduledFor) : null,
          timestamp: new Date(timestamp * 1000),
          body,
          payload,
        };
      }
    }
  }
  throw new WebhookVerificationError(
    "no_matching_signature",
    "no webhook-signature matches the secret",
  );
}

/**
 * Verifies a delivery given as a `Request` (Workers, Deno, Bun, Hono, Next.js). Reads the body, so
 * use the returned `body`/`payload` afterwards (or pass `request.clone()`).
 *
 *   const hook = await verifyWebhook(request, env.SCHEDULER_SIGNING_SECRET);
 *   if (await alreadyDone(hook.runId)) return new Response("duplicate", { status: 200 });
 */
export async function verifyWebhook(
  request: Request,
  secret: string | string[],
  options: VerifyOptions = {},
): Promise<VerifiedWebhook> {
  const body = new Uint8Array(await request.arrayBuffer());
  return verifyWebhookSignature({ headers: request.headers, body }, secret, options);
}
