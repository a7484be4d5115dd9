import { createHash, timingSafeEqual } from 'node:crypto';

/** The cookie that carries the web UI's session token. */
export const SESSION_COOKIE = 'banger_web';

/** The Set-Cookie value after a login: not readable by scripts, never sent cross-site. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * Whether a request's Cookie header carries `token` in the session cookie.
 * Compared in constant time (as digests, so lengths do not leak either).
 */
export function hasSession(cookieHeader: string | undefined, token: string): boolean {
  if (cookieHeader === undefined) return false;
  const expected = digest(token);
  let ok = false;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    if (timingSafeEqual(digest(part.slice(eq + 1).trim()), expected)) ok = true;
  }
  return ok;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The secret of an `Authorization: Bearer <secret>` header, or undefined.
 * The web UI sends its per-login session secret (login-sessions.ts) this
 * way: a header no other site's page can make a browser add for us.
 */
export function bearerOf(authorization: string | undefined): string | undefined {
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(authorization?.trim() ?? '');
  return m?.[1];
}
