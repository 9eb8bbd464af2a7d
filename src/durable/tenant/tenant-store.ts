/** The tenant's own settings and its token hashes, with the authentication check. */
import { eq } from "drizzle-orm";
import type { CreatedTenant, IssuedToken, TenantPatch, TokenScope } from "../../contract/tenant";
import { fail, ProblemError, problem } from "../../domain/problem";
import { TokenBucket } from "../../domain/rate-limit";
import { hashMatches, newSigningSecret, newToken, sha256Hex } from "../../domain/secrets";
import { TIERS } from "../../domain/tiers";
import type { Database } from "../storage/database";
import { type TenantRow, tenant, tokens } from "../storage/schema";
import { iso, tenantView } from "../storage/views";

export interface Credential {
  token_id: string;
  secret: string;
}

type TokenRow = typeof tokens.$inferSelect;

/** The tenant's cap on runs queued or running: its own override, else its tier's. */
export function maxInFlight(row: TenantRow): number {
  return row.maxInFlight ?? TIERS[row.tier].max_in_flight;
}

/** Failed authentications a tenant's object answers with 401 per minute; beyond, 429. */
export const AUTH_FAILURES_PER_MINUTE = 60;
/** Tokens kept in memory; only tokens that exist are cached, so guessed ids cannot grow it. */
const TOKEN_CACHE_SIZE = 1000;

export class TenantStore {
  private row: TenantRow | undefined;
  private readonly tokenCache = new Map<string, TokenRow>();
  private failures: TokenBucket | undefined;

  constructor(private readonly db: Database) {}

  /** The tenant, or undefined in an object that was never initialised. */
  get(): TenantRow | undefined {
    this.row ??= this.db.select().from(tenant).get();
    return this.row;
  }

  require(): TenantRow {
    const row = this.get();
    if (!row) throw fail.notFound("Tenant");
    return row;
  }

  /** Creates the tenant with a fresh signing secret and its first (write) token. */
  async create(
    input: Pick<TenantRow, "id" | "name" | "tier">,
    now: number,
  ): Promise<CreatedTenant> {
    const signingSecret = newSigningSecret();
    this.insert({
      ...input,
      suspended: false,
      maxInFlight: null,
      defaultFlowLimits: null,
      signingSecret,
      previousSigningSecret: null,
      previousSecretExpiresAt: null,
      createdAt: now,
      updatedAt: now,
    });
    const token = await this.issueToken("write", now);
    return {
      ...tenantView(this.require()),
      token: token.token,
      token_id: token.id,
      signing_secret: signingSecret,
    };
  }

  insert(row: TenantRow): void {
    this.db.insert(tenant).values(row).run();
    this.row = row;
  }

