import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a code from `banger web` can be used: long enough to switch to the browser. */
export const LOGIN_CODE_TTL_MS = 120_000;
/** Codes outstanding at once; minting more drops the oldest, so memory stays bounded. */
const MAX_CODES = 16;

export interface LoginCodeOptions {
  ttlMs?: number;
  /** The clock, in ms since the epoch; injectable so tests can expire a code without waiting. */
  now?: () => number;
}

interface Pending {
  digest: Buffer;
  expiresAt: number;
}

/**
 * One-time login codes: `banger web` mints one over the Unix socket, the
 * browser trades it at `/login` for the session cookie. A code works once
 * and only until it expires. Only SHA-256 digests are kept, and a
 * candidate is compared with every pending digest in constant time, so
 * neither a lookup nor a comparison tells an attacker how close a guess was.
 */
export class LoginCodes {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private pending: Pending[] = [];

  constructor(options: LoginCodeOptions = {}) {
    this.ttlMs = options.ttlMs ?? LOGIN_CODE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  mint(): string {
    const code = randomBytes(32).toString('base64url');
    this.prune();
    this.pending.push({ digest: digest(code), expiresAt: this.now() + this.ttlMs });
    if (this.pending.length > MAX_CODES) this.pending.shift();
    return code;
  }

  /** True once for a pending, unexpired code; the code is spent either way it matched. */
  redeem(code: string): boolean {
    this.prune();
    const candidate = digest(code);
    let found: Pending | undefined;
    for (const p of this.pending) if (timingSafeEqual(p.digest, candidate)) found = p;
    if (found === undefined) return false;
    this.pending = this.pending.filter((p) => p !== found);
    return true;
  }

  private prune(): void {
    const now = this.now();
    this.pending = this.pending.filter((p) => p.expiresAt > now);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
