/**
 * Tokens a tenant's object refused as unknown or revoked, remembered by this Worker isolate so a
 * revoked token sent again is refused without asking the object (it costs the tenant nothing).
 * Revocation is final, so remembering a refusal is always right; the entries expire only to keep
 * memory bounded. A token that passes is never remembered: the object checks every call. Entries
 * are whole tokens, secret included: a wrong secret sent with a real token id (possible for tokens
 * of the form before signing) must not get that token id refused.
 */

/** How long a refusal is remembered, and how many at most (the oldest make room). */
export const REFUSED_FOR_MS = 10 * 60_000;
const MAX_REFUSED = 10_000;

export class RefusedTokens {
  private readonly until = new Map<string, number>();

  has(token: string, now: number): boolean {
    const key = token;
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.until.delete(key);
    return false;
  }

  add(token: string, now: number): void {
    const key = token;
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