  update(patch: TenantPatch, now: number): TenantRow {
    const current = this.require();
    const next: TenantRow = {
      ...current,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.tier !== undefined ? { tier: patch.tier } : {}),
      ...(patch.suspended !== undefined ? { suspended: patch.suspended } : {}),
      ...(patch.max_in_flight !== undefined ? { maxInFlight: patch.max_in_flight } : {}),
      ...(patch.default_flow_limits !== undefined
        ? { defaultFlowLimits: patch.default_flow_limits }
        : {}),
      updatedAt: now,
    };
    this.db.update(tenant).set(next).where(eq(tenant.id, current.id)).run();
    this.row = next;
    return next;
  }

  /** Signing secrets in force: the current one, and the previous one until its overlap ends. */
  signingSecrets(now: number): string[] {
    const row = this.require();
    const previousValid =
      row.previousSigningSecret !== null && (row.previousSecretExpiresAt ?? 0) > now;
    return previousValid
      ? [row.signingSecret, row.previousSigningSecret as string]
      : [row.signingSecret];
  }

  /**
   * Rotates the webhook signing secret. The old secret keeps signing (a second `v1,` signature in
   * the same header) for `overlapSeconds`, so receivers can switch to the new one without downtime.
   */
  rotateSigningSecret(
    overlapSeconds: number,
    now: number,
  ): { secret: string; previousExpiresAt: number } {
    const current = this.require();
    const secret = newSigningSecret();
    const previousExpiresAt = now + overlapSeconds * 1000;
    const next: TenantRow = {
      ...current,
      signingSecret: secret,
      previousSigningSecret: current.signingSecret,
      previousSecretExpiresAt: previousExpiresAt,
      updatedAt: now,
    };
    this.db.update(tenant).set(next).where(eq(tenant.id, current.id)).run();
    this.row = next;
    return { secret, previousExpiresAt };
  }

  /** Issues a token; only the hash of its secret is stored. */
  async issueToken(scope: TokenScope, now: number): Promise<IssuedToken> {
    const { id } = this.require();
    const { token, tokenId, secret } = newToken(id);
    const row = {
      id: tokenId,
      hash: await sha256Hex(secret),
      scope,
      createdAt: now,
      revokedAt: null,
    };
    this.db.insert(tokens).values(row).run();
    this.cacheToken(row);
    return { id: tokenId, scope, token, created_at: iso(now) };
  }

  revokeToken(tokenId: string, now: number): void {
    const row = this.lookup(tokenId);
    if (!row) throw fail.notFound(`Token ${tokenId}`);
    if (row.revokedAt !== null) return;
    this.db.update(tokens).set({ revokedAt: now }).where(eq(tokens.id, tokenId)).run();
    this.cacheToken({ ...row, revokedAt: now });
  }

  private cacheToken(row: TokenRow): void {
    this.tokenCache.delete(row.id);
    if (this.tokenCache.size >= TOKEN_CACHE_SIZE) {
      const oldest = this.tokenCache.keys().next().value;
      if (oldest !== undefined) this.tokenCache.delete(oldest);
    }
    this.tokenCache.set(row.id, row);
  }

  private lookup(tokenId: string): TokenRow | null {
    const cached = this.tokenCache.get(tokenId);
    if (cached) return cached;
    const row = this.db.select().from(tokens).where(eq(tokens.id, tokenId)).get();
    if (row) this.cacheToken(row);
    return row ?? null;
  }

  /**
   * Whether a request authenticated earlier with token `tokenId` may still be served (a long
   * poll that waited): the tenant is not suspended and the token was not revoked meanwhile.
   */
  stillAdmits(tokenId: string): boolean {
    const row = this.get();
    return row !== undefined && !row.suspended && this.lookup(tokenId)?.revokedAt === null;
  }

  /**
   * Checks a credential: 401 for unknown, revoked or wrong secrets (one answer for all, so the
   * answer reveals nothing), 403 for a read token on a write route or a suspended tenant.
   * Failures are rate limited per tenant: past `AUTH_FAILURES_PER_MINUTE` they get 429, and a
   * token id not in memory is then refused without a lookup, so a flood of guesses costs neither
   * reads nor hashing. Tokens already in memory are still checked, so the tenant's own clients
   * keep working during such a flood.
   */
  async authenticate(credential: Credential, scope: TokenScope, now: number): Promise<TenantRow> {
    const tenantRow = this.get();
    this.failures ??= new TokenBucket(AUTH_FAILURES_PER_MINUTE, now);
    const flooded = this.failures.wait(now, AUTH_FAILURES_PER_MINUTE);
    if (flooded > 0 && !this.tokenCache.has(credential.token_id)) throw tooManyFailures(flooded);
    const token = tenantRow ? this.lookup(credential.token_id) : null;
    const valid =
      token !== null &&
      token.revokedAt === null &&
      (await hashMatches(token.hash, credential.secret));
    if (!tenantRow || !token || !valid) {
      const wait = this.failures.take(now, AUTH_FAILURES_PER_MINUTE);
      if (wait > 0) throw tooManyFailures(wait);
      throw fail.unauthorized("The token is unknown or revoked.");
    }
    if (token.scope === "read" && scope !== "read")
      throw fail.forbidden("This token is read-only.");
    if (token.scope === "worker" && scope !== "worker")
      throw fail.forbidden("This token may only claim, heartbeat and report runs (scope worker).");
    if (tenantRow.suspended) throw fail.forbidden(`Tenant ${tenantRow.id} is suspended.`);
    return tenantRow;
  }
}

function tooManyFailures(wait: number): ProblemError {
  return new ProblemError({
    ...problem(429, `Too many failed authentications for this tenant; retry in ${wait} s.`),
    retry_after: wait,
  });
}
