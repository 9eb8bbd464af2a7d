/**
 * Tokens a tenant's object refused as unknown or revoked, remembered by this Worker isolate so a
 * revoked token sent again is refused without asking the object (it costs the tenant nothing).
 * Revocation is final, so remembering a refusal is always right; the entries expire only to keep
 * memory bounded. A token that passes is never remembered: the object checks every call.
 */

/** How long a refusal is remembered, and how many at most (the oldest make room). */
export const REFUSED_FOR_MS = 10 * 60_000;
const MAX_REFUSED = 10_000;

export class RefusedTokens {
  private readonly until = new Map<string, number>();

  has(tenantId: string, tokenId: string, now: number): boolean {
    const key = `${tenantId}.${tokenId}`;
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.until.delete(key);
    return false;
  }

  add(tenantId: string, tokenId: string, now: number): void {
    const key = `${tenantId}.${tokenId}`;
    this.until.delete(key);
    if (this.until.size >= MAX_REFUSED) {
      const oldest = this.until.keys().next().value;
      if (oldest !== undefined) this.until.delete(oldest);
    }
    this.until.set(key, now + REFUSED_FOR_MS);
  }
}

/** This isolate's memory of refused tokens. */
export const refusedTokens = new RefusedTokens();
