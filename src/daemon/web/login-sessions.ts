import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Live sessions at once; a login beyond this drops the oldest, so memory stays bounded. */
export const MAX_LOGIN_SESSIONS = 64;

/**
 * Per-login session secrets: each successful `/login` mints one, handed to
 * the page in the redirect's URL fragment (never sent to a server) and sent
 * back by the UI as `Authorization: Bearer <secret>` on every /v1 request.
 *
 * The cookie alone is not enough for the API because browsers send cookies
 * to every port of 127.0.0.1: any local server the user's browser visits
 * receives it. The secret lives only in the browser's sessionStorage, which
 * is per origin (port included), and only here in memory: a daemon restart
 * forgets every secret. Only SHA-256 digests are kept, and a candidate is
 * compared with each of them in constant time (no lookup by value), so
 * neither timing nor a memory dump gives a usable secret away.
 */
export class LoginSessions {
  private readonly live = new Map<number, Buffer>();
  private next = 0;

  constructor(private readonly max: number = MAX_LOGIN_SESSIONS) {}

  /** A fresh secret: 32 random bytes, base64url (43 characters). */
  mint(): string {
    const secret = randomBytes(32).toString('base64url');
    this.live.set(this.next++, digest(secret));
    // A Map iterates in insertion order: the first key is the oldest login.
    while (this.live.size > this.max) this.live.delete(this.live.keys().next().value as number);
    return secret;
  }

  /** Whether `secret` is one of the live sessions. */
  verify(secret: string): boolean {
    const candidate = digest(secret);
    let ok = false;
    for (const d of this.live.values()) if (timingSafeEqual(d, candidate)) ok = true;
    return ok;
  }

  get size(): number {
    return this.live.size;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
