import { describe, expect, it } from 'vitest';
import { bearerOf, hasSession, SESSION_COOKIE, sessionCookie } from './session.js';

const token = 'a'.repeat(43);

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Strict, for the whole site', () => {
    expect(SESSION_COOKIE).toBe('banger_web');
    expect(sessionCookie(token)).toBe(`banger_web=${token}; HttpOnly; SameSite=Strict; Path=/`);
  });

  it('is found among other cookies, with or without spaces', () => {
    expect(hasSession(`banger_web=${token}`, token)).toBe(true);
    expect(hasSession(`theme=dark; banger_web=${token}; other=1`, token)).toBe(true);
    expect(hasSession(`theme=dark;banger_web=${token}`, token)).toBe(true);
  });

  it('refuses a missing header, another token, another cookie name, an empty value', () => {
    expect(hasSession(undefined, token)).toBe(false);
    expect(hasSession('', token)).toBe(false);
    expect(hasSession(`banger_web=${'b'.repeat(43)}`, token)).toBe(false);
    expect(hasSession(`banger_web=${token.slice(1)}`, token)).toBe(false);
    expect(hasSession(`banger_web=${token}x`, token)).toBe(false);
    expect(hasSession(`xbanger_web=${token}`, token)).toBe(false);
    expect(hasSession(`banger_webx=${token}`, token)).toBe(false);
    expect(hasSession('banger_web=', token)).toBe(false);
    expect(hasSession(token, token)).toBe(false);
  });
});

describe('bearer session', () => {
  it('takes the secret of a Bearer authorization header, nothing else', () => {
    expect(bearerOf(`Bearer ${token}`)).toBe(token);
    expect(bearerOf(undefined)).toBeUndefined();
    expect(bearerOf('')).toBeUndefined();
    expect(bearerOf(`Basic ${token}`)).toBeUndefined();
    expect(bearerOf('Bearer ')).toBeUndefined();
    expect(bearerOf(`Bearer ${token} extra`)).toBeUndefined();
  });
});
