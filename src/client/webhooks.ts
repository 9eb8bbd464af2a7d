/**
 * For receivers: checks that a delivery was signed by the scheduler and is recent. Two headers carry
 * signatures (src/queues/signing.ts), one per live secret, space-separated, while a rotation overlaps:
 * - `webhook-signature`: Standard Webhooks, `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`;
 * - `x-scheduler-signature`: `v1,<base64 HMAC-SHA256 of the lines: that body signature,
 *   x-scheduler-run-id, x-scheduler-task, x-scheduler-task-run-id, x-scheduler-attempt,
 *   x-scheduler-scheduled-for>` (absent ones as empty lines), so everything returned is signed.
 * One HMAC of the body per secret, at most MAX_SIGNATURE_ENTRIES entries per header.
 * Web Crypto only: works in Workers, Node 20+, Deno, Bun and browsers.
 */

export type WebhookFailure =
  | "missing_headers"
  | "bad_timestamp"
  | "timestamp_too_old"
  | "timestamp_in_future"
  | "bad_secret"
  | "too_many_signatures"
  | "no_matching_signature"
  | "metadata_mismatch";

export class WebhookVerificationError extends Error {
  readonly reason: WebhookFailure;

  constructor(reason: WebhookFailure, message: string) {
    super(message);
    this.reason = reason;
    this.name = "WebhookVerificationError";
  }
}

/** More entries than this in a signature header are refused before any HMAC is computed. */
export const MAX_SIGNATURE_ENTRIES = 10;

export interface VerifyOptions {
  /** How far `webhook-timestamp` may be from now, either way. Default 300 s (Standard Webhooks). */
  toleranceSeconds?: number;
  /** The current time in ms (tests). */
  now?: number;
}

