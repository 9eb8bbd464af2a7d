/** Sortable identifiers: 10 characters of millisecond time then 16 random ones (ULID alphabet). */

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function encodeTime(ms: number): string {
  let out = "";
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** The smallest id of `prefix` created at `ms` or later: ids below it were created before `ms`. */
export function idFloor(prefix: string, ms: number): string {
  return `${prefix}_${encodeTime(ms)}`;
}

/**
 * The id of the run of job `jobId`'s occurrence at `scheduledFor`: the occurrence's time, then the
 * job id's 16 random characters. The same occurrence always gets the same id, so the primary key
 * itself keeps an occurrence from becoming two runs, and ids sort by scheduled time.
 */
export function occurrenceRunId(jobId: string, scheduledFor: number): string {
  return `run_${encodeTime(scheduledFor)}${jobId.slice(-16)}`;
}

/** Random characters from the ULID alphabet. */
export function randomChars(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

/**
 * Generates ids that sort by creation time, strictly increasing within one generator even in the
 * same millisecond, so cursor pagination by id sees every row exactly once while rows are added.
 */
export class IdGenerator {
  private lastTime = 0;
  private lastRandom = "";

  next(prefix: string, now = Date.now()): string {
    if (now <= this.lastTime) {
      this.lastRandom = increment(this.lastRandom);
    } else {
      this.lastTime = now;
      this.lastRandom = randomChars(16);
    }
    return `${prefix}_${encodeTime(this.lastTime)}${this.lastRandom}`;
  }
}

function increment(value: string): string {
  const chars = value.split("");
  for (let i = chars.length - 1; i >= 0; i--) {
    const index = ALPHABET.indexOf(chars[i] ?? "0");
    if (index < 31) {
      chars[i] = ALPHABET[index + 1] ?? "0";
      return chars.join("");
    }
    chars[i] = "0";
  }
  return chars.join("");
}
