/** The tenant's own settings and its token hashes, with the authentication check. */
import { eq } from "drizzle-orm";
import type { CreatedTenant, IssuedToken, TenantPatch, TokenScope } from "../../contract/tenant";
import { fail, ProblemError, problem } from "../../domain/problem";
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

/** Who a checked credential is: its token id, and a worker token's pools (null: every pool). */
export interface Caller {
  tokenId: string;
  pools: string[] | null;
}

/** The tenant's cap on runs queued or running: its own override, else its tier's. */
export function maxInFlight(row: TenantRow): number {
  return row.maxInFlight ?? TIERS[row.tier].max_in_flight;
}

/** Tokens kept in memory; only tokens that exist are cached, so guessed ids cannot grow it. */
const TOKEN_CACHE_SIZE = 1000;

export class TenantStore {
  private row: TenantRow | undefined;
  private readonly tokenCache = new Map<string, TokenRow>();

  constructor(
    private readonly db: Database,
    /** The operator's TOKEN_SIGNING_KEY, which tags the tokens this store issues. */
    private readonly signingKey: () => string | undefined,
  ) {}

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
    this.tokenSigningKey(); // before anything is written: a tenant without a token is of no use
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
    const token = await this.issueToken("write", null, now);
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

  /**
   * Issues a token signed with the operator's key; only the hash of its secret is stored. A worker
   * token may be limited to `pools`.
   */
  async issueToken(scope: TokenScope, pools: string[] | null, now: number): Promise<IssuedToken> {
    const { id } = this.require();
    const { token, tokenId, secret } = await newToken(id, this.tokenSigningKey());
    const row: TokenRow = {
      id: tokenId,
      hash: await sha256Hex(secret),
      scope,
      pools: scope === "worker" ? pools : null,
      createdAt: now,
      revokedAt: null,
    };
    this.db.insert(tokens).values(row).run();
    this.cacheToken(row);
    return { id: tokenId, scope, pools: row.pools, token, created_at: iso(now) };
  }

  private tokenSigningKey(): string {
    const key = this.signingKey();
    if (key) return key;
    throw new ProblemError(
      problem(503, "This scheduler has no TOKEN_SIGNING_KEY configured, so it issues no tokens."),
    );
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
   * answer reveals nothing), 403 for a token whose scope does not reach `scope` (`any`: whatever
   * its scope) or a suspended tenant. A well-formed token is always looked up: failures are limited per client address by
   * the Worker (which refuses forged tokens before they get here), never per tenant, so nobody can
   * lock a tenant's own tokens out by failing in its name.
   */
  async authenticate(credential: Credential, scope: TokenScope | "any"): Promise<Caller> {
    const tenantRow = this.get();
    const token = tenantRow ? this.lookup(credential.token_id) : null;
    const valid =
      token !== null &&
      token.revokedAt === null &&
      (await hashMatches(token.hash, credential.secret));
    if (!tenantRow || !token || !valid) throw fail.unauthorized("The token is unknown or revoked.");
    if (token.scope === "read" && scope !== "read" && scope !== "any")
      throw fail.forbidden("This token is read-only.");
    if (token.scope === "worker" && scope !== "worker" && scope !== "any")
      throw fail.forbidden("This token may only claim, heartbeat and report runs (scope worker).");
    if (tenantRow.suspended) throw fail.forbidden(`Tenant ${tenantRow.id} is suspended.`);
    return { tokenId: token.id, pools: token.pools ?? null };
  }
}