/** Everything here is covered by the signatures. */
export interface VerifiedWebhook {
  /**
   * `webhook-id`: the id of the run delivered (for a task, the task's own run), the same on every
   * attempt. Deduplicate on this: a run's attempts can reach a target more than once.
   */
  id: string;
  /** `x-scheduler-run-id`: the run; for a task of a graph, its occurrence (the graph's run). */
  runId: string;
  /** For a task of a graph, its key and its own run id (equal to `id`); null for a plain run. */
  task: { key: string; runId: string } | null;
  /** `x-scheduler-attempt`, from 1; differs between attempts of one run. */
  attempt: number;
  /** When the run was due (`x-scheduler-scheduled-for`). */
  scheduledFor: Date;
  /** `webhook-timestamp`: when this attempt started. */
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

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

async function hmacKey(secret: string) {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  } catch {
    throw new WebhookVerificationError("bad_secret", "the secret is not a whsec_ base64 secret");
  }
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** The imported key type, named without `CryptoKey` (not declared in every lib setting). */
type HmacKey = Awaited<ReturnType<typeof hmacKey>>;

async function hmac(key: HmacKey, content: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
}

/** Compares in time that depends on the lengths only, not on where the bytes differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

/**
 * The `v1,` signatures of a header, decoded; other versions (`v1a,` asymmetric) are skipped, not
 * failed. Refuses a header with more than MAX_SIGNATURE_ENTRIES entries of any version.
 */
function v1Signatures(name: string, value: string): Uint8Array[] {
  const entries = value.split(" ").filter((entry) => entry !== "");
  if (entries.length > MAX_SIGNATURE_ENTRIES)
    throw new WebhookVerificationError(
      "too_many_signatures",
      `${name} has ${entries.length} entries; at most ${MAX_SIGNATURE_ENTRIES} are accepted`,
    );
  return entries
    .filter((entry) => entry.startsWith("v1,"))
    .flatMap((entry) => {
      try {
        return [base64ToBytes(entry.slice(3))];
      } catch {
        return [];
      }
    });
}

function required(headers: HeaderSource, names: readonly string[]): string[] {
  const values = names.map((name) => header(headers, name));
  const missing = names.filter((_, i) => !values[i]);
  if (missing.length)
    throw new WebhookVerificationError("missing_headers", `${missing.join(", ")} required`);
  return values as string[];
}

function parseJson(body: string): unknown {
  try {
    return body ? JSON.parse(body) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies headers and raw body (for frameworks that hand you those, such as `node:http`).
 * `secret` may be several: during a rotation accept the new one and the old one. Throws
 * `WebhookVerificationError`; never trust the body or the x-scheduler-* headers before this
 * returns, and use what it returns rather than the headers.
 */
export async function verifyWebhookSignature(
  input: { headers: HeaderSource; body: string | Uint8Array },
  secret: string | string[],
  options: VerifyOptions = {},
): Promise<VerifiedWebhook> {
  const { headers } = input;
  const [id, timestampText, signatureHeader] = required(headers, [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
  ]) as [string, string, string];
  const [metadataSignatureHeader, runId, attemptText, scheduledForText] = required(headers, [
    "x-scheduler-signature",
    "x-scheduler-run-id",
    "x-scheduler-attempt",
    "x-scheduler-scheduled-for",
  ]) as [string, string, string, string];
  const taskKey = header(headers, "x-scheduler-task") ?? "";
  const taskRunId = header(headers, "x-scheduler-task-run-id") ?? "";
  // Counted before any HMAC: the work a forged header can cause is bounded by the secrets.
  const candidates = v1Signatures("webhook-signature", signatureHeader);
  const metadataCandidates = v1Signatures("x-scheduler-signature", metadataSignatureHeader);

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

  // One HMAC of the body per secret, compared with every entry.
  let signedBy: { key: HmacKey; signature: Uint8Array } | undefined;
  for (const key of await Promise.all((Array.isArray(secret) ? secret : [secret]).map(hmacKey))) {
    const signature = await hmac(key, content);
    if (candidates.some((candidate) => sameBytes(candidate, signature))) {
      signedBy = { key, signature };
      break;
    }
  }
  if (!signedBy)
    throw new WebhookVerificationError(
      "no_matching_signature",
      "no webhook-signature matches the secret",
    );

  const metadataText = [
    bytesToBase64(signedBy.signature),
    runId,
    taskKey,
    taskRunId,
    attemptText,
    scheduledForText,
  ].join("\n");
  const metadataSignature = await hmac(signedBy.key, new Uint8Array(encoder.encode(metadataText)));
  const attempt = Number(attemptText);
  const scheduledFor = new Date(scheduledForText);
  if (
    !metadataCandidates.some((candidate) => sameBytes(candidate, metadataSignature)) ||
    !Number.isSafeInteger(attempt) ||
    Number.isNaN(scheduledFor.getTime())
  )
    throw new WebhookVerificationError(
      "metadata_mismatch",
      "the x-scheduler-* headers do not match x-scheduler-signature",
    );

  const body = typeof input.body === "string" ? input.body : new TextDecoder().decode(input.body);
  return {
    id,
    runId,
    task: taskKey ? { key: taskKey, runId: taskRunId } : null,
    attempt,
    scheduledFor,
    timestamp: new Date(timestamp * 1000),
    body,
    payload: parseJson(body),
  };
}

/**
 * Verifies a delivery given as a `Request` (Workers, Deno, Bun, Hono, Next.js). Reads the body, so
 * use the returned `body`/`payload` afterwards (or pass `request.clone()`).
 *
 *   const hook = await verifyWebhook(request, env.SCHEDULER_SIGNING_SECRET);
 *   if (await alreadyDone(hook.id)) return new Response("duplicate", { status: 200 });
 */
export async function verifyWebhook(
  request: Request,
  secret: string | string[],
  options: VerifyOptions = {},
): Promise<VerifiedWebhook> {
  const body = new Uint8Array(await request.arrayBuffer());
  return verifyWebhookSignature({ headers: request.headers, body }, secret, options);
}
